-- Helpers acting on someone's behalf and the attendees of an appointment (HelperRoutes, HelperScope). A helper's
-- scope is helper_arranged(appointment, helper) (Migrations/functions/80_helpers.sql): the consent row of the
-- booking names them. "Now" is always a parameter (the app's clock).

-- name: helper_consent_insert
-- $1 appointment, $2 helper, $3 action (book, reschedule, cancel, checkIn), $4 method, $5 given at, $6 scope, $7 now.
-- Records the person's consent as the helper states it, in the transaction of the change it allows. No row when $2
-- is not an active helper account (the caller refuses). A second `book` row for one appointment is refused by
-- appointment_consent_one_booking.
INSERT INTO appointment_consent (appointment_id, helper_id, action, method, given_at, scope, recorded_at)
SELECT $1::uuid, s.id, $3, $4, $5::timestamptz, btrim($6), $7::timestamptz
FROM staff s WHERE s.id = $2::uuid AND s.role = 'helper' AND s.active
RETURNING id::text AS id

-- name: helper_arranged
-- $1 appointment, $2 helper. The one predicate of a helper's scope, for Swift callers (HelperScope.arranged).
SELECT helper_arranged($1::uuid, $2::uuid) AS arranged

-- name: helper_appointment_list
-- $1 helper, $2 location or null, $3 from (inclusive) and $4 to (exclusive): the start lies in [from, to), $5 staff
-- member taking part or null, $6 statuses or null, $7 and $8 the cursor (start and id of the previous page's last
-- item) or null, $9 the most rows. The appointments the helper arranged — never another helper's, whatever the
-- filters — with the citizen's fields (the helper acts for that citizen; the caller audits). Ordered as the staff list.
SELECT appointment_json(a, true)::text AS j, a.id::text AS id, epoch_us(a.starts_at)::text AS start_us
FROM appointment_consent c JOIN appointment a ON a.id = c.appointment_id
WHERE c.helper_id = $1::uuid AND c.action = 'book'
  AND a.starts_at >= $3::timestamptz AND a.starts_at < $4::timestamptz
  AND ($2::uuid IS NULL OR a.location_id = $2::uuid)
  AND ($6::text[] IS NULL OR a.status = ANY ($6::text[]))
  AND ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM appointment_reservation r
                                   WHERE r.appointment_id = a.id AND r.staff_id = $5::uuid))
  AND ($7::timestamptz IS NULL OR (a.starts_at, a.id) > ($7::timestamptz, $8::uuid))
ORDER BY a.starts_at, a.id
LIMIT $9::integer

-- name: helper_appointment_one
-- $1 appointment, $2 helper. No row unless the helper arranged it (the caller answers 404 either way).
SELECT appointment_json(a, true)::text AS j
FROM appointment a
WHERE a.id = $1::uuid AND helper_arranged(a.id, $2::uuid)

-- name: attendee_seats
-- $1 appointment (locked by the caller). What a seat check needs: the room's capacity (null without a room), the
-- persons, the staff taking part and the attendees who come in person.
SELECT rm.capacity AS room_capacity, a.persons::integer AS persons,
    (SELECT count(*) FROM appointment_reservation r WHERE r.appointment_id = a.id AND r.staff_id IS NOT NULL)::integer AS staff,
    (SELECT count(*) FROM appointment_attendee t WHERE t.appointment_id = a.id AND t.mode = 'inPerson')::integer AS in_person
FROM appointment a
LEFT JOIN appointment_reservation rr ON rr.appointment_id = a.id AND rr.room_id IS NOT NULL
LEFT JOIN room rm ON rm.id = rr.room_id
WHERE a.id = $1::uuid

-- name: attendee_insert
-- $1 appointment, $2 kind, $3 helper account (or null), $4 language (interpreters), $5 mode, $6 name (or null),
-- $7 who adds (or null for the bootstrap admin), $8 now. No row when $3 is not an active helper account.
INSERT INTO appointment_attendee (appointment_id, kind, helper_id, language, mode, name, added_by, created_at)
SELECT $1::uuid, $2, $3::uuid, $4, $5, btrim($6), $7::uuid, $8::timestamptz
WHERE $3::uuid IS NULL OR EXISTS (SELECT 1 FROM staff s WHERE s.id = $3::uuid AND s.role = 'helper' AND s.active)
RETURNING id::text AS id

-- name: attendee_delete
-- $1 appointment, $2 attendee. No row when that attendee is not of that appointment.
DELETE FROM appointment_attendee WHERE appointment_id = $1::uuid AND id = $2::uuid
RETURNING kind, mode
