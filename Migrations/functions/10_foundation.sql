-- Repeatable: applied with CREATE OR REPLACE after the numbered migrations on every migrate, in file-name order,
-- so changing a function here needs no new migration. Functions and views only; tables and data stay in
-- Migrations/sql. A definition that cannot be replaced in place (a changed return type or argument names) needs a
-- numbered migration that drops the old one first.

-- True when PostgreSQL knows the IANA time zone name. Used by a CHECK so no location can get a zone that would
-- break its calendar day.
CREATE OR REPLACE FUNCTION is_time_zone(tz text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM now() AT TIME ZONE tz;
    RETURN tz <> '' AND tz !~ '^[+-]?[0-9]';
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END $$;

-- The audit log's append-only trigger function lives in 90_audit.sql with the rest of the audit's guards.

-- RFC 3339 text of an instant in a location's time zone, e.g. 2026-03-29T03:00:00+02:00. The offset comes from
-- PostgreSQL's own time zone database, so daylight saving time is always right.
CREATE OR REPLACE FUNCTION rfc3339(ts timestamptz, tz text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    -- One expression without FROM, so the planner inlines it into the calling statement's cached plan instead of
    -- planning a sub-query on every call (measured: that planning cost take-a-number more than its work). The
    -- output is what the earlier sub-query form gave, for every zone (offsets truncated to minutes).
    SELECT to_char(ts AT TIME ZONE tz, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN (ts AT TIME ZONE tz) = (ts AT TIME ZONE 'UTC') THEN 'Z'
                WHEN (ts AT TIME ZONE tz) < (ts AT TIME ZONE 'UTC')
                THEN to_char((ts AT TIME ZONE 'UTC') - (ts AT TIME ZONE tz), '"-"HH24:MI')
                ELSE to_char((ts AT TIME ZONE tz) - (ts AT TIME ZONE 'UTC'), '"+"HH24:MI') END
$$;

-- The same in the installation's display zone (setting loket.time_zone, default Europe/Amsterdam), for things
-- that belong to no location.
CREATE OR REPLACE FUNCTION rfc3339(ts timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT rfc3339(ts, coalesce(nullif(current_setting('loket.time_zone', true), ''), 'Europe/Amsterdam'))
$$;
