-- Booking, confirming, rescheduling and cancelling appointments (AppointmentRoutes). The search's own statements
-- (availability.sql) load the day being booked; these write. "Now" is always a parameter (the app's clock), and
-- statuses come from AppointmentStateMachine: every UPDATE is `WHERE status = ANY($sources)` and sets `$target`.
-- The exclusion constraints of appointment_reservation (migration 0008) are the last word on double booking.

-- name: appointment_booking_context
-- $1 location, $2 appointment type, $3 the wanted start, $4 now. What the booking needs besides the search's head:
-- the customer fields the type asks, the local date of the start (the day to load), whether the start lies on the
-- location's local 15-minute grid, and the local year of booking (it scopes the reference's uniqueness).
SELECT t.name_field, t.email_field, t.phone_field, t.contact_required,
    (($3::timestamptz AT TIME ZONE l.time_zone)::date)::text AS day,
    (extract(minute FROM $3::timestamptz AT TIME ZONE l.time_zone)::integer % 15 = 0
        AND extract(second FROM $3::timestamptz AT TIME ZONE l.time_zone) = 0) AS on_grid,
    extract(year FROM $4::timestamptz AT TIME ZONE l.time_zone)::integer AS reference_year
FROM location l, appointment_type t
WHERE l.id = $1 AND t.id = $2

