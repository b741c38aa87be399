-- The coordinator's floor view of one location: desks and who is at them, the waiting line per service, urgent
-- tickets, and today's appointments with their arrival. One statement renders the whole snapshot as JSON, so the page
-- reloads it after events and never drifts. "Now" is a parameter (the app's clock); "today" is the location's local
-- day. No citizen data: numbers, services, staff names and rooms only, so the view is not a read of personal data.

-- name: floor_snapshot
-- $1 location, $2 now. No row when the location does not exist.
WITH l AS (
    SELECT id, code, name, time_zone, ($2::timestamptz AT TIME ZONE time_zone)::date AS day FROM location WHERE id = $1
), bounds AS (
    SELECT l.day::timestamp AT TIME ZONE l.time_zone AS day_start,
           (l.day + 1)::timestamp AT TIME ZONE l.time_zone AS day_end
    FROM l
), waiting AS (
    SELECT t.id, t.number, t.service_id, t.priority, t.arrived_at, t.due_at, t.appointment_id
    FROM ticket t, l WHERE t.location_id = l.id AND t.status = 'waiting'
), recent AS (
    -- Who served at each desk last today. Found through the services offered here, whose records the index
    -- service_record_recent (service_id, ended_at) holds in time order, so a year of history is never scanned.
    SELECT DISTINCT ON (r.desk_id) r.desk_id, r.staff_id, r.ended_at
    FROM service_record r, bounds b
    WHERE r.service_id IN (SELECT sl.service_id FROM service_location sl WHERE sl.location_id = $1)
      AND r.ended_at >= b.day_start AND r.ended_at < b.day_end
    ORDER BY r.desk_id, r.ended_at DESC
), desks AS (
    SELECT d.id, d.name,
           -- The visitor at the desk now (called or being served) and the staff member holding them.
           (SELECT json_build_object('number', t.number, 'status', t.status, 'priority', t.priority,
                                     'serviceId', t.service_id, 'serviceName', s.name, 'agencyName', a.name,
                                     'calledAt', rfc3339(t.called_at, l.time_zone), 'startedAt', rfc3339(t.started_at, l.time_zone),
                                     'staffId', st.id, 'staffName', st.display_name, 'appointment', t.appointment_id IS NOT NULL)
            FROM ticket t JOIN service s ON s.id = t.service_id JOIN agency a ON a.id = s.agency_id JOIN staff st ON st.id = t.staff_id
            WHERE t.desk_id = d.id AND t.status IN ('called', 'serving')) AS current,
           -- Who served here last today, for a desk that is free now.
           (SELECT json_build_object('staffId', st.id, 'staffName', st.display_name, 'at', rfc3339(r.ended_at, l.time_zone))
            FROM recent r JOIN staff st ON st.id = r.staff_id WHERE r.desk_id = d.id) AS last
    FROM desk d, l WHERE d.location_id = l.id AND d.active
), services AS (
    SELECT s.id, s.name, s.ticket_prefix, s.urgent, a.name AS agency_name,
           count(w.id) AS waiting,
           count(w.id) FILTER (WHERE w.priority = 'urgent') AS urgent_waiting,
           min(w.arrived_at) AS oldest
    FROM service s JOIN agency a ON a.id = s.agency_id
    LEFT JOIN waiting w ON w.service_id = s.id
    WHERE EXISTS (SELECT 1 FROM service_location sl, l WHERE sl.service_id = s.id AND sl.location_id = l.id AND s.active)
       OR EXISTS (SELECT 1 FROM waiting x WHERE x.service_id = s.id)
    GROUP BY s.id, a.name
), appointments AS (
    SELECT ap.id, ap.starts_at, ap.ends_at, ap.status, ty.name AS type_name,
           (SELECT coalesce(json_agg(json_build_object('staffId', st.id, 'staffName', st.display_name, 'agencyName', ag.name)
                                     ORDER BY r.position), '[]')
            FROM appointment_reservation r JOIN staff st ON st.id = r.staff_id JOIN agency ag ON ag.id = r.agency_id
            WHERE r.appointment_id = ap.id AND r.staff_id IS NOT NULL) AS participants,
           (SELECT rm.name FROM appointment_reservation r JOIN room rm ON rm.id = r.room_id
            WHERE r.appointment_id = ap.id AND r.room_id IS NOT NULL LIMIT 1) AS room_name,
           t.number AS ticket_number, t.status AS ticket_status, t.late AS ticket_late, d.name AS desk_name
    FROM appointment ap JOIN appointment_type ty ON ty.id = ap.appointment_type_id
    CROSS JOIN bounds b
    LEFT JOIN ticket t ON t.appointment_id = ap.id
    LEFT JOIN desk d ON d.id = t.desk_id
    WHERE ap.location_id = $1 AND ap.starts_at >= b.day_start AND ap.starts_at < b.day_end
      AND ap.status IN ('booked', 'checkedIn', 'done', 'noShow')
)
SELECT json_build_object(
    'location', json_build_object('id', l.id, 'code', l.code, 'name', l.name, 'timeZone', l.time_zone),
    'day', l.day::text,
    'now', rfc3339($2::timestamptz, l.time_zone),
    'waiting', (SELECT count(*) FROM waiting),
    'urgentWaiting', (SELECT count(*) FROM waiting WHERE priority = 'urgent'),
    'desks', coalesce((SELECT json_agg(json_build_object('id', id, 'name', name, 'current', current, 'last', last)
                                       ORDER BY length(name), name) FROM desks), '[]'),
    'services', coalesce((SELECT json_agg(json_build_object('id', id, 'name', name, 'agencyName', agency_name,
                                          'ticketPrefix', ticket_prefix, 'urgent', urgent, 'waiting', waiting,
                                          'urgentWaiting', urgent_waiting,
                                          'longestWaitSeconds', CASE WHEN oldest IS NULL THEN NULL
                                              ELSE greatest(0, floor(extract(epoch FROM $2::timestamptz - oldest)))::bigint END,
                                          'oldestArrivedAt', rfc3339(oldest, l.time_zone))
                                       ORDER BY waiting DESC, agency_name, name) FROM services), '[]'),
    'urgent', coalesce((SELECT json_agg(json_build_object('number', w.number, 'serviceName', s.name, 'agencyName', a.name,
                                        'arrivedAt', rfc3339(w.arrived_at, l.time_zone),
                                        'waitSeconds', greatest(0, floor(extract(epoch FROM $2::timestamptz - w.arrived_at)))::bigint)
                                     ORDER BY w.arrived_at)
                        FROM waiting w JOIN service s ON s.id = w.service_id JOIN agency a ON a.id = s.agency_id
                        WHERE w.priority = 'urgent'), '[]'),
    'appointments', coalesce((SELECT json_agg(json_build_object('id', id, 'start', rfc3339(starts_at, l.time_zone),
                                              'end', rfc3339(ends_at, l.time_zone), 'status', status, 'typeName', type_name,
                                              'participants', participants, 'roomName', room_name,
                                              'ticketNumber', ticket_number, 'ticketStatus', ticket_status,
                                              'late', coalesce(ticket_late, false), 'deskName', desk_name,
                                              -- Expected, not yet here past the start, in the queue, at a desk, done or no-show.
                                              'arrival', CASE
                                                  WHEN status = 'done' THEN 'done'
                                                  WHEN status = 'noShow' THEN 'noShow'
                                                  WHEN ticket_status IN ('called', 'serving') THEN ticket_status
                                                  WHEN ticket_status = 'waiting' OR status = 'checkedIn' THEN 'arrived'
                                                  WHEN starts_at < $2::timestamptz THEN 'overdue'
                                                  ELSE 'expected' END)
                                           ORDER BY starts_at, id) FROM appointments), '[]')
)::text AS j
FROM l
