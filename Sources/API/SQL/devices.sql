-- Registered kiosk devices as the administration page sees them: list per location and revoke. Registering is
-- `kiosk_insert` of admin.sql (PageRoutes). The token itself is never stored or shown again: only its SHA-256.

-- name: kiosk_list
-- $1 location, $2 include revoked ones
SELECT coalesce(json_agg(json_build_object('id', k.id, 'locationId', k.location_id, 'name', k.name, 'active', k.active,
                                           'createdAt', rfc3339(k.created_at, l.time_zone))
                         ORDER BY k.active DESC, k.name, k.created_at), '[]')::text AS j
FROM kiosk_device k JOIN location l ON l.id = k.location_id
WHERE k.location_id = $1 AND (k.active OR $2::boolean)

-- name: kiosk_revoke
-- $1 kiosk. A revoked token no longer counts as a kiosk (kiosk_device_valid checks `active`); it cannot be restored,
-- a new registration gives a new token.
UPDATE kiosk_device k SET active = false FROM location l
WHERE k.id = $1 AND l.id = k.location_id
RETURNING json_build_object('id', k.id, 'locationId', k.location_id, 'name', k.name, 'active', k.active,
                            'createdAt', rfc3339(k.created_at, l.time_zone))::text AS j