-- name: appointment_staff_load
-- $1 location, $2 local date, $3 now, $4 the live statuses (AppointmentStatus.reservesResources). How many live
-- reservations each staff member has on that local day (at any location: it is one person's day), holds until they
-- expire (only a hold has held_until: CHECK appointment_hold): Loket spreads the load by offering the least-booked
-- qualified staff member first.
WITH l AS (SELECT tstzrange($2::date::timestamp AT TIME ZONE time_zone, ($2::date + 1)::timestamp AT TIME ZONE time_zone) AS span
           FROM location WHERE id = $1)
SELECT r.staff_id::text AS staff_id, count(*)::integer AS booked
FROM l JOIN appointment_reservation r ON r.during && l.span
JOIN appointment a ON a.id = r.appointment_id
WHERE r.staff_id IS NOT NULL AND r.appointment_status = ANY ($4::text[])
  AND (a.held_until IS NULL OR a.held_until > $3::timestamptz)
GROUP BY r.staff_id

-- name: appointment_expire_holds
-- $1 staff ids, $2 room id (or null), $3 and $4 the buffered interval about to be reserved, $5 now, $6 sources and
-- $7 target of the `expire` move. Cancels the expired holds that still occupy those resources in that time, in the
-- booking's own transaction, so an expired hold never blocks anyone and no cleanup job has to have run. Two bookers
-- racing for the same expired hold: the second waits for the first's row lock, then finds it no longer held.
-- The live statuses are written out (the exclusion constraints' own predicate; $6 is a subset): without them a
-- generic plan of this prepared statement cannot use those partial indexes and scans every reservation ever made
-- (AppointmentPlanTests; README, booking benchmark).
UPDATE appointment a SET status = $7, cancel_reason = 'hold expired', sequence = a.sequence + 1, updated_at = $5::timestamptz
WHERE a.status = ANY ($6::text[]) AND a.held_until <= $5::timestamptz
  AND a.id IN (SELECT r.appointment_id FROM appointment_reservation r
               WHERE (r.staff_id = ANY ($1::uuid[]) OR r.room_id = $2::uuid)
                 AND r.during && tstzrange($3::timestamptz, $4::timestamptz)
                 AND r.appointment_status IN ('held', 'booked', 'checkedIn')
                 AND r.appointment_status = ANY ($6::text[]))
RETURNING a.location_id::text AS location_id

-- name: appointment_insert
-- $1 location, $2 type, $3 reference, $4 its year, $5 status, $6 start, $7 end, $8 persons, $9 held until (null
-- unless held), $10–$15 the citizen (name, e-mail, phone, language, needs, note), $16 SHA-256 of the manage token
-- (null for staff bookings), $17 booking staff member (null for the public), $18 now. No row when the reference is
-- taken at this location this year: the caller draws another (no error, so the transaction stays usable).
INSERT INTO appointment (location_id, appointment_type_id, reference, reference_year, status, starts_at, ends_at, persons,
                         held_until, citizen_name, citizen_email, citizen_phone, citizen_language, needs, needs_note,
                         manage_token_hash, booked_by, created_at, updated_at)
VALUES ($1, $2, $3, $4::smallint, $5, $6::timestamptz, $7::timestamptz, $8::smallint, $9::timestamptz, $10, $11, $12,
        coalesce($13, 'nl'), $14::text[], $15, $16::bytea, $17::uuid, $18::timestamptz, $18::timestamptz)
ON CONFLICT ON CONSTRAINT appointment_reference_unique DO NOTHING
RETURNING id::text AS id

-- name: appointment_reserve
-- $1 appointment, $2 staff ids in requirement order, $3 their services, $4 room (or null), $5 and $6 the buffered
-- interval. One row per participant (agency from the staff record, which the composite keys check against the
-- service) and one for the room, with the appointment's status. Rows are written in resource id order so two
-- bookings of overlapping joint slots wait for each other in one order instead of deadlocking. A resource taken
-- meanwhile fails here with 23P01 (appointment_reservation_staff_free / _room_free).
INSERT INTO appointment_reservation (appointment_id, appointment_status, position, staff_id, service_id, agency_id, room_id, during)
SELECT a.id, a.status, x.position, x.staff_id, x.service_id, x.agency_id, x.room_id, tstzrange($5::timestamptz, $6::timestamptz)
FROM appointment a CROSS JOIN LATERAL (
    SELECT (p.n - 1)::smallint AS position, p.staff_id, p.service_id, s.agency_id, NULL::uuid AS room_id
    FROM unnest($2::uuid[], $3::uuid[]) WITH ORDINALITY AS p (staff_id, service_id, n) JOIN staff s ON s.id = p.staff_id
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, $4::uuid WHERE $4::uuid IS NOT NULL) AS x
WHERE a.id = $1
ORDER BY coalesce(x.staff_id, x.room_id)

-- name: appointment_lock
-- $1 appointment id (or null), $2 SHA-256 of a manage token (or null). The appointment, locked for the change about
-- to be made, with what the access checks and the moves need: the participating agencies and current resources.
SELECT a.id::text AS id, a.location_id::text AS location_id, a.appointment_type_id::text AS type_id, a.status,
    epoch_us(a.starts_at)::text AS starts_at, epoch_us(a.held_until)::text AS held_until, a.persons::integer AS persons,
    coalesce((SELECT array_agg(DISTINCT r.agency_id::text) FROM appointment_reservation r
              WHERE r.appointment_id = a.id AND r.agency_id IS NOT NULL), '{}') AS agencies,
    coalesce((SELECT array_agg(r.staff_id::text ORDER BY r.position) FROM appointment_reservation r
              WHERE r.appointment_id = a.id AND r.staff_id IS NOT NULL), '{}') AS staff,
    (SELECT r.room_id::text FROM appointment_reservation r WHERE r.appointment_id = a.id AND r.room_id IS NOT NULL) AS room_id
FROM appointment a
WHERE a.id = $1::uuid OR a.manage_token_hash = $2::bytea
FOR UPDATE OF a

-- name: appointment_confirm
-- $1 appointment, $2 sources, $3 target of `confirm`, $4 now. A hold becomes a booking while it has not expired.
UPDATE appointment SET status = $3, held_until = NULL, updated_at = $4::timestamptz
WHERE id = $1 AND status = ANY ($2::text[]) AND held_until > $4::timestamptz
RETURNING id::text AS id

-- name: appointment_cancel
-- $1 appointment, $2 sources, $3 target of `cancel`, $4 reason (or null), $5 now. The cascading key frees every
-- reservation in the same statement; SEQUENCE rises so calendars replace the invitation with its cancellation.
UPDATE appointment SET status = $3, cancel_reason = $4, sequence = sequence + 1, updated_at = $5::timestamptz
WHERE id = $1 AND status = ANY ($2::text[])
RETURNING id::text AS id

-- name: appointment_move
-- $1 appointment, $2 sources, $3 target of `reschedule`, $4 new start, $5 new end, $6 now. The new reservations are
-- written by appointment_reserve in the same transaction, after appointment_reservations_clear.
UPDATE appointment SET status = $3, starts_at = $4::timestamptz, ends_at = $5::timestamptz, sequence = sequence + 1,
    updated_at = $6::timestamptz
WHERE id = $1 AND status = ANY ($2::text[])
RETURNING id::text AS id

-- name: appointment_reservations_clear
-- $1 appointment. Before a reschedule writes the new reservations: the search must not see the appointment in its
-- own way, and if anything fails the transaction restores them.
DELETE FROM appointment_reservation WHERE appointment_id = $1

-- name: appointment_bump_calendar
-- $1 location. Every booking, confirm, reschedule, cancel and expiry changes free times: the search's cache
-- (keyed by calendar_version) must not answer from before it. Called last, right before COMMIT (after the answer is
-- read): the version row stays locked until COMMIT and every booking at the location queues for it.
SELECT bump_calendar_versions(ARRAY[$1::uuid])::text AS bumped

-- name: appointment_answer
-- $1 appointment, $2 personal (with the citizen's fields). The one JSON shape (appointment_json).
SELECT appointment_json(a, $2::boolean)::text AS j FROM appointment a WHERE a.id = $1
