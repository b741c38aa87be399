-- One contact person (migration 0014): a staff member becomes a visitor's contact person and gets a short code; the
-- visitor enters it at the kiosk on a later visit and their ticket is offered first to that staff member while they
-- are on duty today (staff_on_duty()), through the ticket's offered_to/offered_until like an appointment's ticket.
-- "Now" and the end of the offer are parameters from the application's clock and configuration.

-- name: contact_person_start
-- $1 ticket, $2 staff, $3 a freshly drawn code, $4 note (or null), $5 now.
-- Only the staff member holding the visit (called or serving at their desk) becomes its contact person. Asking again
-- for the same visit returns the code already issued. No row from `ins` and none existing with held = 1: the drawn
-- code is taken at this location right now, and the caller draws again.
WITH cur AS (
    SELECT t.id, t.location_id FROM ticket t
    WHERE t.id = $1 AND t.staff_id = $2 AND t.status IN ('called', 'serving')
), existing AS (
    SELECT c.id, c.code, c.created_at, false AS created FROM contact_person c JOIN cur ON c.ticket_id = cur.id
    WHERE c.staff_id = $2 AND c.ended_at IS NULL
), ins AS (
    INSERT INTO contact_person (code, location_id, staff_id, agency_id, ticket_id, note, created_at)
    SELECT $3, cur.location_id, s.id, s.agency_id, cur.id, nullif(btrim($4::text), ''), $5::timestamptz
    FROM cur JOIN staff s ON s.id = $2
    WHERE NOT EXISTS (SELECT 1 FROM existing)
    ON CONFLICT DO NOTHING
    RETURNING id, code, created_at, true AS created
)
SELECT (SELECT count(*) FROM cur)::int AS held, x.id, x.code, rfc3339(x.created_at) AS created_at, coalesce(x.created, false) AS created
FROM (SELECT 1) AS one LEFT JOIN (SELECT * FROM existing UNION ALL SELECT * FROM ins) AS x ON true

