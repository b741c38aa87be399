-- The audit log's guards (migrations 0001 and 0017). Two layers, because the application's database role may be the
-- tables' owner (the embedded cluster: one superuser) or a separate role (a deployment with least privilege):
-- * privileges: a separate application role gets no UPDATE, DELETE or TRUNCATE on audit_log at all
--   (loket_grant_app_role below); only audit_purge(), owned by the migration owner, deletes, and only old entries.
-- * the trigger: refuses UPDATE, TRUNCATE and DELETE for everyone, the owner included, except the purge function's
--   deletion of entries older than the retention. An owner or superuser can still drop the trigger: privileges and
--   triggers cannot restrain the role that owns the table (see README "Audit").
--
-- The guards read the database's own clock (now()), unlike Loket's statements, which take "now" from the app: a
-- guard must not trust the time its caller names.

-- Retention in days as the purge and the trigger apply it: the admin's setting, never below 30 days (whoever can
-- write the setting with the application's login must not be able to wipe last month) and at most 10 years;
-- missing or malformed → 365.
CREATE OR REPLACE FUNCTION audit_retention_days() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT least(3650, greatest(30, coalesce(
        (SELECT CASE WHEN value ~ '^[0-9]{1,5}$' THEN value::integer END FROM setting WHERE key = 'audit_retention_days'), 365)))
$$;

-- An audit log that can be edited proves nothing: UPDATE, DELETE and TRUNCATE are refused, except the deletion of
-- entries older than the retention while audit_purge() runs (it sets loket.audit_purge for its transaction; setting
-- it by hand still deletes nothing younger than the retention).
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('loket.audit_purge', true) = 'on'
       AND OLD.at < now() - make_interval(days => audit_retention_days()) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$;

-- Deletes the audit entries older than the retention (as of `as_of`, never later than the database's own now) and
-- returns how many. SECURITY DEFINER: it runs with its owner's (the migration owner's) rights, so an application
-- role without DELETE on audit_log can still purge, and only this way.
CREATE OR REPLACE FUNCTION audit_purge(as_of timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM set_config('loket.audit_purge', 'on', true);
    DELETE FROM audit_log WHERE at < least(as_of, now()) - make_interval(days => audit_retention_days());
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('loket.audit_purge', 'off', true);
    RETURN n;
END $$;

-- For a deployment with two roles: run as the owner (who ran `loket migrate`) to give the application's role what
-- Loket needs — every table and sequence, every function — except UPDATE, DELETE and TRUNCATE on audit_log.
-- Run it again after migrations that add tables.
CREATE OR REPLACE FUNCTION loket_grant_app_role(app_role name) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', app_role);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO %I', app_role);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO %I', app_role);
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %I', app_role);
END $$;
