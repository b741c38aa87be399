-- The public booking catalogue (OpenFormsRoutes): which appointment types a citizen can book where. One predicate,
-- shared by the list of types and the list of locations, so the two lists never disagree.

-- Whether a citizen could book type `t` at location `l` from the local date `today` on: the type is active and open
-- to the public, the location is active and has opening hours that still apply, a room when the type needs one, and
-- enough distinct staff with availability at this location that still applies: per service at least as many as the
-- type needs of it, and overall at least as many as it has requirements. These are necessary conditions, cheap to
-- check for every pair; the slot search (available-days) decides whether a time is actually free, so a listed
-- location may still have no day in a given range. Staff are counted, never shown.
CREATE OR REPLACE FUNCTION appointment_type_offered_at(t appointment_type, l location, today date) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH need AS (SELECT r.service_id, count(*) AS n FROM appointment_type_requirement r
                  WHERE r.appointment_type_id = t.id GROUP BY r.service_id),
    qualified AS (
        SELECT DISTINCT ss.service_id, s.id AS staff_id
        FROM need JOIN staff_service ss ON ss.service_id = need.service_id
        JOIN staff s ON s.id = ss.staff_id AND s.active
        WHERE EXISTS (SELECT 1 FROM staff_availability a WHERE a.staff_id = s.id AND a.location_id = l.id
                      AND (a.valid_until IS NULL OR a.valid_until >= today)))
    SELECT t.active AND t.public_booking AND l.active
        AND EXISTS (SELECT 1 FROM need)
        AND EXISTS (SELECT 1 FROM opening_hours h WHERE h.location_id = l.id AND (h.valid_until IS NULL OR h.valid_until >= today))
        AND (NOT t.needs_room OR EXISTS (SELECT 1 FROM room rm WHERE rm.location_id = l.id AND rm.active))
        AND NOT EXISTS (SELECT 1 FROM need WHERE need.n > (SELECT count(*) FROM qualified q WHERE q.service_id = need.service_id))
        AND (SELECT sum(n) FROM need) <= (SELECT count(DISTINCT staff_id) FROM qualified)
$$;
