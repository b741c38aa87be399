-- The coordinator console's reads (CoordinatorRoutes): who can be planned, the names that go with a proposed time,
-- and a week of availability, absences and bookings of chosen staff side by side. Nothing here reads the citizen's
-- fields: a coordinator plans with times, staff and rooms; the appointment itself is read through its own routes.

-- name: coordinator_staff_directory
-- $1 agency (null: all). Active accounts that can take part in appointments (helpers serve no services and are left
-- out), with their agency and services: what the planning form and the week view choose from. Names only, no logins.
SELECT coalesce(json_agg(json_build_object('id', s.id, 'displayName', s.display_name, 'role', s.role,
        'agencyId', s.agency_id, 'agencyName', a.name,
        'serviceIds', coalesce((SELECT json_agg(x.service_id ORDER BY x.service_id) FROM staff_service x WHERE x.staff_id = s.id), '[]'))
        ORDER BY a.name, s.display_name, s.id), '[]')::text AS j
FROM staff s JOIN agency a ON a.id = s.agency_id
WHERE s.active AND s.role <> 'helper' AND ($1::uuid IS NULL OR s.agency_id = $1)

-- name: coordinator_names
-- $1 staff ids, $2 service ids, $3 room ids. One row per known id with what a proposal shows of it: a staff member's
-- display name and agency, a service's name, a room's name and capacity.
SELECT 'staff' AS kind, s.id::text AS id, s.display_name AS name, a.id::text AS agency_id, a.name AS agency_name, 0 AS capacity
FROM staff s JOIN agency a ON a.id = s.agency_id WHERE s.id = ANY ($1::uuid[])
UNION ALL
SELECT 'service', v.id::text, v.name, v.agency_id::text, a.name, 0
FROM service v JOIN agency a ON a.id = v.agency_id WHERE v.id = ANY ($2::uuid[])
UNION ALL
SELECT 'room', r.id::text, r.name, NULL, NULL, r.capacity FROM room r WHERE r.id = ANY ($3::uuid[])

-- name: coordinator_staff_week
-- $1 location, $2 first local date (the week's Monday, or any day), $3 staff ids in the order to show them, $4 the
-- live statuses (AppointmentStatus.reservesResources), $5 now (a hold that has expired blocks no one and is not shown).
-- For each of those staff over the seven local days from $2:
-- availability at this location expanded to instants (weekly_rule_applies, as the slot search does), absences
-- overlapping the week (times only: the reason is personal data the week view does not need) and their live
-- appointments at any location (a person is in one place) with reference, type, room and location — never the
-- citizen. Times are RFC 3339 in this location's zone. No row when the location does not exist.
WITH l AS (SELECT id, time_zone AS tz,
                  tstzrange($2::date::timestamp AT TIME ZONE time_zone, ($2::date + 7)::timestamp AT TIME ZONE time_zone) AS span
           FROM location WHERE id = $1),
days AS (SELECT $2::date + n AS day FROM generate_series(0, 6) AS n),
who AS (SELECT s.id, s.display_name, s.agency_id, a.name AS agency_name, x.o
        FROM unnest($3::uuid[]) WITH ORDINALITY AS x (id, o) JOIN staff s ON s.id = x.id JOIN agency a ON a.id = s.agency_id)
SELECT json_build_object('locationId', l.id, 'timeZone', l.tz, 'from', $2::date, 'to', $2::date + 6,
    'staff', coalesce((SELECT json_agg(json_build_object(
        'staffId', w.id, 'displayName', w.display_name, 'agencyId', w.agency_id, 'agencyName', w.agency_name,
        'available', coalesce((
            SELECT json_agg(json_build_object('start', rfc3339((d.day + v.starts) AT TIME ZONE l.tz, l.tz),
                                              'end', rfc3339((d.day + v.ends) AT TIME ZONE l.tz, l.tz)) ORDER BY d.day, v.starts)
            FROM staff_availability v CROSS JOIN days d
            WHERE v.staff_id = w.id AND v.location_id = l.id
              AND weekly_rule_applies(v.weekday, v.valid_from, v.valid_until, v.every_other_week, d.day)), '[]'),
        'absences', coalesce((
            SELECT json_agg(json_build_object('id', b.id, 'start', rfc3339(lower(b.during), l.tz), 'end', rfc3339(upper(b.during), l.tz))
                            ORDER BY lower(b.during))
            FROM staff_absence b WHERE b.staff_id = w.id AND b.during && l.span), '[]'),
        'appointments', coalesce((
            SELECT json_agg(json_build_object('id', p.id, 'reference', p.reference, 'status', p.status,
                                              'start', rfc3339(p.starts_at, l.tz), 'end', rfc3339(p.ends_at, l.tz),
                                              'typeName', t.name, 'roomName', rm.name, 'locationId', p.location_id,
                                              'locationName', lo.name, 'joint', (SELECT count(*) FROM appointment_reservation q
                                                  WHERE q.appointment_id = p.id AND q.staff_id IS NOT NULL) > 1)
                            ORDER BY p.starts_at)
            FROM appointment_reservation r JOIN appointment p ON p.id = r.appointment_id
            JOIN appointment_type t ON t.id = p.appointment_type_id JOIN location lo ON lo.id = p.location_id
            LEFT JOIN appointment_reservation rr ON rr.appointment_id = p.id AND rr.room_id IS NOT NULL
            LEFT JOIN room rm ON rm.id = rr.room_id
            WHERE r.staff_id = w.id AND r.appointment_status = ANY ($4::text[])
              AND (p.held_until IS NULL OR p.held_until > $5::timestamptz)
              AND tstzrange(p.starts_at, p.ends_at) && l.span), '[]'))
        ORDER BY w.o) FROM who w), '[]'))::text AS j
FROM l

-- name: coordinator_find_reference
-- $1 location, $2 reference (upper case). The appointment a reference read out over the phone names at this location:
-- references are unique per location and booking year (appointment_reference_unique), so the newest booking year
-- wins. Its id and state only: the caller reads the appointment itself through GET /appointments/{id} (audited).
SELECT a.id::text AS id, a.status FROM appointment a
WHERE a.location_id = $1 AND a.reference = $2
ORDER BY a.reference_year DESC LIMIT 1
