-- Fixtures for the take-a-number spread benchmark (deploy/bench, phase 3): 16 locations × 3 services with their own
-- ticket prefixes (48 counters), one desk and one staff member per location, and a history of finished visits so
-- the statements read tables the size of a working installation, not an empty database.
--   psql -v history=50000 -f spread.sql    (history: finished tickets on earlier days, spread over the 48 pairs)
-- Then prints one line per pair: location id, service id, prefix.
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO agency (code, name) VALUES ('bench', 'Bench agency');
INSERT INTO location (code, name)
SELECT 'bench-' || lpad(i::text, 2, '0'), 'Bench location ' || i FROM generate_series(1, 16) AS i;
INSERT INTO service (agency_id, code, name, ticket_prefix, duration_minutes)
SELECT a.id, 'bench-' || lower(p), 'Bench service ' || p, p, 10
FROM agency a, unnest(ARRAY['P', 'Q', 'R']) AS p WHERE a.code = 'bench';
INSERT INTO service_location (service_id, location_id)
SELECT s.id, l.id FROM service s, location l WHERE s.code LIKE 'bench-%' AND l.code LIKE 'bench-%';
INSERT INTO desk (location_id, name) SELECT id, 'Bench spread' FROM location WHERE code LIKE 'bench-%';
INSERT INTO staff (agency_id, username, password_hash, display_name, role)
SELECT id, 'bench-spread', '$argon2id$not-a-real-hash', 'Bench', 'staff' FROM agency WHERE code = 'bench';

CREATE TEMP TABLE pair AS
SELECT row_number() OVER (ORDER BY l.code, s.ticket_prefix) - 1 AS n, l.id AS location_id, s.id AS service_id,
       s.ticket_prefix AS prefix, d.id AS desk_id
FROM location l JOIN desk d ON d.location_id = l.id, service s
WHERE l.code LIKE 'bench-%' AND s.code LIKE 'bench-%';

-- Finished visits of earlier days (at most 999 per pair and day), each with its service record.
WITH h AS (
    SELECT i, p.*, (i / 48) / 999 + 1 AS days_ago, (i / 48) % 999 + 1 AS k
    FROM generate_series(0, :history - 1) AS i JOIN pair p ON p.n = i % 48
), t AS (
    INSERT INTO ticket (location_id, service_day, number, service_id, priority, status, arrived_at, queued_at,
                        due_at, called_at, started_at, finished_at)
    SELECT location_id, current_date - days_ago, prefix || lpad(k::text, 3, '0'), service_id, 'normal', 'done',
           now() - days_ago * interval '1 day', now() - days_ago * interval '1 day', now() - days_ago * interval '1 day',
           now() - days_ago * interval '1 day' + interval '10 minutes', now() - days_ago * interval '1 day' + interval '11 minutes',
           now() - days_ago * interval '1 day' + interval '20 minutes'
    FROM h
    RETURNING id, location_id, service_id, called_at, started_at, finished_at
)
INSERT INTO service_record (ticket_id, service_id, desk_id, staff_id, called_at, started_at, ended_at, result)
SELECT t.id, t.service_id, d.id, s.id, t.called_at, t.started_at, t.finished_at, 'done'
FROM t JOIN desk d ON d.location_id = t.location_id AND d.name = 'Bench spread', staff s
WHERE s.username = 'bench-spread';
-- Today: visits finished in the last half hour (so desks count as active and the estimate has history).
INSERT INTO service_record (ticket_id, service_id, desk_id, staff_id, called_at, started_at, ended_at, result)
SELECT t.id, t.service_id, p.desk_id, s.id, now() - interval '20 minutes', now() - interval '19 minutes',
       now() - interval '10 minutes', 'done'
FROM pair p JOIN LATERAL (SELECT id, service_id FROM ticket WHERE location_id = p.location_id AND service_id = p.service_id
                          LIMIT 5) t ON true, staff s
WHERE s.username = 'bench-spread';
COMMIT;
ANALYZE;
\pset format unaligned
\pset tuples_only on
\pset fieldsep ' '
SELECT location_id, service_id, prefix FROM pair ORDER BY n;
