-- Calendars: opening hours and closures of a location, rooms, staff availability and absences, appointment types.
-- Weekly rules are wall-clock times ("09:00") in the location's zone; absences are instants, answered in RFC 3339.
-- Replacements (PUT) run as a clear plus an insert in one transaction, after the Swift side validated everything.

-- name: calendar_location_lock
-- $1 location, $2 now. The location's zone and local today; the row lock serialises two replacements of one
-- location's calendar (NO KEY: taking numbers and other foreign keys to the location are not blocked).
SELECT id, time_zone AS tz, ($2::timestamptz AT TIME ZONE time_zone)::date::text AS today
FROM location WHERE id = $1 FOR NO KEY UPDATE

-- name: opening_hours_get
-- $1 location, $2 now. Closures from local today on; past ones are history and stay as they were.
SELECT json_build_object('locationId', l.id, 'timeZone', l.time_zone,
        'weekly', coalesce((SELECT json_agg(json_build_object('weekday', h.weekday, 'opens', to_char(h.opens, 'HH24:MI'),
                                    'closes', to_char(h.closes, 'HH24:MI'), 'validFrom', h.valid_from, 'validUntil', h.valid_until)
                                ORDER BY h.weekday, h.opens, h.valid_from NULLS FIRST)
                            FROM opening_hours h WHERE h.location_id = l.id), '[]'),
        'closures', coalesce((SELECT json_agg(json_build_object('date', c.service_day, 'reason', c.reason) ORDER BY c.service_day)
                              FROM location_closure c
                              WHERE c.location_id = l.id AND c.service_day >= ($2::timestamptz AT TIME ZONE l.time_zone)::date), '[]'),
        'closedOnPublicHolidays', l.closed_on_public_holidays, 'goodFridayClosed', l.good_friday_closed,
        'liberationDayClosed', l.liberation_day_closed)::text AS j
FROM location l WHERE l.id = $1

-- name: opening_hours_clear
-- $1 location, $2 local today: the weekly rules and the closures after today. Past closures are history; today's
-- may be the queue's "closed for the rest of today" a coordinator made a minute ago, so it stays with its closed_by
-- (closures_insert only updates its reason when the replacement names today; reopening is DELETE …/closure).
WITH weekly AS (DELETE FROM opening_hours WHERE location_id = $1)
DELETE FROM location_closure WHERE location_id = $1 AND service_day > $2::date

-- name: opening_hours_insert
-- $1 location, $2 weekdays, $3 opens, $4 closes, $5 valid from ('' = none), $6 valid until ('' = none)
INSERT INTO opening_hours (location_id, weekday, opens, closes, valid_from, valid_until)
SELECT $1, w::smallint, o::time, c::time, nullif(f, '')::date, nullif(u, '')::date
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x (w, o, c, f, u)

-- name: closures_insert
-- $1 location, $2 dates, $3 reasons, $4 staff member who planned them, $5 now. Only today's closure can exist
-- already (opening_hours_clear keeps it): it keeps who closed it and when, and takes the new reason.
INSERT INTO location_closure (location_id, service_day, reason, closed_by, closed_at)
SELECT $1, d::date, btrim(r), $4, $5::timestamptz FROM unnest($2::text[], $3::text[]) AS x (d, r)
ON CONFLICT (location_id, service_day) DO UPDATE SET reason = excluded.reason

-- name: location_holiday_settings
-- $1 location, $2 closed on public holidays, $3 Good Friday closed, $4 Liberation Day closed (null: unchanged)
UPDATE location SET closed_on_public_holidays = $2::boolean,
    good_friday_closed = coalesce($3::boolean, good_friday_closed),
    liberation_day_closed = coalesce($4::boolean, liberation_day_closed)
WHERE id = $1

-- name: room_insert
-- $1 location, $2 name, $3 capacity, $4 now
WITH r AS (INSERT INTO room (location_id, name, capacity, created_at)
           SELECT l.id, btrim($2), $3, $4::timestamptz FROM location l WHERE l.id = $1 RETURNING *)
SELECT json_build_object('id', r.id, 'locationId', r.location_id, 'name', r.name, 'capacity', r.capacity, 'active', r.active,
                         'createdAt', rfc3339(r.created_at, l.time_zone))::text AS j
FROM r JOIN location l ON l.id = r.location_id

