-- Check-in: a visitor with an appointment joins the queue (kiosk with the reference, or staff at the desk). Two
-- statements in one transaction: check_in_find reads and locks the appointment, the Queue module's
-- AppointmentQueueRule decides priority, due time, late and the offer from its start and "now", and check_in_take
-- writes what it decided. "Now" is a parameter from the application's clock. Statuses of the appointment's move come
-- from AppointmentStateMachine (checkIn), never written here.

-- name: check_in_find
-- $1 location, $2 reference (kiosk; null for staff), $3 appointment id (staff; null for the kiosk), $4 now.
-- One row whatever is found, so the caller can tell apart an unknown location, a closed day, and an appointment that
-- is unknown, not today, or in a status that cannot check in. The appointment row is locked: two kiosks scanning the
-- same confirmation at once are served one after the other, and the second finds the first one's ticket.
WITH loc AS (
    SELECT l.id, l.time_zone, ($4::timestamptz AT TIME ZONE l.time_zone)::date AS day,
           NOT EXISTS (SELECT 1 FROM location_closure c
                       WHERE c.location_id = l.id AND c.service_day = ($4::timestamptz AT TIME ZONE l.time_zone)::date) AS is_open
    FROM location l
    -- The kiosk names its location; staff checking in by id take the appointment's.
    WHERE l.active AND l.id = coalesce($1::uuid, (SELECT a.location_id FROM appointment a WHERE a.id = $3::uuid))
), appt AS (
    -- References repeat across years at one location: the one starting on today's local date wins.
    SELECT a.id, a.status, a.starts_at, a.citizen_language, a.location_id,
           (a.starts_at AT TIME ZONE loc.time_zone)::date = loc.day AS today
    FROM appointment a, loc
    WHERE a.location_id = loc.id
      AND (($2::text IS NOT NULL AND a.reference = upper($2::text)) OR ($3::uuid IS NOT NULL AND a.id = $3::uuid))
    ORDER BY (a.starts_at AT TIME ZONE loc.time_zone)::date = loc.day DESC, a.starts_at DESC
    LIMIT 1
    FOR UPDATE OF a
)
SELECT (SELECT count(*) FROM loc)::int AS location_found, (SELECT id FROM loc) AS location_id,
       coalesce((SELECT is_open FROM loc), false) AS is_open,
       appt.id AS appointment_id, appt.status, coalesce(appt.today, false) AS today,
       (extract(epoch FROM appt.starts_at) * 1000000)::bigint AS starts_at_micros, appt.citizen_language,
       -- Participants in requirement order: the first one's service gives the ticket its service and letter.
       (SELECT array_agg(r.staff_id::text ORDER BY r.position) FROM appointment_reservation r
        WHERE r.appointment_id = appt.id AND r.staff_id IS NOT NULL) AS staff_ids,
       (SELECT array_agg(DISTINCT r.agency_id::text) FROM appointment_reservation r
        WHERE r.appointment_id = appt.id AND r.agency_id IS NOT NULL) AS agencies,
       (SELECT r.service_id FROM appointment_reservation r
        WHERE r.appointment_id = appt.id AND r.staff_id IS NOT NULL ORDER BY r.position LIMIT 1) AS service_id,
       (SELECT r.room_id FROM appointment_reservation r
        WHERE r.appointment_id = appt.id AND r.room_id IS NOT NULL LIMIT 1) AS room_id
FROM (SELECT 1) AS one LEFT JOIN appt ON true

