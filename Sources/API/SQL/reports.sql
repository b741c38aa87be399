-- Reports (issue 11): computed only from the anonymous visit_record and visit_handover (migration 0017), never from
-- tickets or appointments, so a report contains no personal data and stays the same after the retention purge.
-- Every statement takes the same filters: $1 first local date, $2 last local date (inclusive), $3 location,
-- $4 agency, $5 service (null: all). Percentiles are percentile_cont (linear interpolation), nulls left out.

-- name: report_visits
-- One row per local day with visits, and one total row (is_total) first: GROUPING SETS computes both in one scan.
SELECT v.day::text AS day, grouping(v.day) = 1 AS is_total,
       count(*)::int AS visits,
       count(*) FILTER (WHERE v.outcome = 'done')::int AS served,
       count(*) FILTER (WHERE v.outcome = 'done' AND v.kind = 'walkIn')::int AS walk_ins,
       count(*) FILTER (WHERE v.outcome = 'done' AND v.kind = 'appointment')::int AS appointments,
       count(*) FILTER (WHERE v.outcome = 'noShow')::int AS no_shows,
       count(*) FILTER (WHERE v.outcome = 'cancelled')::int AS cancelled,
       count(*) FILTER (WHERE v.outcome = 'done' AND v.urgent)::int AS urgent,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY v.waiting_seconds) AS waiting_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY v.waiting_seconds) AS waiting_p90,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY v.service_seconds) AS service_p50
FROM visit_record v
WHERE v.day BETWEEN $1::date AND $2::date
  AND ($3::uuid IS NULL OR v.location_id = $3::uuid)
  AND ($4::uuid IS NULL OR v.agency_id = $4::uuid)
  AND ($5::uuid IS NULL OR v.service_id = $5::uuid)
GROUP BY GROUPING SETS ((v.day), ())
ORDER BY is_total DESC, v.day

-- name: report_handovers
-- The flow table: handovers from one agency to another (or within one), most frequent first. The agency and service
-- filters match either end of the move.
SELECT f.id::text AS from_agency_id, f.name AS from_agency, t.id::text AS to_agency_id, t.name AS to_agency, x.n
FROM (SELECT h.from_agency_id, h.to_agency_id, count(*)::int AS n
      FROM visit_handover h
      WHERE h.day BETWEEN $1::date AND $2::date
        AND ($3::uuid IS NULL OR h.location_id = $3::uuid)
        AND ($4::uuid IS NULL OR h.from_agency_id = $4::uuid OR h.to_agency_id = $4::uuid)
        AND ($5::uuid IS NULL OR h.from_service_id = $5::uuid OR h.to_service_id = $5::uuid)
      GROUP BY h.from_agency_id, h.to_agency_id) AS x
JOIN agency f ON f.id = x.from_agency_id JOIN agency t ON t.id = x.to_agency_id
ORDER BY x.n DESC, f.name, t.name

-- name: report_outcomes
-- Every outcome category with how many served visits recorded it, in the list's order, with the number of served
-- visits and of those without any category (so shares can be read against the whole). The visits are first counted
-- per distinct list of categories (a few dozen lists), so the unnesting works on groups, not on every visit.
WITH g AS (
    SELECT v.outcome_categories AS cats, count(*)::int AS n FROM visit_record v
    WHERE v.day BETWEEN $1::date AND $2::date AND v.outcome = 'done'
      AND ($3::uuid IS NULL OR v.location_id = $3::uuid)
      AND ($4::uuid IS NULL OR v.agency_id = $4::uuid)
      AND ($5::uuid IS NULL OR v.service_id = $5::uuid)
    GROUP BY v.outcome_categories
), counts AS (
    SELECT code, sum(g.n)::int AS n FROM g, unnest(g.cats) AS code GROUP BY code
), totals AS (
    SELECT coalesce(sum(n), 0)::int AS served, coalesce(sum(n) FILTER (WHERE cats = '{}'), 0)::int AS unrecorded FROM g
)
SELECT c.code, c.dimension, c.label_nl AS label, coalesce(counts.n, 0) AS n, totals.served, totals.unrecorded
FROM outcome_category c LEFT JOIN counts ON counts.code = c.code CROSS JOIN totals
ORDER BY array_position(ARRAY['topic', 'layer', 'help'], c.dimension), c.position

-- name: report_session
-- Run first, in the report's transaction: the percentiles' sorts stay in memory (a month of every location is about
-- 170,000 visits, beyond the default 4 MB), and the report is planned for its actual filters, so a null filter folds
-- away and a location's month uses the location index (a generic plan cannot know which filters are set).
SELECT set_config('work_mem', '64MB', true) AS work_mem, set_config('plan_cache_mode', 'force_custom_plan', true) AS plan_cache_mode

-- name: report_filters
-- The choices of the report page's filters: locations, agencies and services (names only), as JSON.
SELECT json_build_object(
    'locations', (SELECT coalesce(json_agg(json_build_object('id', id, 'name', name) ORDER BY name), '[]') FROM location),
    'agencies', (SELECT coalesce(json_agg(json_build_object('id', id, 'name', name) ORDER BY name), '[]') FROM agency),
    'services', (SELECT coalesce(json_agg(json_build_object('id', s.id, 'name', s.name, 'agencyId', s.agency_id) ORDER BY s.name), '[]')
                 FROM service s)
)::text AS j

-- name: outcome_categories
-- The active outcome categories, in the list's order (the desk page's finish step, and checking a finish).
SELECT code, dimension, label_nl AS label FROM outcome_category WHERE active
ORDER BY array_position(ARRAY['topic', 'layer', 'help'], dimension), position