-- name: room_list
-- $1 location, $2 include inactive. No row when the location does not exist.
SELECT coalesce((SELECT json_agg(json_build_object('id', r.id, 'locationId', r.location_id, 'name', r.name, 'capacity', r.capacity,
                                                   'active', r.active, 'createdAt', rfc3339(r.created_at, l.time_zone))
                                 ORDER BY length(r.name), r.name)
                 FROM room r WHERE r.location_id = l.id AND (r.active OR $2::boolean)), '[]')::text AS j
FROM location l WHERE l.id = $1

-- name: room_update
-- $1 id, $2 name, $3 capacity, $4 active (null: unchanged)
UPDATE room r SET name = coalesce(btrim($2), r.name), capacity = coalesce($3::integer, r.capacity),
    active = coalesce($4::boolean, r.active)
FROM location l WHERE r.id = $1 AND l.id = r.location_id
RETURNING json_build_object('id', r.id, 'locationId', r.location_id, 'name', r.name, 'capacity', r.capacity, 'active', r.active,
                            'createdAt', rfc3339(r.created_at, l.time_zone))::text AS j

-- name: staff_owner
-- $1 staff member: their agency, for "own", "own agency's" or "any" access to their calendar.
SELECT id, agency_id FROM staff WHERE id = $1

-- name: staff_calendar_lock
-- $1 staff member. Serialises two replacements of one staff member's availability, so the second replaces the first
-- instead of both sets ending up stored (NO KEY: sessions and other foreign keys to the staff row are not blocked).
SELECT id FROM staff WHERE id = $1 FOR NO KEY UPDATE

-- name: locations_existing
-- $1 location ids: those that exist.
SELECT id::text AS id FROM location WHERE id = ANY ($1::uuid[])

-- name: availability_get
-- $1 staff member
SELECT json_build_object('staffId', s.id,
        'intervals', coalesce((SELECT json_agg(json_build_object('locationId', a.location_id, 'weekday', a.weekday,
                                       'start', to_char(a.starts, 'HH24:MI'), 'end', to_char(a.ends, 'HH24:MI'),
                                       'validFrom', a.valid_from, 'validUntil', a.valid_until, 'everyOtherWeek', a.every_other_week)
                                   ORDER BY a.weekday, a.starts, a.valid_from NULLS FIRST, a.location_id)
                               FROM staff_availability a WHERE a.staff_id = s.id), '[]'))::text AS j
FROM staff s WHERE s.id = $1

-- name: availability_clear
DELETE FROM staff_availability WHERE staff_id = $1

-- name: availability_insert
-- $1 staff member, $2 locations, $3 weekdays, $4 starts, $5 ends, $6 valid from ('' = none), $7 valid until,
-- $8 every other week ('t'/'f')
INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends, valid_from, valid_until, every_other_week)
SELECT $1, l::uuid, w::smallint, s::time, e::time, nullif(f, '')::date, nullif(u, '')::date, a::boolean
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS x (l, w, s, e, f, u, a)

-- name: absence_insert
-- $1 staff member, $2 start, $3 end, $4 reason, $5 who entered it, $6 now
INSERT INTO staff_absence (staff_id, during, reason, created_by, created_at)
VALUES ($1, tstzrange($2::timestamptz, $3::timestamptz, '[)'), $4, $5, $6::timestamptz)
RETURNING json_build_object('id', id, 'staffId', staff_id, 'start', rfc3339(lower(during)), 'end', rfc3339(upper(during)),
                            'reason', reason, 'createdAt', rfc3339(created_at))::text AS j

-- name: absence_list
-- $1 staff member
SELECT coalesce(json_agg(json_build_object('id', id, 'staffId', staff_id, 'start', rfc3339(lower(during)),
                                           'end', rfc3339(upper(during)), 'reason', reason, 'createdAt', rfc3339(created_at))
                         ORDER BY lower(during)), '[]')::text AS j
FROM staff_absence WHERE staff_id = $1

-- name: absence_owner
-- $1 absence: whose it is.
SELECT a.staff_id, s.agency_id FROM staff_absence a JOIN staff s ON s.id = a.staff_id WHERE a.id = $1

-- name: absence_delete
DELETE FROM staff_absence WHERE id = $1

-- name: services_active
-- $1 service ids: those that exist and are active.
SELECT id::text AS id FROM service WHERE id = ANY ($1::uuid[]) AND active