-- name: check_in_take
-- $1 location, $2 appointment, $3 service (the first participant's), $4 priority, $5 due at, $6 late,
-- $7 offered to (staff ids, or null), $8 offered until (or null), $9 room (or null), $10 language, $11 staff who
-- checked the visitor in (null at the kiosk), $12 now, $13 sources of the appointment's `checkIn`, $14 its target,
-- $15 the most tickets ahead to count.
-- The appointment moves, the ticket is drawn like take_number's (counter row per location, letter and local day),
-- and two events are written: the public `ticket.created` (number and time, as for any ticket) and, for the
-- participants' desk pages only (`audience`), `appointment.arrived` with the room.
WITH loc AS (
    SELECT l.id, l.time_zone, ($12::timestamptz AT TIME ZONE l.time_zone)::date AS day,
           rfc3339($12::timestamptz, l.time_zone) AS created_at
    FROM location l WHERE l.id = $1
), svc AS (
    SELECT s.id, s.ticket_prefix FROM service s WHERE s.id = $3 AND s.ticket_prefix IS NOT NULL
), moved AS (
    UPDATE appointment a SET status = $14, updated_at = $12::timestamptz
    WHERE a.id = $2 AND a.status = ANY ($13::text[]) AND EXISTS (SELECT 1 FROM svc)
    RETURNING a.id
), counter AS (
    INSERT INTO ticket_counter AS c (location_id, prefix, service_day, last_number)
    SELECT loc.id, svc.ticket_prefix, loc.day, 1 FROM loc, svc, moved
    ON CONFLICT (location_id, prefix, service_day) DO UPDATE SET last_number = c.last_number + 1
    RETURNING last_number
), t AS (
    INSERT INTO ticket (location_id, service_day, number, service_id, priority, language, created_by, arrived_at, queued_at,
                        due_at, appointment_id, late, offered_to, offered_until, room_id)
    SELECT loc.id, loc.day,
           svc.ticket_prefix || CASE WHEN counter.last_number < 1000 THEN lpad(counter.last_number::text, 3, '0')
                                     ELSE counter.last_number::text END,
           svc.id, $4, $10, $11, $12::timestamptz, $12::timestamptz, $5::timestamptz, $2, $6, $7::uuid[], $8::timestamptz, $9
    FROM loc, svc, counter
    RETURNING *
), room AS (
    SELECT r.name FROM room r WHERE r.id = $9
), e AS (
    INSERT INTO event (location_id, type, payload, at, audience)
    SELECT t.location_id, 'ticket.created', json_build_object('number', t.number, 'at', loc.created_at), $12::timestamptz, NULL
    FROM t, loc
    UNION ALL
    -- Every participant's desk page: "visitor arrived, room 2". No name, no service: the ids and the number only.
    SELECT t.location_id, 'appointment.arrived',
           json_build_object('ticketId', t.id, 'number', t.number, 'appointmentId', t.appointment_id,
                             'roomName', (SELECT name FROM room), 'late', t.late,
                             'dueAt', rfc3339(t.due_at, loc.time_zone), 'at', loc.created_at),
           $12::timestamptz,
           ARRAY(SELECT r.staff_id FROM appointment_reservation r WHERE r.appointment_id = t.appointment_id AND r.staff_id IS NOT NULL)
    FROM t, loc
)
SELECT (SELECT count(*) FROM svc)::int AS service_found, (SELECT count(*) FROM moved)::int AS moved,
       t.id, t.number, t.service_id, t.location_id, t.priority, t.status, t.language, t.late,
       loc.created_at, rfc3339(t.due_at, loc.time_zone) AS due_at, (SELECT name FROM room) AS room_name,
       (SELECT count(*) FROM (SELECT 1 FROM ticket o
                              WHERE o.location_id = t.location_id AND o.service_id = t.service_id AND o.status = 'waiting'
                                AND (o.priority_rank, o.due_at) <= (CASE t.priority WHEN 'urgent' THEN 0 WHEN 'appointment' THEN 1 ELSE 2 END, t.due_at)
                              LIMIT $15) AS counted)::int AS ahead
FROM (SELECT 1) AS one LEFT JOIN t ON true LEFT JOIN loc ON true

-- name: check_in_existing
-- $1 appointment. The ticket an earlier check-in of it drew: a second scan answers with it again. A statement of its
-- own (a fresh snapshot): a kiosk that waited on check_in_find's lock for another's check-in sees that one's ticket.
SELECT t.id, t.number, t.service_id, t.location_id, t.priority, t.status, t.language, t.late,
       rfc3339(t.arrived_at, l.time_zone) AS created_at, rfc3339(t.due_at, l.time_zone) AS due_at, r.name AS room_name
FROM ticket t JOIN location l ON l.id = t.location_id LEFT JOIN room r ON r.id = t.room_id
WHERE t.appointment_id = $1
