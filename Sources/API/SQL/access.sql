-- Roles, walls, audit and sessions (issue 11): the coordinator scope's subjects, setting a scope, the audit search,
-- the audit retention, and ending every session of a person.

-- name: scope_subjects
-- What a coordinator route's path names, resolved for the scope check: the locations of a room and a desk, the
-- agency of a staff member, the agencies whose services an appointment type needs. $1 room, $2 desk, $3 staff
-- member, $4 appointment type (each null when the path has none). Unknown ids resolve to nothing (the handler's 404).
SELECT coalesce(array_remove(ARRAY[(SELECT location_id FROM room WHERE id = $1::uuid),
                                   (SELECT location_id FROM desk WHERE id = $2::uuid)], NULL), '{}')::text[] AS location_ids,
       (coalesce(array_remove(ARRAY[(SELECT agency_id FROM staff WHERE id = $3::uuid)], NULL), '{}')
        || coalesce((SELECT array_agg(DISTINCT s.agency_id) FROM appointment_type_requirement r JOIN service s ON s.id = r.service_id
                     WHERE r.appointment_type_id = $4::uuid), '{}'))::text[] AS agency_ids

-- name: staff_set_scope
-- $1 staff member, $2 all locations (null: unchanged), $3 own agency only (null: unchanged), $4 the locations
-- (null: unchanged; replaces the list). One row when the staff member exists.
WITH s AS (
    UPDATE staff SET all_locations = coalesce($2::boolean, all_locations), own_agency_only = coalesce($3::boolean, own_agency_only)
    WHERE id = $1 RETURNING id
), gone AS (
    DELETE FROM staff_location_scope l USING s
    WHERE l.staff_id = s.id AND $4::uuid[] IS NOT NULL AND l.location_id <> ALL ($4::uuid[])
), added AS (
    INSERT INTO staff_location_scope (staff_id, location_id)
    SELECT s.id, x FROM s, unnest($4::uuid[]) AS x WHERE $4::uuid[] IS NOT NULL
    ON CONFLICT DO NOTHING
)
SELECT id FROM s

-- name: staff_revoke_sessions
-- Ends every session of a staff member ("log out everywhere"). $1 staff member; one row when they exist.
WITH s AS (SELECT id FROM staff WHERE id = $1),
gone AS (DELETE FROM session x USING s WHERE x.staff_id = s.id RETURNING 1)
SELECT s.id, (SELECT count(*) FROM gone)::int AS revoked FROM s

-- name: audit_search
-- Audit entries, newest first. $1 actor (staff id or username), $2 object type, $3 object id, $4 person: entries
-- whose object is that id (a ticket, appointment or staff member), that name it in their detail, and for an
-- appointment (its id or reference) also those about its ticket; $5 from, $6 to (RFC 3339, or a date: the whole
-- local day in Europe/Amsterdam), $7 entries before this id (the cursor), $8 at most this many. Every filter is
-- optional (null).
WITH actor AS (
    SELECT id FROM staff WHERE id::text = lower($1) OR lower(username) = lower($1)
), appointment_ids AS (
    SELECT a.id FROM appointment a
    WHERE $4::text IS NOT NULL AND (a.id::text = lower($4) OR a.reference = upper($4))
), person AS (
    SELECT lower($4::text) AS id WHERE $4::text IS NOT NULL
    UNION SELECT id::text FROM appointment_ids
    UNION SELECT t.id::text FROM ticket t JOIN appointment_ids a ON t.appointment_id = a.id
), bounds AS (
    SELECT CASE WHEN $5::text ~ '^\d{4}-\d{2}-\d{2}$' THEN $5::date::timestamp AT TIME ZONE 'Europe/Amsterdam' ELSE $5::timestamptz END AS from_at,
           CASE WHEN $6::text ~ '^\d{4}-\d{2}-\d{2}$' THEN ($6::date + 1)::timestamp AT TIME ZONE 'Europe/Amsterdam' ELSE $6::timestamptz END AS to_at
)
SELECT l.id::text AS id,
       json_build_object('id', l.id::text, 'at', rfc3339(l.at),
           'actor', CASE WHEN l.staff_id IS NULL THEN json_build_object('id', NULL, 'username', 'bootstrap-admin', 'displayName', 'Bootstrap admin')
                         ELSE json_build_object('id', l.staff_id, 'username', st.username, 'displayName', st.display_name) END,
           'agencyId', l.agency_id, 'action', l.action, 'objectType', l.subject_type, 'objectId', l.subject_id,
           'detail', l.detail)::text AS j
FROM audit_log l LEFT JOIN staff st ON st.id = l.staff_id, bounds b
WHERE ($1::text IS NULL OR l.staff_id IN (SELECT id FROM actor))
  AND ($2::text IS NULL OR l.subject_type = $2)
  AND ($3::text IS NULL OR l.subject_id = $3)
  AND ($4::text IS NULL OR l.subject_id IN (SELECT id FROM person)
       OR EXISTS (SELECT FROM person p WHERE jsonb_path_exists(l.detail, 'strict $.** ? (@ == $p)', jsonb_build_object('p', p.id))))
  AND (b.from_at IS NULL OR l.at >= b.from_at)
  AND (b.to_at IS NULL OR l.at < b.to_at)
  AND ($7::bigint IS NULL OR l.id < $7::bigint)
ORDER BY l.id DESC
LIMIT $8

-- name: audit_retention_get
SELECT audit_retention_days() AS days

-- name: audit_purge
-- Deletes audit entries older than the retention, through the owner's SECURITY DEFINER function (the only way the
-- application can delete audit entries). $1 now.
SELECT audit_purge($1::timestamptz) AS deleted
