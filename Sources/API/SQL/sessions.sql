-- Logins, bearer/cookie sessions and the throttle that slows password guessing.

-- name: staff_for_login
SELECT id, password_hash, active FROM staff WHERE lower(username) = lower($1)

-- name: throttle_reserve
-- Reserves one password check for this username before it is made ($2 = now). One statement: parallel attempts
-- queue on the row lock and each sees the count the one before left, so 60 parallel guesses still get only 5 checks.
-- The first 5 attempts are free; after that each must wait 1 s after the last allowed one, doubling per attempt,
-- capped at 5 minutes (the exponent is capped too, so a row attacked for days cannot overflow). A refused attempt
-- changes nothing; a successful login deletes the row (throttle_clear). `failures` counts attempts not yet cleared.
WITH attempt AS (
    INSERT INTO login_throttle AS t (username, failures, last_failure_at) VALUES (lower($1), 1, $2::timestamptz)
    ON CONFLICT (username) DO UPDATE SET failures = t.failures + 1, last_failure_at = $2::timestamptz
    WHERE t.failures < 5
       OR t.last_failure_at + make_interval(secs => least(power(2, least(t.failures - 5, 9)), 300)) <= $2::timestamptz
    RETURNING 1
)
SELECT EXISTS (SELECT FROM attempt) AS allowed,
       coalesce((SELECT greatest(1, ceil(extract(epoch FROM
                    last_failure_at + make_interval(secs => least(power(2, least(failures - 5, 9)), 300)) - $2::timestamptz)))::int
                 FROM login_throttle WHERE username = lower($1)), 1) AS wait

-- name: throttle_clear
DELETE FROM login_throttle WHERE username = lower($1)

-- name: session_insert
-- $1 token digest, $2 staff id, $3 hours, $4 now. created_at comes from the same clock as expires_at, so the
-- table's CHECK (expires_at > created_at) holds whatever clock the app runs on.
INSERT INTO session (token_hash, staff_id, created_at, last_seen_at, expires_at)
VALUES ($1, $2, $4::timestamptz, $4::timestamptz, $4::timestamptz + make_interval(hours => $3))
RETURNING rfc3339(expires_at) AS expires_at

-- name: session_actor
-- The actor of a token digest: a staff session, or the bootstrap admin token (one round trip for both). Comparing
-- digests of 256-bit random tokens leaks nothing useful through timing. $2: the bootstrap token is allowed (bearer
-- only, never from a cookie); $3 now; $4 idle minutes (0: no idle expiry): a session unused that long has ended.
-- `touch`: last seen over a minute ago, so the caller records this use (session_touch) — at most one write a minute.
-- The coordinator's scope comes along (staff_location_scope: empty unless the admin listed locations).
SELECT false AS bootstrap, s.id, s.agency_id, s.role, s.username, s.display_name, rfc3339(x.expires_at) AS expires_at,
       coalesce((SELECT array_agg(ss.service_id ORDER BY ss.service_id) FROM staff_service ss WHERE ss.staff_id = s.id), '{}') AS service_ids,
       s.all_locations, s.own_agency_only,
       coalesce((SELECT array_agg(l.location_id ORDER BY l.location_id) FROM staff_location_scope l WHERE l.staff_id = s.id), '{}') AS location_ids,
       x.last_seen_at <= $3::timestamptz - interval '1 minute' AS touch
FROM session x JOIN staff s ON s.id = x.staff_id
WHERE x.token_hash = $1 AND x.expires_at > $3::timestamptz AND s.active
  AND ($4::integer <= 0 OR x.last_seen_at > $3::timestamptz - make_interval(mins => $4::integer))
UNION ALL
SELECT true, NULL, NULL, 'admin', 'bootstrap-admin', 'Bootstrap admin', NULL, '{}', true, false, '{}', false
FROM setting WHERE key = 'bootstrap_admin_token_sha256' AND value = encode($1, 'hex') AND $2

-- name: session_touch
-- $1 token digest, $2 now. Never moves last_seen_at backwards.
UPDATE session SET last_seen_at = $2::timestamptz WHERE token_hash = $1 AND last_seen_at < $2::timestamptz

-- name: session_delete
DELETE FROM session WHERE token_hash = $1

-- name: setting_put
INSERT INTO setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value

-- name: setting_insert_if_missing
INSERT INTO setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key

-- name: purge_sessions
DELETE FROM session WHERE expires_at < $1::timestamptz - interval '1 day'

-- name: purge_login_throttle
DELETE FROM login_throttle WHERE last_failure_at < $1::timestamptz - interval '1 day'