-- name: appointment_type_insert
-- $1 code, $2 name, $3 minutes, $4 needs room, $5 buffer before, $6 buffer after, $7 min notice, $8 horizon days,
-- $9 max persons, $10 extra minutes per person, $11 public booking, $12 now
INSERT INTO appointment_type (code, name, duration_minutes, needs_room, buffer_before_minutes, buffer_after_minutes,
                              min_notice_minutes, horizon_days, max_persons, extra_minutes_per_person, public_booking, created_at)
VALUES ($1, btrim($2), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::timestamptz)
RETURNING id

-- name: appointment_type_update
-- $1 id, then the fields in insert order without code (null: unchanged), $12 active
UPDATE appointment_type SET name = coalesce(btrim($2), name), duration_minutes = coalesce($3::integer, duration_minutes),
    needs_room = coalesce($4::boolean, needs_room), buffer_before_minutes = coalesce($5::integer, buffer_before_minutes),
    buffer_after_minutes = coalesce($6::integer, buffer_after_minutes), min_notice_minutes = coalesce($7::integer, min_notice_minutes),
    horizon_days = coalesce($8::integer, horizon_days), max_persons = coalesce($9::integer, max_persons),
    extra_minutes_per_person = coalesce($10::integer, extra_minutes_per_person),
    public_booking = coalesce($11::boolean, public_booking), active = coalesce($12::boolean, active)
WHERE id = $1
RETURNING id

-- name: appointment_type_requirements_clear
DELETE FROM appointment_type_requirement WHERE appointment_type_id = $1

-- name: appointment_type_requirements_insert
-- $1 appointment type, $2 service ids in order (a service may repeat: two staff of one service)
INSERT INTO appointment_type_requirement (appointment_type_id, position, service_id)
SELECT $1, (o - 1)::smallint, s::uuid FROM unnest($2::text[]) WITH ORDINALITY AS x (s, o)

-- name: appointment_type_get
SELECT json_build_object('id', t.id, 'code', t.code, 'name', t.name, 'durationMinutes', t.duration_minutes,
        'needsRoom', t.needs_room,
        'requirements', coalesce((SELECT json_agg(json_build_object('serviceId', r.service_id) ORDER BY r.position)
                                  FROM appointment_type_requirement r WHERE r.appointment_type_id = t.id), '[]'),
        'bufferBeforeMinutes', t.buffer_before_minutes, 'bufferAfterMinutes', t.buffer_after_minutes,
        'minNoticeMinutes', t.min_notice_minutes, 'horizonDays', t.horizon_days, 'maxPersons', t.max_persons,
        'extraMinutesPerPerson', t.extra_minutes_per_person, 'publicBooking', t.public_booking, 'active', t.active,
        'createdAt', rfc3339(t.created_at))::text AS j
FROM appointment_type t WHERE t.id = $1

-- name: appointment_type_list
-- $1 include inactive
SELECT coalesce(json_agg(json_build_object('id', t.id, 'code', t.code, 'name', t.name, 'durationMinutes', t.duration_minutes,
        'needsRoom', t.needs_room,
        'requirements', coalesce((SELECT json_agg(json_build_object('serviceId', r.service_id) ORDER BY r.position)
                                  FROM appointment_type_requirement r WHERE r.appointment_type_id = t.id), '[]'),
        'bufferBeforeMinutes', t.buffer_before_minutes, 'bufferAfterMinutes', t.buffer_after_minutes,
        'minNoticeMinutes', t.min_notice_minutes, 'horizonDays', t.horizon_days, 'maxPersons', t.max_persons,
        'extraMinutesPerPerson', t.extra_minutes_per_person, 'publicBooking', t.public_booking, 'active', t.active,
        'createdAt', rfc3339(t.created_at)) ORDER BY t.name), '[]')::text AS j
FROM appointment_type t WHERE t.active OR $1::boolean

-- name: appointment_type_public_list
-- What a booking form needs, nothing internal (no services, buffers or rooms): active types open to citizens.
SELECT coalesce(json_agg(json_build_object('id', t.id, 'code', t.code, 'name', t.name, 'durationMinutes', t.duration_minutes,
        'maxPersons', t.max_persons, 'extraMinutesPerPerson', t.extra_minutes_per_person,
        'minNoticeMinutes', t.min_notice_minutes, 'horizonDays', t.horizon_days) ORDER BY t.name), '[]')::text AS j
FROM appointment_type t WHERE t.active AND t.public_booking
