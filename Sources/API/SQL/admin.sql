-- Administration of agencies, locations, desks, services and staff. Every statement renders its answer as JSON
-- in PostgreSQL (json_build_object), so null stays null and times come out in RFC 3339 with their offset.

-- name: agency_insert
-- $1 code, $2 name, $3 default ticket prefix (nullable)
INSERT INTO agency (code, name, ticket_prefix) VALUES ($1, btrim($2), $3)
RETURNING json_build_object('id', id, 'code', code, 'name', name, 'ticketPrefix', ticket_prefix,
                            'appointmentRetentionDays', appointment_retention_days, 'active', active, 'createdAt', rfc3339(created_at))::text AS j

-- name: agency_list
SELECT coalesce(json_agg(json_build_object('id', id, 'code', code, 'name', name, 'ticketPrefix', ticket_prefix,
                                           'appointmentRetentionDays', appointment_retention_days, 'active', active, 'createdAt', rfc3339(created_at)) ORDER BY name), '[]')::text AS j
FROM agency WHERE active OR $1::boolean

-- name: agency_get
SELECT json_build_object('id', id, 'code', code, 'name', name, 'ticketPrefix', ticket_prefix, 'appointmentRetentionDays', appointment_retention_days, 'active', active, 'createdAt', rfc3339(created_at))::text AS j
FROM agency WHERE id = $1

-- name: agency_update
-- $1 id, $2 name, $3 active, $4 default ticket prefix, $5 days appointments keep personal data (null: unchanged)
UPDATE agency SET name = coalesce(btrim($2), name), active = coalesce($3::boolean, active),
    ticket_prefix = coalesce($4, ticket_prefix), appointment_retention_days = coalesce($5::int, appointment_retention_days) WHERE id = $1
RETURNING json_build_object('id', id, 'code', code, 'name', name, 'ticketPrefix', ticket_prefix,
                            'appointmentRetentionDays', appointment_retention_days, 'active', active, 'createdAt', rfc3339(created_at))::text AS j

-- name: location_insert
INSERT INTO location (code, name, time_zone) VALUES ($1, btrim($2), $3)
RETURNING json_build_object('id', id, 'code', code, 'name', name, 'timeZone', time_zone, 'active', active,
                            'createdAt', rfc3339(created_at, time_zone))::text AS j

-- name: location_list
SELECT coalesce(json_agg(json_build_object('id', id, 'code', code, 'name', name, 'timeZone', time_zone, 'active', active,
                                           'createdAt', rfc3339(created_at, time_zone)) ORDER BY name), '[]')::text AS j
FROM location WHERE active OR $1::boolean

-- name: location_get
SELECT json_build_object('id', id, 'code', code, 'name', name, 'timeZone', time_zone, 'active', active,
                         'createdAt', rfc3339(created_at, time_zone))::text AS j
FROM location WHERE id = $1

-- name: location_update
UPDATE location SET name = coalesce(btrim($2), name), time_zone = coalesce($3, time_zone), active = coalesce($4::boolean, active)
WHERE id = $1
RETURNING json_build_object('id', id, 'code', code, 'name', name, 'timeZone', time_zone, 'active', active,
                            'createdAt', rfc3339(created_at, time_zone))::text AS j

-- name: desk_insert
INSERT INTO desk (location_id, name) VALUES ($1, btrim($2))
RETURNING json_build_object('id', id, 'locationId', location_id, 'name', name, 'active', active, 'createdAt', rfc3339(created_at))::text AS j

-- name: desk_list
SELECT coalesce(json_agg(json_build_object('id', id, 'locationId', location_id, 'name', name, 'active', active,
                                           'createdAt', rfc3339(created_at)) ORDER BY length(name), name), '[]')::text AS j
FROM desk WHERE location_id = $1 AND (active OR $2::boolean)

-- name: desk_get
SELECT json_build_object('id', id, 'locationId', location_id, 'name', name, 'active', active, 'createdAt', rfc3339(created_at))::text AS j
FROM desk WHERE id = $1

