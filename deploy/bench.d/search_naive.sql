-- The same question as GET …/available-times, asked the straightforward way in one SQL statement (deploy/bench-search
-- times it next to loket): every candidate start of the local 15-minute grid, NOT EXISTS / EXISTS checks for opening
-- hours, closures, public holidays, availability and absences, one join per requirement choosing distinct staff,
-- and a free room. Variables: loc, type, from, to, holidays (a date[] literal: the days the location closes, from GET /api/v1/holidays?locationId=). Prints the number of starts offered.
-- (Availability pieces are not joined when they touch: the bench calendar has one piece per staff member and day.)
WITH l AS (SELECT id, time_zone AS tz, closed_on_public_holidays FROM location WHERE id = :'loc'),
t AS (SELECT * FROM appointment_type WHERE id = :'type'),
req AS (SELECT position, service_id FROM appointment_type_requirement WHERE appointment_type_id = :'type'),
cand AS (
    SELECT g AS s, g - make_interval(mins => t.buffer_before_minutes) AS a,
           g + make_interval(mins => t.duration_minutes + t.buffer_after_minutes) AS b, (g AT TIME ZONE l.tz)::date AS d
    FROM l, t, generate_series(:'from'::date::timestamp AT TIME ZONE l.tz,
                               (:'to'::date + 1)::timestamp AT TIME ZONE l.tz - interval '15 minutes', interval '15 minutes') AS g
    WHERE extract(minute FROM g AT TIME ZONE l.tz)::integer % 15 = 0),
open AS (
    SELECT c.* FROM cand c, l
    WHERE EXISTS (SELECT 1 FROM opening_hours h
                  WHERE h.location_id = l.id AND weekly_rule_applies(h.weekday, h.valid_from, h.valid_until, false, c.d)
                    AND c.a >= (c.d + h.opens) AT TIME ZONE l.tz AND c.b <= (c.d + h.closes) AT TIME ZONE l.tz)
      AND NOT EXISTS (SELECT 1 FROM location_closure z WHERE z.location_id = l.id AND z.service_day = c.d)
      AND NOT (c.d = ANY (:'holidays'::date[]))),
free AS (
    SELECT o.s, ss.service_id, ss.staff_id
    FROM open o CROSS JOIN l
    JOIN staff_service ss ON ss.service_id IN (SELECT service_id FROM req)
    JOIN staff st ON st.id = ss.staff_id AND st.active
    WHERE EXISTS (SELECT 1 FROM staff_availability v
                  WHERE v.staff_id = ss.staff_id AND v.location_id = l.id
                    AND weekly_rule_applies(v.weekday, v.valid_from, v.valid_until, v.every_other_week, o.d)
                    AND o.a >= (o.d + v.starts) AT TIME ZONE l.tz AND o.b <= (o.d + v.ends) AT TIME ZONE l.tz)
      AND NOT EXISTS (SELECT 1 FROM staff_busy(tstzrange(o.a, o.b), now()) x WHERE x.staff_id = ss.staff_id))
SELECT count(*) AS offered FROM (
    SELECT DISTINCT f0.s
    FROM free f0
    JOIN free f1 ON f1.s = f0.s AND f1.staff_id <> f0.staff_id
    JOIN free f2 ON f2.s = f0.s AND f2.staff_id <> f0.staff_id AND f2.staff_id <> f1.staff_id
    JOIN open o ON o.s = f0.s
    WHERE f0.service_id = (SELECT service_id FROM req WHERE position = 0)
      AND f1.service_id = (SELECT service_id FROM req WHERE position = 1)
      AND f2.service_id = (SELECT service_id FROM req WHERE position = 2)
      AND EXISTS (SELECT 1 FROM room rm, l
                  WHERE rm.location_id = l.id AND rm.active AND rm.capacity >= 1 + (SELECT count(*) FROM req)
                    AND NOT EXISTS (SELECT 1 FROM room_busy(tstzrange(o.a, o.b), now()) rb WHERE rb.room_id = rm.id))) AS offered;
