-- Take-a-number speed (deploy/bench phase 3 measures it; README "Benchmarks" has the figures).
-- Measured with pg_stat_statements (track = all, track_planning = on) and EXPLAIN ANALYZE over 16 locations ×
-- 3 prefixes: the `take_number` statement itself runs on a cached generic plan, but the SQL functions it calls
-- (rfc3339 twice, service_recent_seconds, service_active_desks) are planned again on every call — PostgreSQL caches
-- no plan for a LANGUAGE sql function that it cannot inline — and that planning cost more than their execution.

-- ## Indexes

-- ticket_location_day (location_id, service_day) duplicates the leading columns of the UNIQUE index on
-- (location_id, service_day, number), which serves every lookup it served; each ticket insert paid for both.
DROP INDEX ticket_location_day;

-- ## Functions (CREATE OR REPLACE; to move into the repeatable functions folder at merge)

-- rfc3339: the same text as before (checked against the previous body for every zone in pg_timezone_names and
-- instants from 1900 on, including offsets with seconds, which are truncated to minutes as before), now as one
-- expression without FROM, so the planner inlines it into the calling statement and its cached plan instead of
-- planning a sub-query on every call. Offsets are positive or negative intervals of less than a day.
CREATE OR REPLACE FUNCTION rfc3339(ts timestamptz, tz text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(ts AT TIME ZONE tz, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN (ts AT TIME ZONE tz) = (ts AT TIME ZONE 'UTC') THEN 'Z'
                WHEN (ts AT TIME ZONE tz) < (ts AT TIME ZONE 'UTC')
                THEN to_char((ts AT TIME ZONE 'UTC') - (ts AT TIME ZONE tz), '"-"HH24:MI')
                ELSE to_char((ts AT TIME ZONE tz) - (ts AT TIME ZONE 'UTC'), '"+"HH24:MI') END
$$;

-- The wait-estimate inputs, unchanged in meaning, in PL/pgSQL: its statements keep their plans for the session
-- (a LANGUAGE sql function with an aggregate cannot be inlined and was planned again on every call).
CREATE OR REPLACE FUNCTION service_recent_seconds(p_service uuid) RETURNS float8[] LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(seconds ORDER BY ended_at DESC), '{}')
            FROM (SELECT extract(epoch FROM ended_at - coalesce(started_at, called_at))::float8 AS seconds, ended_at
                  FROM service_record
                  WHERE service_id = p_service AND result IN ('done', 'handover') AND ended_at > now() - interval '14 days'
                  ORDER BY ended_at DESC
                  LIMIT 20) AS recent);
END
$$;

CREATE OR REPLACE FUNCTION service_active_desks(p_service uuid) RETURNS integer LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT count(DISTINCT desk_id)::integer FROM (
                SELECT desk_id FROM service_record WHERE service_id = p_service AND ended_at > now() - interval '30 minutes'
                UNION
                SELECT desk_id FROM ticket WHERE service_id = p_service AND status IN ('called', 'serving')
            ) AS desks);
END
$$;
