-- Logins, bearer/cookie sessions and the throttle that slows password guessing.

-- name: staff_for_login
SELECT id, password_hash, active FROM staff WHERE lower(username) = lower($1)

-- name: throttle_wait
-- Seconds the next attempt for this username must still wait: after 5 failures, 1 s, doubling per failure, capped at 5 minutes.
SELECT greatest(0, ceil(extract(epoch FROM
         last_failure_at + make_interval(secs => least(power(2, failures - 5), 300)) - now())))::int AS wait
FROM login_throttle WHERE username = lower($1) AND failures >= 5

-- name: throttle_fail
INSERT INTO login_throttle (username, failures, last_failure_at) VALUES (lower($1), 1, now())
ON CONFLICT (username) DO UPDATE SET failures = login_throttle.failures + 1, last_failure_at = now()

-- name: throttle_clear
DELETE FROM login_throttle WHERE username = lower($1)

-- name: session_insert
INSERT INTO session (token_hash, staff_id, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))
RETURNING rfc3339(expires_at) AS expires_at

-- name: session_actor
-- The actor of a token digest: a staff session, or the bootstrap admin token (one round trip for both). Comparing
-- digests of 256-bit random tokens leaks nothing useful through timing.
SELECT false AS bootstrap, s.id, s.agency_id, s.role, s.username, s.display_name, rfc3339(x.expires_at) AS expires_at,
       coalesce((SELECT array_agg(ss.service_id ORDER BY ss.service_id) FROM staff_service ss WHERE ss.staff_id = s.id), '{}') AS service_ids
FROM session x JOIN staff s ON s.id = x.staff_id
WHERE x.token_hash = $1 AND x.expires_at > now() AND s.active
UNION ALL
SELECT true, NULL, NULL, 'admin', 'bootstrap-admin', 'Bootstrap admin', NULL, '{}'
FROM setting WHERE key = 'bootstrap_admin_token_sha256' AND value = encode($1, 'hex') AND $2

-- name: session_delete
DELETE FROM session WHERE token_hash = $1

-- name: setting_put
INSERT INTO setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value

-- name: setting_insert_if_missing
INSERT INTO setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key

-- name: purge_sessions
DELETE FROM session WHERE expires_at < now() - interval '1 day'

-- name: purge_login_throttle
DELETE FROM login_throttle WHERE last_failure_at < now() - interval '1 day'
