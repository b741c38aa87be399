-- Calendar rules as questions a slot search can ask in SQL (Migrations/sql/0005_calendars.sql has the tables).

-- Not here: minute_of_day and week_parity. The exclusion constraints of 0005 index their results, so their
-- meaning must never change and they are defined only in Migrations/sql/0005_calendars.sql; this folder is
-- re-applied with CREATE OR REPLACE on every migrate, where an edit would silently disagree with the indexes.

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
