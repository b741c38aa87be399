-- Take-a-number speed (deploy/bench phase 3 measures it; README "Benchmarks" has the figures).
-- Measured with pg_stat_statements (track = all, track_planning = on) and EXPLAIN ANALYZE over 16 locations ×
-- 3 prefixes: the `take_number` statement itself runs on a cached generic plan, but the SQL functions it calls
-- (rfc3339 twice, service_recent_seconds, service_active_desks) are planned again on every call — PostgreSQL caches
-- no plan for a LANGUAGE sql function that it cannot inline — and that planning cost more than their execution.

-- ## Indexes

-- ticket_location_day (location_id, service_day) duplicates the leading columns of the UNIQUE index on
-- (location_id, service_day, number), which serves every lookup it served; each ticket insert paid for both.
DROP INDEX ticket_location_day;

-- The functions it calls became cheaper to plan as well: rfc3339 in functions/10_foundation.sql, the wait-estimate
-- inputs in functions/20_queue.sql.
