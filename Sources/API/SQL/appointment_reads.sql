-- Reading appointments: the staff lists, one appointment, and the citizen's manage link. Every answer is
-- appointment_json (functions/60_appointments.sql), the one shape of an appointment.
--
-- The agency wall is in the WHERE clause of each staff statement, not in Swift: with `all` false (role staff) an
-- appointment exists for the caller only when one of its reservations carries the caller's agency. Such an
-- appointment is answered with the citizen's fields (the caller's agency takes part, joint or not); every other one
-- is not answered at all, so a filter (staffId, locationId) can narrow a list but never widen it past the wall.
-- Coordinators and admins (`all` true) see every appointment with the citizen's fields. The caller audits every
-- answer that holds personal data, on the same connection and in the same transaction.

-- name: appointment_read_list
-- $1 all (coordinator or admin), $2 the caller's agency (null for the bootstrap admin), $3 location or null,
-- $4 from (inclusive) and $5 to (exclusive): the appointment's start lies in [from, to), $6 staff member taking part
-- or null, $7 statuses or null for every status, $8 and $9 the cursor (start and id of the previous page's last
-- item) or null, $10 the most rows to return. Ordered by start, then id (the cursor's order).
SELECT appointment_json(a, true)::text AS j, a.id::text AS id, epoch_us(a.starts_at)::text AS start_us
FROM appointment a
WHERE a.starts_at >= $4::timestamptz AND a.starts_at < $5::timestamptz
  AND ($3::uuid IS NULL OR a.location_id = $3::uuid)
  AND ($7::text[] IS NULL OR a.status = ANY ($7::text[]))
  AND ($1::boolean OR EXISTS (SELECT 1 FROM appointment_reservation r
                              WHERE r.appointment_id = a.id AND r.agency_id = $2::uuid))
  AND ($6::uuid IS NULL OR EXISTS (SELECT 1 FROM appointment_reservation r
                                   WHERE r.appointment_id = a.id AND r.staff_id = $6::uuid))
  AND ($8::timestamptz IS NULL OR (a.starts_at, a.id) > ($8::timestamptz, $9::uuid))
ORDER BY a.starts_at, a.id
LIMIT $10::integer

-- name: appointment_read_one
-- $1 appointment, $2 all (coordinator or admin), $3 the caller's agency. No row when it does not exist or lies
-- behind the wall (the caller answers 404 for both: whether it exists is not the caller's business).
SELECT appointment_json(a, true)::text AS j
FROM appointment a
WHERE a.id = $1::uuid
  AND ($2::boolean OR EXISTS (SELECT 1 FROM appointment_reservation r
                              WHERE r.appointment_id = a.id AND r.agency_id = $3::uuid))

-- name: appointment_read_manage
-- $1 SHA-256 of the manage token, $2 the app's now, $3 the statuses a citizen may still manage (from the state
-- machine: those that can be cancelled). The appointment with the citizen's fields plus what a citizen needs to find
-- it: the location's name and address and the appointment type's name. No row once the start has passed, for
-- other statuses (cancelled, done, …), and for a hold whose time ran out (it blocks nobody any more and will be
-- cancelled by the next booking of its resources): the token dies with the appointment.
SELECT (appointment_json(a, true) || jsonb_build_object(
            'locationName', l.name,
            'locationAddress', jsonb_build_object('streetAddress', l.street_address, 'postalCode', l.postal_code, 'city', l.city),
            'appointmentTypeName', t.name))::text AS j
FROM appointment a
JOIN location l ON l.id = a.location_id
JOIN appointment_type t ON t.id = a.appointment_type_id
WHERE a.manage_token_hash = $1::bytea
  AND a.status = ANY ($3::text[])
  AND a.starts_at > $2::timestamptz
  -- Only a hold has held_until (CHECK appointment_hold), and past it the hold is over.
  AND (a.held_until IS NULL OR a.held_until > $2::timestamptz)
