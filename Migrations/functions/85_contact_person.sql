-- One contact person (migration 0014): whether a staff member is on duty today at a location.
--
-- "On duty today" means, at `p_now`: the staff member is active, has a session that has not expired (logged in, not
-- logged out), and has sat at a desk of this location today — holds a visitor at one now, or finished, handed over
-- or requeued a visit there since the start of the location's local day. Planned availability (staff_availability)
-- is deliberately not enough: a planned shift says nothing about whether the person came in, and a visitor must not
-- wait 20 minutes for someone who is not there. A contact person who logged in but has not called anyone yet today
-- counts as not on duty: their visitor goes to any qualified colleague at once (a cost of minutes, not of a wait).
CREATE OR REPLACE FUNCTION staff_on_duty(p_staff uuid, p_location uuid, p_now timestamptz) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM staff s WHERE s.id = p_staff AND s.active)
       AND EXISTS (SELECT 1 FROM session se WHERE se.staff_id = p_staff AND se.expires_at > p_now)
       AND (EXISTS (SELECT 1 FROM ticket t JOIN desk d ON d.id = t.desk_id
                    WHERE t.staff_id = p_staff AND t.status IN ('called', 'serving') AND d.location_id = p_location)
            OR EXISTS (SELECT 1 FROM service_record r JOIN desk d ON d.id = r.desk_id JOIN location l ON l.id = d.location_id
                       WHERE r.staff_id = p_staff AND d.location_id = p_location
                         AND r.ended_at <= p_now
                         AND r.ended_at >= (date_trunc('day', p_now AT TIME ZONE l.time_zone) AT TIME ZONE l.time_zone)))
$$;
