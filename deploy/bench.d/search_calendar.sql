-- Calendar for deploy/bench-search: staff_per_agency qualified staff for each of the three bench services at the
-- bench location, with weekly patterns, and a share `busy` (0.6 for the search benchmark) of their time busy.
-- Variables: loc, from, to, staff_per_agency, busy. Deterministic (setseed).
--
-- Until appointments exist, bookings are stood in for by absences (reason 'other'): staff_busy() reads both the
-- same way, so the search sees exactly what booked appointments would give it.
SELECT setseed(0.42);

CREATE TEMP TABLE bench_staff AS
SELECT a.id AS agency_id, s.id AS service_id, a.code || '-' || i AS username, i
FROM agency a JOIN service s ON s.agency_id = a.id AND s.code LIKE 'bench-%'
CROSS JOIN generate_series(0, :staff_per_agency - 1) AS i
WHERE a.code LIKE 'bench-%';

INSERT INTO staff (agency_id, username, password_hash, display_name, role)
SELECT agency_id, username, '$argon2id$bench-never-logs-in', 'Bench ' || username, 'staff' FROM bench_staff;

INSERT INTO staff_service (staff_id, service_id, agency_id)
SELECT st.id, b.service_id, b.agency_id FROM bench_staff b JOIN staff st ON st.username = b.username;

-- Patterns by i % 4: full day 08:30–17:00; mornings 08:30–12:30; afternoons 12:30–17:00; full day every other week.
-- Two in three work four weekdays (a different day off each), one in three all five.
INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends, valid_from, every_other_week)
SELECT st.id, :'loc', d,
       CASE b.i % 4 WHEN 2 THEN time '12:30' ELSE time '08:30' END,
       CASE b.i % 4 WHEN 1 THEN time '12:30' ELSE time '17:00' END,
       CASE WHEN b.i % 4 = 3 THEN :'from'::date END, b.i % 4 = 3
FROM bench_staff b JOIN staff st ON st.username = b.username CROSS JOIN generate_series(1, 5) AS d
WHERE NOT (b.i % 3 <> 0 AND d = b.i % 5 + 1);

-- Busy: each 30-minute block of every working day is booked with probability `busy`.
INSERT INTO staff_absence (staff_id, during, reason)
SELECT v.staff_id, tstzrange(blk, blk + interval '30 minutes'), 'other'
FROM staff_availability v JOIN location l ON l.id = v.location_id
CROSS JOIN LATERAL (SELECT :'from'::date + n AS day FROM generate_series(0, :'to'::date - :'from'::date) AS n) AS days
CROSS JOIN LATERAL generate_series((day + v.starts) AT TIME ZONE l.time_zone,
                                   (day + v.ends) AT TIME ZONE l.time_zone - interval '30 minutes', interval '30 minutes') AS blk
WHERE v.location_id = :'loc' AND weekly_rule_applies(v.weekday, v.valid_from, v.valid_until, v.every_other_week, day)
  AND random() < :busy;
