-- Idempotency-Key for POSTs (`Idempotency.swift`, table of migration 0009). Claim, the route's own work and the
-- stored answer run in one transaction; "now" is the application's clock.

-- name: idempotency_claim
-- $1 scope, $2 the key's SHA-256 (Idempotency.storedKey: the key itself is never stored), $3 fingerprint (32 bytes), $4 now. Returns a row when this request owns the key: a new one, or
-- one whose 24 hours have passed (overwritten). No row: another request holds it; the claim waited on the primary
-- key until that one committed, and `idempotency_replay` (a new statement, so a new snapshot) reads its answer.
INSERT INTO idempotency_key AS k (scope, key, fingerprint, created_at, expires_at)
VALUES ($1, $2, $3, $4::timestamptz, $4::timestamptz + interval '24 hours')
ON CONFLICT (scope, key) DO UPDATE
    SET fingerprint = EXCLUDED.fingerprint, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
        response_status = NULL, response_content_type = NULL, response_body = NULL
    WHERE k.expires_at <= $4::timestamptz
RETURNING 1 AS claimed

-- name: idempotency_replay
-- $1 scope, $2 key, $3 fingerprint. The stored answer (body as hex) and whether it was for the same request.
SELECT fingerprint = $3 AS same_request, response_status, response_content_type,
       encode(response_body, 'hex') AS response_body
FROM idempotency_key
WHERE scope = $1 AND key = $2

-- name: idempotency_store
-- $1 scope, $2 the key's SHA-256, $3 status, $4 content type, $5 body sealed with a secret derived from the key (only
-- its client can read it back): the answer of the request that claimed the key.
UPDATE idempotency_key
SET response_status = $3, response_content_type = $4, response_body = $5
WHERE scope = $1 AND key = $2

-- name: purge_idempotency_keys
-- $1 now (the application's clock).
DELETE FROM idempotency_key WHERE expires_at <= $1::timestamptz