-- name: desk_update
UPDATE desk SET name = coalesce(btrim($2), name), active = coalesce($3::boolean, active) WHERE id = $1
RETURNING json_build_object('id', id, 'locationId', location_id, 'name', name, 'active', active, 'createdAt', rfc3339(created_at))::text AS j

-- name: service_insert
-- $1 agency, $2 code, $3 name, $4 own prefix (null: the agency's), $5 minutes, $6 urgent, $7 location ids,
-- $8 life question, $9 translations, $10 sensitive
WITH s AS (
    INSERT INTO service (agency_id, code, name, own_ticket_prefix, duration_minutes, urgent, life_question, translations, sensitive)
    VALUES ($1, $2, btrim($3), $4, $5, $6, coalesce($8, 'other'), coalesce($9::jsonb, '{}'), $10)
    RETURNING *
), l AS (
    INSERT INTO service_location (service_id, location_id)
    SELECT s.id, x FROM s, unnest($7::uuid[]) AS x
    ON CONFLICT DO NOTHING
)
SELECT s.id FROM s

-- name: service_set_locations
WITH gone AS (DELETE FROM service_location WHERE service_id = $1 AND location_id <> ALL ($2::uuid[]))
INSERT INTO service_location (service_id, location_id) SELECT $1, x FROM unnest($2::uuid[]) AS x ON CONFLICT DO NOTHING

-- name: service_update
-- $1 id, $2 name, $3 own prefix, $4 minutes, $5 urgent, $6 life question, $7 translations, $8 active,
-- $9 use the agency's prefix (drops the own one), $10 sensitive
UPDATE service SET name = coalesce(btrim($2), name),
    own_ticket_prefix = CASE WHEN $9::boolean THEN NULL ELSE coalesce($3, own_ticket_prefix) END,
    sensitive = coalesce($10::boolean, sensitive),
    duration_minutes = coalesce($4, duration_minutes), urgent = coalesce($5::boolean, urgent),
    life_question = coalesce($6, life_question), translations = coalesce($7::jsonb, translations),
    active = coalesce($8::boolean, active)
WHERE id = $1
RETURNING id

-- name: service_get
SELECT json_build_object('id', s.id, 'agencyId', s.agency_id, 'code', s.code, 'name', s.name,
        'translations', s.translations, 'lifeQuestion', s.life_question, 'ticketPrefix', s.ticket_prefix,
        'ownTicketPrefix', s.own_ticket_prefix, 'sensitive', s.sensitive, 'durationMinutes', s.duration_minutes, 'urgent', s.urgent, 'active', s.active,
        'locationIds', coalesce((SELECT json_agg(sl.location_id ORDER BY sl.location_id) FROM service_location sl WHERE sl.service_id = s.id), '[]'),
        'createdAt', rfc3339(s.created_at))::text AS j
FROM service s WHERE s.id = $1

-- name: service_list
SELECT coalesce(json_agg(json_build_object('id', s.id, 'agencyId', s.agency_id, 'code', s.code, 'name', s.name,
        'translations', s.translations, 'lifeQuestion', s.life_question, 'ticketPrefix', s.ticket_prefix,
        'ownTicketPrefix', s.own_ticket_prefix, 'sensitive', s.sensitive, 'durationMinutes', s.duration_minutes, 'urgent', s.urgent, 'active', s.active,
        'locationIds', coalesce((SELECT json_agg(sl.location_id ORDER BY sl.location_id) FROM service_location sl WHERE sl.service_id = s.id), '[]'),
        'createdAt', rfc3339(s.created_at)) ORDER BY s.name), '[]')::text AS j
FROM service s WHERE (s.active OR $1::boolean) AND ($2::uuid IS NULL OR s.agency_id = $2)

-- name: staff_insert
-- $1 agency, $2 username, $3 password hash, $4 display name, $5 role, $6 service ids
WITH s AS (
    INSERT INTO staff (agency_id, username, password_hash, display_name, role)
    VALUES ($1, lower($2), $3, btrim($4), $5)
    RETURNING id, agency_id
), l AS (
    INSERT INTO staff_service (staff_id, service_id, agency_id)
    SELECT s.id, x, s.agency_id FROM s, unnest($6::uuid[]) AS x
    ON CONFLICT DO NOTHING
)
SELECT s.id FROM s

-- name: staff_set_services
WITH gone AS (DELETE FROM staff_service WHERE staff_id = $1 AND service_id <> ALL ($2::uuid[]))
INSERT INTO staff_service (staff_id, service_id, agency_id)
SELECT $1, x, (SELECT agency_id FROM staff WHERE id = $1) FROM unnest($2::uuid[]) AS x ON CONFLICT DO NOTHING

-- name: staff_update
UPDATE staff SET display_name = coalesce(btrim($2), display_name), role = coalesce($3, role),
    password_hash = coalesce($4, password_hash), active = coalesce($5::boolean, active)
WHERE id = $1
RETURNING id

-- name: staff_end_sessions
DELETE FROM session WHERE staff_id = $1

-- name: staff_get
SELECT json_build_object('id', s.id, 'agencyId', s.agency_id, 'username', s.username, 'displayName', s.display_name,
        'role', s.role, 'active', s.active,
        'serviceIds', coalesce((SELECT json_agg(x.service_id ORDER BY x.service_id) FROM staff_service x WHERE x.staff_id = s.id), '[]'),
        'scope', json_build_object('allLocations', s.all_locations, 'ownAgencyOnly', s.own_agency_only,
            'locationIds', coalesce((SELECT json_agg(l.location_id ORDER BY l.location_id) FROM staff_location_scope l WHERE l.staff_id = s.id), '[]')),
        'createdAt', rfc3339(s.created_at))::text AS j
FROM staff s WHERE s.id = $1

-- name: staff_list
SELECT coalesce(json_agg(json_build_object('id', s.id, 'agencyId', s.agency_id, 'username', s.username,
        'displayName', s.display_name, 'role', s.role, 'active', s.active,
        'serviceIds', coalesce((SELECT json_agg(x.service_id ORDER BY x.service_id) FROM staff_service x WHERE x.staff_id = s.id), '[]'),
        'scope', json_build_object('allLocations', s.all_locations, 'ownAgencyOnly', s.own_agency_only,
            'locationIds', coalesce((SELECT json_agg(l.location_id ORDER BY l.location_id) FROM staff_location_scope l WHERE l.staff_id = s.id), '[]')),
        'createdAt', rfc3339(s.created_at)) ORDER BY s.username), '[]')::text AS j
FROM staff s WHERE (s.active OR $1::boolean) AND ($2::uuid IS NULL OR s.agency_id = $2)

-- name: audit
-- $1 staff, $2 agency, $3 action, $4 subject type, $5 subject id, $6 detail (field names, never values)
INSERT INTO audit_log (staff_id, agency_id, action, subject_type, subject_id, detail)
VALUES ($1, $2, $3, $4, $5, coalesce($6::jsonb, '{}'))

-- name: close_location_day
-- $1 location, $2 reason, $3 closing staff member, $4 now
INSERT INTO location_closure (location_id, service_day, reason, closed_by)
SELECT l.id, ($4::timestamptz AT TIME ZONE l.time_zone)::date, $2, $3 FROM location l WHERE l.id = $1
ON CONFLICT (location_id, service_day) DO UPDATE SET reason = excluded.reason
RETURNING service_day::text AS day

-- name: reopen_location_day
-- $1 location, $2 now. One row when the location exists (reopened or already open), none when it does not.
WITH l AS (SELECT id, time_zone FROM location WHERE id = $1),
gone AS (DELETE FROM location_closure c USING l
         WHERE c.location_id = l.id AND c.service_day = ($2::timestamptz AT TIME ZONE l.time_zone)::date)
SELECT l.id FROM l

-- name: kiosk_insert
INSERT INTO kiosk_device (location_id, name, token_hash) VALUES ($1, btrim($2), $3)
RETURNING json_build_object('id', id, 'locationId', location_id, 'name', name, 'active', active, 'createdAt', rfc3339(created_at))::text AS j

-- name: kiosk_device_valid
SELECT 1 FROM kiosk_device WHERE token_hash = $1 AND location_id = $2 AND active
