-- The public booking catalogue: what a booking form (Open Formulieren's appointment plugin, Loket's own pages) asks
-- before it books. Public data only: names, codes, limits and addresses, never staff, services or rooms. "Today" is
-- each location's local date of the app's clock ($1), passed in.

-- name: booking_appointment_types
-- $1 now, $2 appointment types already chosen (ids; empty: none), $3 location (id or null: any). Active public
-- types offered at the location (or at any location), and only those that can be booked together with the chosen
-- ones in one appointment. Loket books one type per appointment (persons = the amount), so with one type chosen
-- only that type combines (its amount can still grow up to amountLimit), and with two different types none does.
WITH chosen AS (SELECT DISTINCT c::uuid AS id FROM unnest($2::text[]) AS c)
SELECT coalesce(json_agg(json_build_object(
        'id', t.id, 'code', t.code, 'name', t.name, 'amountLimit', t.max_persons,
        'durationMinutes', t.duration_minutes, 'extraMinutesPerPerson', t.extra_minutes_per_person)
    ORDER BY t.name, t.code), '[]')::text AS j
FROM appointment_type t
WHERE t.active AND t.public_booking
  AND NOT EXISTS (SELECT 1 FROM chosen WHERE chosen.id <> t.id)
  AND EXISTS (SELECT 1 FROM location l WHERE ($3::uuid IS NULL OR l.id = $3::uuid)
              AND appointment_type_offered_at(t, l, ($1::timestamptz AT TIME ZONE l.time_zone)::date))

-- name: booking_locations
-- $1 now, $2 appointment types (ids; empty: any). Active locations where every one of the types is offered (with
-- none given: where any public type is), with the address for the form and the invitation.
WITH wanted AS (SELECT DISTINCT w::uuid AS id FROM unnest($2::text[]) AS w)
SELECT coalesce(json_agg(json_build_object(
        'id', l.id, 'code', l.code, 'name', l.name, 'address', l.street_address, 'postalCode', l.postal_code,
        'city', l.city, 'timeZone', l.time_zone) ORDER BY l.name, l.code), '[]')::text AS j
FROM location l
WHERE l.active
  AND CASE WHEN EXISTS (SELECT 1 FROM wanted)
      THEN NOT EXISTS (SELECT 1 FROM wanted LEFT JOIN appointment_type t ON t.id = wanted.id
                       WHERE t.id IS NULL OR NOT appointment_type_offered_at(t, l, ($1::timestamptz AT TIME ZONE l.time_zone)::date))
      ELSE EXISTS (SELECT 1 FROM appointment_type t
                   WHERE appointment_type_offered_at(t, l, ($1::timestamptz AT TIME ZONE l.time_zone)::date)) END

-- name: booking_customer_fields
-- $1 appointment types (ids). What each active public type asks of the citizen (migration 0008): name, e-mail and
-- phone each required, optional or hidden, and whether at least one of e-mail or phone is needed. Types that are
-- unknown, inactive or not public give no row.
SELECT t.id::text AS id, t.name_field, t.email_field, t.phone_field, t.contact_required
FROM appointment_type t
WHERE t.id = ANY ($1::uuid[]) AND t.active AND t.public_booking
ORDER BY t.id

-- name: booking_location_address_set
-- $1 location, $2 street and number, $3 postal code (normalised "1234 AB" or empty), $4 city. The address booking
-- forms and invitations show (migration 0008's columns); the answer is the location as the catalogue lists it.
UPDATE location SET street_address = $2, postal_code = $3, city = $4 WHERE id = $1
RETURNING json_build_object('id', id, 'code', code, 'name', name, 'address', street_address, 'postalCode', postal_code,
                            'city', city, 'timeZone', time_zone)::text AS j
