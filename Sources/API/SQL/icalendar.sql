-- iCalendar (issue 9): what an invitation file or a subscription feed says about an appointment. Only what a
-- calendar needs: times, reference, where (location, address, room), which agencies take part (their names) — never
-- the citizen's data, the appointment type or the services (they tell why someone comes). Times leave as microseconds
-- since the epoch; the ICalendar module writes them in the location's zone.

-- name: invite_get
-- $1 appointment, $2 the staff member the file is for (null: the citizen's file), $3 SHA-256 of a manage token
-- (null: none), $4 now, $5 the statuses in which the manage link works (AppointmentReadRoutes.manageableStatuses).
-- `token_valid`: the token is this appointment's and still works (such a status, start in the future, a hold not
-- yet expired), exactly as for the citizen's manage link (appointment_read_manage).
SELECT a.id::text AS id, a.reference, a.status, a.sequence,
       epoch_us(a.starts_at) AS starts_us, epoch_us(a.ends_at) AS ends_us,
       epoch_us(a.created_at) AS created_us, epoch_us(a.updated_at) AS updated_us,
       l.name AS location_name, l.street_address, l.postal_code, l.city, l.email AS location_email, l.time_zone,
       (SELECT rm.name FROM appointment_reservation r JOIN room rm ON rm.id = r.room_id
        WHERE r.appointment_id = a.id AND r.room_id IS NOT NULL) AS room_name,
       coalesce((SELECT array_agg(g.name ORDER BY p.first_position)
                 FROM (SELECT r.agency_id, min(r.position) AS first_position FROM appointment_reservation r
                       WHERE r.appointment_id = a.id AND r.agency_id IS NOT NULL GROUP BY r.agency_id) AS p
                 JOIN agency g ON g.id = p.agency_id), '{}') AS agency_names,
       coalesce((SELECT array_agg(DISTINCT r.agency_id::text) FROM appointment_reservation r
                 WHERE r.appointment_id = a.id AND r.agency_id IS NOT NULL), '{}') AS agency_ids,
       coalesce(a.manage_token_hash = $3::bytea AND a.status = ANY ($5::text[]) AND a.starts_at > $4::timestamptz
                AND (a.held_until IS NULL OR a.held_until > $4::timestamptz), false) AS token_valid,
       s.id::text AS recipient_id, s.display_name AS recipient_name, s.email AS recipient_email
FROM appointment a
JOIN location l ON l.id = a.location_id
LEFT JOIN appointment_reservation rs ON rs.appointment_id = a.id AND rs.staff_id = $2::uuid
LEFT JOIN staff s ON s.id = rs.staff_id
WHERE a.id = $1::uuid

-- name: feed_insert
-- $1 token hash, $2 staff member or $3 room (exactly one; active), $4 who made it (null: bootstrap token), $5 now.
-- No row: the staff member or room does not exist or is inactive.
INSERT INTO calendar_feed (token_hash, staff_id, room_id, created_by, created_at)
SELECT $1::bytea, s.id, r.id, $4::uuid, $5::timestamptz
FROM (SELECT) AS one
LEFT JOIN staff s ON s.id = $2::uuid AND s.active
LEFT JOIN room r ON r.id = $3::uuid AND r.active
WHERE (s.id IS NOT NULL) <> (r.id IS NOT NULL)
RETURNING id::text AS id, json_build_object('id', id, 'staffId', staff_id, 'roomId', room_id, 'createdBy', created_by,
    'createdAt', rfc3339(created_at, 'UTC'), 'revokedAt', null)::text AS j

-- name: feed_list
-- $1 only this staff member's feeds (null: any), $2 only this room's (null: any), $3 include revoked ones.
SELECT coalesce(json_agg(json_build_object('id', f.id, 'staffId', f.staff_id, 'roomId', f.room_id, 'createdBy', f.created_by,
           'createdAt', rfc3339(f.created_at, 'UTC'), 'revokedAt', rfc3339(f.revoked_at, 'UTC'))
       ORDER BY f.created_at DESC, f.id), '[]')::text AS j
FROM calendar_feed f
WHERE ($1::uuid IS NULL OR f.staff_id = $1::uuid) AND ($2::uuid IS NULL OR f.room_id = $2::uuid)
  AND ($3::boolean OR f.revoked_at IS NULL)

-- name: feed_revoke
-- $1 feed, $2 only when it is this staff member's feed (null: any feed), $3 now. Revoking twice keeps the first
-- moment. No row: no such feed (for this staff member).
UPDATE calendar_feed SET revoked_at = coalesce(revoked_at, $3::timestamptz)
WHERE id = $1::uuid AND ($2::uuid IS NULL OR staff_id = $2::uuid)
RETURNING id::text AS id, staff_id::text AS staff_id, room_id::text AS room_id

-- name: feed_get
-- $1 token hash. A live feed of an active staff member or room, with the name its calendar shows. No row: unknown,
-- revoked, or its subject is inactive — all 404.
SELECT f.id::text AS id, f.staff_id::text AS staff_id, f.room_id::text AS room_id,
       coalesce(s.display_name, r.name || ' (' || l.name || ')') AS name
FROM calendar_feed f
LEFT JOIN staff s ON s.id = f.staff_id AND s.active
LEFT JOIN room r ON r.id = f.room_id AND r.active
LEFT JOIN location l ON l.id = r.location_id
WHERE f.token_hash = $1::bytea AND f.revoked_at IS NULL AND (s.id IS NOT NULL OR r.id IS NOT NULL)

-- name: feed_events
-- $1 staff member or $2 room, $3 now, $4 the end of the window, $5 the statuses that will happen (ICalendarRoutes
-- .feedStatuses: booked and checked in). Such appointments that have not ended and start before the window's end, in
-- start order; the columns of invite_get without the recipient and the token.
SELECT a.id::text AS id, a.reference, a.status, a.sequence,
       epoch_us(a.starts_at) AS starts_us, epoch_us(a.ends_at) AS ends_us,
       epoch_us(a.created_at) AS created_us, epoch_us(a.updated_at) AS updated_us,
       l.name AS location_name, l.street_address, l.postal_code, l.city, l.email AS location_email, l.time_zone,
       (SELECT rm.name FROM appointment_reservation r JOIN room rm ON rm.id = r.room_id
        WHERE r.appointment_id = a.id AND r.room_id IS NOT NULL) AS room_name,
       coalesce((SELECT array_agg(g.name ORDER BY p.first_position)
                 FROM (SELECT r.agency_id, min(r.position) AS first_position FROM appointment_reservation r
                       WHERE r.appointment_id = a.id AND r.agency_id IS NOT NULL GROUP BY r.agency_id) AS p
                 JOIN agency g ON g.id = p.agency_id), '{}') AS agency_names
FROM appointment_reservation mine
JOIN appointment a ON a.id = mine.appointment_id
JOIN location l ON l.id = a.location_id
WHERE (mine.staff_id = $1::uuid OR mine.room_id = $2::uuid)
  -- The same statuses and time test as the exclusion constraints' index, so it serves this read.
  AND mine.appointment_status = ANY ($5::text[])
  AND mine.during && tstzrange($3::timestamptz, $4::timestamptz)
  AND a.ends_at > $3::timestamptz AND a.starts_at < $4::timestamptz
ORDER BY a.starts_at, a.id
LIMIT 2000