-- name: contact_person_end
-- $1 ticket, $2 staff, $3 whether the caller may end their agency's colleagues' relations (coordinators), $4 now.
-- Ends the contact relation started at this visit or the one this ticket was drawn with. The code stops working at
-- once; the row stays (who was whose contact person, for the agency's own records).
UPDATE contact_person c SET ended_at = $4::timestamptz
WHERE c.ended_at IS NULL
  AND (c.ticket_id = $1 OR c.id = (SELECT t.contact_person_id FROM ticket t WHERE t.id = $1))
  AND (c.staff_id = $2 OR ($3::boolean AND c.agency_id = (SELECT s.agency_id FROM staff s WHERE s.id = $2)))
RETURNING c.id, c.code

-- name: contact_ticket_take
-- $1 location, $2 code (upper case), $3 language, $4 now, $5 end of the offer (now + the configured wait), $6 the
-- most tickets ahead to count (TakeNumber.positionLimit).
-- A walk-in ticket like take_number's (counter row per location, letter and local day, due when it arrives), for the
-- contact person's first service at this location (a regular one before an urgent one, then by code). Offered first
-- to the contact person until $5 when they are on duty today; otherwise offered to nobody, so any qualified staff
-- member may call it at once. One row whatever is found, so the caller can tell the cases apart.
WITH open AS (
    SELECT l.id, l.time_zone, d.day, rfc3339($4::timestamptz, l.time_zone) AS created_at,
           NOT EXISTS (SELECT 1 FROM location_closure c WHERE c.location_id = l.id AND c.service_day = d.day) AS is_open
    FROM location l
    CROSS JOIN LATERAL (SELECT ($4::timestamptz AT TIME ZONE l.time_zone)::date AS day) AS d
    WHERE l.id = $1 AND l.active
), cp AS (
    SELECT c.id, c.staff_id, staff_on_duty(c.staff_id, c.location_id, $4::timestamptz) AS on_duty
    FROM contact_person c JOIN staff s ON s.id = c.staff_id
    WHERE c.location_id = $1 AND c.code = $2 AND c.ended_at IS NULL AND s.active
), svc AS (
    SELECT s.id, s.ticket_prefix, s.urgent
    FROM cp JOIN staff_service ss ON ss.staff_id = cp.staff_id
    JOIN service s ON s.id = ss.service_id
    JOIN service_location sl ON sl.service_id = s.id AND sl.location_id = $1
    WHERE s.active AND s.ticket_prefix IS NOT NULL
    ORDER BY s.urgent, s.code
    LIMIT 1
), stats AS MATERIALIZED (
    SELECT (SELECT count(*) FROM (SELECT 1 FROM ticket o
                                  WHERE o.location_id = $1 AND o.service_id = svc.id AND o.status = 'waiting'
                                    AND (o.priority_rank, o.due_at) <= (CASE WHEN svc.urgent THEN 0 ELSE 2 END, $4::timestamptz)
                                  LIMIT $6) AS counted)::int AS ahead
    FROM open, svc WHERE open.is_open
), counter AS (
    INSERT INTO ticket_counter AS c (location_id, prefix, service_day, last_number)
    SELECT open.id, svc.ticket_prefix, open.day, 1 FROM open, svc, stats
    ON CONFLICT (location_id, prefix, service_day) DO UPDATE SET last_number = c.last_number + 1
    RETURNING last_number
), t AS (
    INSERT INTO ticket (location_id, service_day, number, service_id, priority, language, arrived_at, queued_at, due_at,
                        offered_to, offered_until, contact_person_id)
    SELECT open.id, open.day,
           svc.ticket_prefix || CASE WHEN counter.last_number < 1000 THEN lpad(counter.last_number::text, 3, '0')
                                     ELSE counter.last_number::text END,
           svc.id, CASE WHEN svc.urgent THEN 'urgent' ELSE 'normal' END, $3,
           $4::timestamptz, $4::timestamptz, $4::timestamptz,
           CASE WHEN cp.on_duty THEN ARRAY[cp.staff_id] END, CASE WHEN cp.on_duty THEN $5::timestamptz END, cp.id
    FROM open, svc, counter, cp
    RETURNING id, number, service_id, location_id, priority, status, language, offered_to IS NOT NULL AS offered
), e AS (
    INSERT INTO event (location_id, type, payload, at)
    SELECT t.location_id, 'ticket.created', json_build_object('number', t.number, 'at', open.created_at), $4::timestamptz
    FROM t, open
)
SELECT (SELECT count(*) FROM open)::int AS location_found, coalesce((SELECT is_open FROM open), false) AS is_open,
       (SELECT count(*) FROM cp)::int AS contact_found, (SELECT count(*) FROM svc)::int AS service_found,
       t.id, t.number, t.service_id, t.location_id, t.priority, t.status, t.language, t.offered,
       CASE WHEN t.id IS NOT NULL THEN (SELECT created_at FROM open) END AS created_at,
       (SELECT ahead FROM stats) AS ahead
FROM (SELECT 1) AS one LEFT JOIN t ON true

-- name: contact_person_for_booking
-- $1 location, $2 code (upper case). The active contact relation a staff booking names (follow-up in one step,
-- migration 0015): its staff member must take part in the appointment; the caller checks that after placing it.
SELECT c.id::text AS id, c.staff_id::text AS staff_id
FROM contact_person c JOIN staff s ON s.id = c.staff_id
WHERE c.location_id = $1::uuid AND c.code = $2 AND c.ended_at IS NULL AND s.active

-- name: appointment_contact_person_set
-- $1 appointment, $2 contact relation. The link of a follow-up booked with a contact code (migration 0015).
UPDATE appointment SET contact_person_id = $2::uuid WHERE id = $1::uuid

-- name: ticket_notes_for_agency
-- $1 ticket, $2 the reader's agency. The notes about a visit meant for that agency, oldest first: handover notes
-- written for it (ticket_handover.to_agency_id) and the note of the contact relation the ticket started or was drawn
-- with (contact_person.agency_id). Another agency's notes are never read, not even counted. One row with found = 0:
-- no such ticket; rows with a null kind: the ticket exists but holds no note for this agency.
WITH t AS (SELECT id, contact_person_id FROM ticket WHERE id = $1::uuid), notes AS (
    SELECT 'handover' AS kind, h.note, h.at, s.display_name AS written_by
    FROM ticket_handover h JOIN t ON h.ticket_id = t.id JOIN staff s ON s.id = h.by_staff_id
    WHERE h.to_agency_id = $2::uuid AND nullif(btrim(h.note), '') IS NOT NULL
    UNION ALL
    SELECT 'contactPerson', c.note, c.created_at, s.display_name
    FROM contact_person c JOIN t ON (c.ticket_id = t.id OR c.id = t.contact_person_id) JOIN staff s ON s.id = c.staff_id
    WHERE c.agency_id = $2::uuid AND c.note IS NOT NULL
)
SELECT (SELECT count(*) FROM t)::int AS found, n.kind, n.note, rfc3339(n.at) AS written_at, n.written_by
FROM (SELECT 1) AS one LEFT JOIN notes n ON true
ORDER BY n.at

-- name: colleagues_at_location
-- $1 location, $2 service (or null: any), $3 the asking staff member, $4 now. Staff (not helpers) who serve an active
-- service offered at this location — that one service when given — other than the asker, on duty today first
-- (staff_on_duty()), then by name: the desk page's picker for a handover to a named colleague. Names, agencies and
-- duty only; at most 300.
SELECT s.id::text AS id, s.display_name, a.id::text AS agency_id, a.name AS agency_name,
       staff_on_duty(s.id, $1::uuid, $4::timestamptz) AS on_duty,
       array(SELECT ss.service_id::text FROM staff_service ss JOIN service sv ON sv.id = ss.service_id AND sv.active
             JOIN service_location sl ON sl.service_id = ss.service_id AND sl.location_id = $1::uuid
             WHERE ss.staff_id = s.id ORDER BY sv.name) AS service_ids
FROM staff s JOIN agency a ON a.id = s.agency_id
WHERE s.active AND s.role <> 'helper' AND s.id <> $3::uuid
  AND EXISTS (SELECT 1 FROM staff_service ss JOIN service sv ON sv.id = ss.service_id AND sv.active
              JOIN service_location sl ON sl.service_id = ss.service_id AND sl.location_id = $1::uuid
              WHERE ss.staff_id = s.id AND ($2::uuid IS NULL OR ss.service_id = $2::uuid))
ORDER BY on_duty DESC, s.display_name, s.id
LIMIT 300

-- name: follow_up_types
-- $1 location, $2 staff member. The active appointment types a staff member can take alone at this location (one
-- requirement, a service they serve and the location offers): what "a follow-up with me" can book, with the customer
-- fields the type asks for. Joint types are planned on the coordinator's page.
SELECT coalesce(json_agg(json_build_object('id', t.id, 'name', t.name, 'durationMinutes', t.duration_minutes,
        'maxPersons', t.max_persons, 'nameField', t.name_field, 'emailField', t.email_field, 'phoneField', t.phone_field,
        'contactRequired', t.contact_required) ORDER BY t.name, t.id), '[]')::text AS j
FROM appointment_type t
WHERE t.active
  AND (SELECT count(*) FROM appointment_type_requirement r WHERE r.appointment_type_id = t.id) = 1
  AND EXISTS (SELECT 1 FROM appointment_type_requirement r
              JOIN staff_service ss ON ss.service_id = r.service_id AND ss.staff_id = $2::uuid
              JOIN service_location sl ON sl.service_id = r.service_id AND sl.location_id = $1::uuid
              WHERE r.appointment_type_id = t.id)
