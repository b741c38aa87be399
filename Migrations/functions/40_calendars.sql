-- Calendar rules as questions a slot search can ask in SQL (Migrations/sql/0005_calendars.sql has the tables).

-- The two functions the exclusion constraints of 0005 index. Their meaning must never change (the indexes hold
-- their old results): a different rule needs a new function and a migration that rebuilds the constraints.

-- Minutes since midnight of a wall-clock time.
CREATE OR REPLACE FUNCTION minute_of_day(t time) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (extract(hour FROM t) * 60 + extract(minute FROM t))::integer
$$;

-- The week parities a weekly interval applies in: [0,2) every week; an every-other-week interval only the parity of
-- valid_from's ISO week, counting weeks from Monday 1900-01-01 (shifted by 2^20 weeks so earlier dates stay
-- non-negative).
CREATE OR REPLACE FUNCTION week_parity(every_other_week boolean, valid_from date) RETURNS int4range LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN every_other_week AND valid_from IS NOT NULL
                THEN int4range(week_number % 2, week_number % 2 + 1)
                ELSE int4range(0, 2) END
    FROM (SELECT (valid_from - date '1900-01-01' + 7 * 1048576) / 7 AS week_number) AS w
$$;

-- Does a weekly rule (ISO weekday, validity dates, every other week) apply on local date `d`? An every-other-week
-- rule applies in valid_from's ISO week and every second week after it (weeks run Monday to Sunday), on its weekday,
-- and never before valid_from. Use it for `staff_availability`; `opening_hours` rules are every week
-- (every_other_week false).
CREATE OR REPLACE FUNCTION weekly_rule_applies(weekday smallint, valid_from date, valid_until date,
                                               every_other_week boolean, d date)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT extract(isodow FROM d)::int = weekday
       AND (valid_from IS NULL OR d >= valid_from)
       AND (valid_until IS NULL OR d <= valid_until)
       AND (NOT every_other_week
            OR ((d - (valid_from - (extract(isodow FROM valid_from)::int - 1))) / 7) % 2 = 0)
$$;
