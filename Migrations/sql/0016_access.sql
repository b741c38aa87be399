-- Roles, walls, audit and sessions (issue 11): coordinators limited to locations and/or their own agency, session
-- idle expiry, the audit log's retention and its search.

-- A coordinator's scope. `all_locations` true (the default, and what every coordinator was before this migration):
-- a loket-wide coordinator; false: only the locations listed in staff_location_scope (none listed: no location at
-- all, never "all" by accident). `own_agency_only`: the coordinator acts on their own agency's staff, appointment
-- types and data only. Admins are never limited (the columns are ignored for them); staff and helpers are walled by
-- their role already.
ALTER TABLE staff ADD COLUMN all_locations boolean NOT NULL DEFAULT true;
ALTER TABLE staff ADD COLUMN own_agency_only boolean NOT NULL DEFAULT false;

CREATE TABLE staff_location_scope (
    staff_id     uuid NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    location_id  uuid NOT NULL REFERENCES location(id),
    PRIMARY KEY (staff_id, location_id)
);
CREATE INDEX staff_location_scope_location ON staff_location_scope (location_id);

-- Idle expiry: a session unused for LOKET_SESSION_IDLE_MINUTES ends, whatever its absolute expiry. Refreshed at most
-- once a minute per session, so an active page does not write on every request.
ALTER TABLE session ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();
UPDATE session SET last_seen_at = created_at;

-- Audit search: newest first by id (the primary key), filtered by actor, object, or period.
CREATE INDEX audit_log_staff ON audit_log (staff_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- How long audit entries are kept (days). Admins change it (PUT /api/v1/audit/retention); audit_purge() reads it and
-- never deletes anything younger than 30 days, whatever the setting says.
INSERT INTO setting (key, value) VALUES ('audit_retention_days', '365') ON CONFLICT (key) DO NOTHING;

-- Nobody but the owner gets to change or empty the audit log; the trigger (Migrations/functions/90_audit.sql) then
-- refuses the owner too, except for the purge function's deletion of entries older than the retention.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;

-- TRUNCATE skips row triggers: refuse it with a statement trigger of the same function.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
