-- Idempotency-Key (issue 9): a client that retries a POST after a network glitch (a kiosk taking a number, a phone
-- booking an appointment) gets the first answer again instead of a second ticket or booking.
--
-- A request claims its key by inserting the row in the same transaction as the operation itself and stores the
-- answer before commit, so claim, operation and answer commit together or not at all. Only successful (2xx) answers
-- are ever committed: a refused request rolls back its claim, so a corrected retry with the same key runs normally.
CREATE TABLE idempotency_key (
    -- The route's scope and who is asking ("ticket staff:<id>", "ticket device:<sha-256>", "ticket anonymous"):
    -- keys are the client's own names, so two clients (or two routes) choosing the same key never share an answer.
    scope                 text NOT NULL CHECK (length(scope) BETWEEN 1 AND 200),
    -- 1–255 printable ASCII characters, as the API validates them.
    key                   text NOT NULL CHECK (length(key) BETWEEN 1 AND 255 AND key ~ '^[ -~]+$'),
    -- SHA-256 of method, path, query and body: the same key with another request is refused (422), never answered
    -- with this one's answer.
    fingerprint           bytea NOT NULL CHECK (length(fingerprint) = 32),
    -- The stored answer. NULL only while the claiming transaction runs (nobody else can see the row then); a
    -- committed row always has one, because the answer is written before commit and anything else rolls back.
    -- Only the same caller (scope) gets it back; it holds what that caller was already shown, and at most 24 hours.
    response_status       integer CHECK (response_status BETWEEN 200 AND 299),
    response_content_type text,
    response_body         bytea,
    created_at            timestamptz NOT NULL DEFAULT now(),
    -- 24 hours after the claim, by the application's clock. Later the key is free again: a claim overwrites the
    -- expired row and the periodic jobs purge what nobody reused.
    expires_at            timestamptz NOT NULL,
    -- The unique index is the guarantee: a concurrent retry's claim waits on it until the first transaction ends,
    -- then finds the stored answer (first committed) or claims the key itself (first rolled back). Two requests with
    -- one key can never both run the operation, whatever the number of processes.
    PRIMARY KEY (scope, key),
    CHECK (expires_at > created_at)
);

-- The purge deletes by expiry.
CREATE INDEX idempotency_key_expires_at ON idempotency_key (expires_at);
