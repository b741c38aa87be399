-- Foundation of a shared loket: agencies, locations, desks, services, staff, sessions, audit.
-- Invariants live here as constraints, so no code path (or hand-written SQL) can break them.

CREATE EXTENSION IF NOT EXISTS pgcrypto;    -- gen_random_bytes for opaque tokens made in SQL
CREATE EXTENSION IF NOT EXISTS btree_gist;  -- EXCLUDE constraints mixing equality and ranges (scheduling)

-- True when PostgreSQL knows the IANA time zone name. Used by a CHECK so no location can get a zone that would
-- break its calendar day.
CREATE FUNCTION is_time_zone(tz text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM now() AT TIME ZONE tz;
    RETURN tz <> '' AND tz !~ '^[+-]?[0-9]';
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END $$;

-- An agency takes part in the shared loket (Gemeente, UWV, SVB, Belastingdienst, …).
CREATE TABLE agency (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Codes appear in URLs and exports; keep them short, lowercase and stable.
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A physical place with a shared desk area. Its time zone defines its calendar day (ticket numbers restart daily).
CREATE TABLE location (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    time_zone   text NOT NULL DEFAULT 'Europe/Amsterdam' CHECK (is_time_zone(time_zone)),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE desk (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    location_id  uuid NOT NULL REFERENCES location(id),
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- The display calls visitors to a desk by name: two desks with one name at a location would send people astray.
    UNIQUE (location_id, name)
);

-- A service is one question an agency answers at the desk. Kiosks group services by life question, not by agency.
CREATE TABLE service (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id         uuid NOT NULL REFERENCES agency(id),
    code              text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,47}$'),
    name              text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    -- Names in other languages for kiosks: {"en": "…", "ar": "…"}; Dutch is `name`.
    translations      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(translations) = 'object'),
    life_question     text NOT NULL DEFAULT 'other'
                      CHECK (life_question IN ('money', 'documents', 'taxes', 'study', 'work', 'housing', 'care', 'other')),
    ticket_prefix     text NOT NULL CHECK (ticket_prefix ~ '^[A-Z]$'),
    duration_minutes  integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 480),
    -- Urgent by nature ("no money for food today"): its tickets go before all normal ones.
    urgent            boolean NOT NULL DEFAULT false,
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- Target of composite foreign keys that keep staff within their own agency's services.
    UNIQUE (id, agency_id)
);

CREATE TABLE service_location (
    service_id   uuid NOT NULL REFERENCES service(id) ON DELETE CASCADE,
    location_id  uuid NOT NULL REFERENCES location(id),
    PRIMARY KEY (service_id, location_id)
);
CREATE INDEX service_location_location ON service_location (location_id);

CREATE TABLE staff (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id      uuid NOT NULL REFERENCES agency(id),
    username       text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    -- Argon2id string from libsodium (crypto_pwhash_str); never the password itself.
    password_hash  text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    display_name   text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 200),
    role           text NOT NULL CHECK (role IN ('staff', 'coordinator', 'admin')),
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, agency_id)
);
-- Usernames are unique regardless of case, so "Jan" and "jan" cannot be two accounts.
CREATE UNIQUE INDEX staff_username ON staff (lower(username));

-- Which services a staff member serves. The composite keys guarantee a staff member only ever serves services of
-- their own agency, which is what keeps each agency's personal data behind its own wall.
CREATE TABLE staff_service (
    staff_id    uuid NOT NULL,
    service_id  uuid NOT NULL,
    agency_id   uuid NOT NULL,
    PRIMARY KEY (staff_id, service_id),
    FOREIGN KEY (staff_id, agency_id) REFERENCES staff (id, agency_id) ON DELETE CASCADE,
    FOREIGN KEY (service_id, agency_id) REFERENCES service (id, agency_id) ON DELETE CASCADE
);
CREATE INDEX staff_service_service ON staff_service (service_id);

-- Bearer sessions. Only a SHA-256 of the token is stored, so a leaked table cannot be replayed.
CREATE TABLE session (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    staff_id    uuid NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX session_staff ON session (staff_id);
CREATE INDEX session_expires ON session (expires_at);

-- Failed logins per username, to slow down password guessing.
CREATE TABLE login_throttle (
    username        text PRIMARY KEY,
    failures        integer NOT NULL CHECK (failures >= 0),
    last_failure_at timestamptz NOT NULL
);

-- Settings of the installation, such as the hash of the bootstrap admin token.
CREATE TABLE setting (
    key    text PRIMARY KEY,
    value  text NOT NULL
);

-- Append-only record of every read or change of personal data and every administrative change.
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    staff_id     uuid REFERENCES staff(id),      -- null for the bootstrap admin token
    agency_id    uuid REFERENCES agency(id),
    action       text NOT NULL,
    subject_type text NOT NULL,
    subject_id   text,
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id);

-- An audit log that can be edited proves nothing: refuse UPDATE and DELETE outright.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
