-- Calendars for appointments: when a location is open, its rooms, when staff work where, when they are away, and
-- which kinds of appointment can be booked. Weekly rules are local wall-clock times in the location's IANA zone
-- (a "09:00" stays 09:00 across daylight saving time); absences are instants (`timestamptz`).
-- (0005 and 0006 are reserved for work merged separately; the migrator applies versions in order and accepts gaps.)

-- minute_of_day and week_parity back the exclusion constraints below: their indexes hold the functions' results, so
-- their meaning must never change (a different rule needs new functions and a migration rebuilding the
-- constraints). That is why they are defined only here and not in Migrations/functions, whose files are
-- re-applied with CREATE OR REPLACE on every migrate (RepeatableMigrationTests lists them as index-backing).

-- Minutes since midnight of a wall-clock time, for the int4range of the exclusion constraints below. Extracting
-- hour and minute of a `time` never depends on settings, so IMMUTABLE is true.
CREATE FUNCTION minute_of_day(t time) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (extract(hour FROM t) * 60 + extract(minute FROM t))::integer
$$;

-- The weeks a weekly interval applies in, as a range over the week parity: every week is [0,2); an every-other-week
-- interval is only the parity of its anchor week, validFrom's ISO week ([0,1) or [1,2)). Weeks are counted from
-- Monday 1900-01-01, so an ISO week (Monday to Sunday) always has one number. Two intervals on alternating weeks
-- therefore never overlap, while an every-week interval overlaps both.
CREATE FUNCTION week_parity(every_other_week boolean, valid_from date) RETURNS int4range LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN every_other_week AND valid_from IS NOT NULL
                THEN int4range(week_number % 2, week_number % 2 + 1)
                ELSE int4range(0, 2) END
    -- Shifted by 2^20 weeks so dates before 1900 still give a non-negative parity.
    FROM (SELECT (valid_from - date '1900-01-01' + 7 * 1048576) / 7 AS week_number) AS w
$$;

-- Location settings for public holidays: by default a loket is closed on Dutch public holidays; Good Friday and
-- Liberation Day (5 May) are not general days off, so each location chooses.
ALTER TABLE location ADD COLUMN closed_on_public_holidays boolean NOT NULL DEFAULT true;
ALTER TABLE location ADD COLUMN good_friday_closed boolean NOT NULL DEFAULT false;
ALTER TABLE location ADD COLUMN liberation_day_closed boolean NOT NULL DEFAULT false;

-- Closures by date reuse `location_closure` (the queue's "closed today"): one concept, "the location is closed on
-- this date", so taking a number on a planned closure day is refused as well. A closure's reason is shown to staff.

-- Weekly opening hours of a location. Several intervals per day are allowed (a lunch break); a new timetable can
-- start on a date (validFrom) while the old one ends the day before (validUntil).
CREATE TABLE opening_hours (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    location_id  uuid NOT NULL REFERENCES location(id) ON DELETE CASCADE,
    -- ISO weekday: 1 = Monday … 7 = Sunday (PostgreSQL's isodow), so rules and dates agree without translation.
    weekday      smallint NOT NULL CONSTRAINT opening_hours_weekday CHECK (weekday BETWEEN 1 AND 7),
    opens        time NOT NULL,
    closes       time NOT NULL,
    valid_from   date,
    valid_until  date,
    -- An interval that ends before it starts would make every "is it open" question ambiguous.
    CONSTRAINT opening_hours_order CHECK (closes > opens),
    CONSTRAINT opening_hours_validity CHECK (valid_until >= valid_from),
    -- Overlapping intervals on one day would count the same minutes twice (slots offered twice, hours doubled).
    -- Intervals overlap when they share a weekday, minutes and at least one day of validity (null = unbounded).
    CONSTRAINT opening_hours_no_overlap EXCLUDE USING gist (
        location_id WITH =, weekday WITH =,
        int4range(minute_of_day(opens), minute_of_day(closes)) WITH &&,
        daterange(valid_from, valid_until, '[]') WITH &&)
);

-- Rooms for appointments that need one (a quiet room for debt help with several agencies at the table).
CREATE TABLE room (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    location_id  uuid NOT NULL REFERENCES location(id),
    name         text NOT NULL CONSTRAINT room_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    -- Seats around the table, visitors and staff together.
    capacity     integer NOT NULL DEFAULT 1 CONSTRAINT room_capacity_check CHECK (capacity BETWEEN 1 AND 100),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Visitors are sent to a room by name: two rooms with one name at a location would send people astray.
    CONSTRAINT room_name_unique UNIQUE (location_id, name)
);

-- When a staff member works at which location, week by week. An every-other-week interval applies in validFrom's
-- ISO week (Monday–Sunday) and every second week after it: its first day is the interval's weekday in that week,
-- or two weeks later if that weekday falls before validFrom.
CREATE TABLE staff_availability (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    staff_id          uuid NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    location_id       uuid NOT NULL REFERENCES location(id),
    weekday           smallint NOT NULL CONSTRAINT staff_availability_weekday CHECK (weekday BETWEEN 1 AND 7),
    starts            time NOT NULL,
    ends              time NOT NULL,
    valid_from        date,
    valid_until       date,
    every_other_week  boolean NOT NULL DEFAULT false,
    CONSTRAINT staff_availability_order CHECK (ends > starts),
    CONSTRAINT staff_availability_validity CHECK (valid_until >= valid_from),
    -- The alternation needs an anchor week; without one "every other week" has no meaning.
    CONSTRAINT staff_availability_anchor CHECK (NOT every_other_week OR valid_from IS NOT NULL),
    -- One person cannot be available twice at one time, at one location or at two: overlapping intervals of one
    -- staff member (same weekday, minutes, validity and week parity) are refused whatever their location.
    CONSTRAINT staff_availability_no_overlap EXCLUDE USING gist (
        staff_id WITH =, weekday WITH =,
        int4range(minute_of_day(starts), minute_of_day(ends)) WITH &&,
        daterange(valid_from, valid_until, '[]') WITH &&,
        week_parity(every_other_week, valid_from) WITH &&)
);
CREATE INDEX staff_availability_location ON staff_availability (location_id, weekday);

-- Leave, sickness and training: instants [start, end). Personal data: staff see their own, coordinators their own
-- agency's, admins all, and every read or change by someone else is audited.
CREATE TABLE staff_absence (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    staff_id    uuid NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    during      tstzrange NOT NULL,
    reason      text NOT NULL CONSTRAINT staff_absence_reason CHECK (reason IN ('leave', 'sickness', 'training', 'other')),
    created_by  uuid REFERENCES staff(id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- An empty or unbounded absence cannot be shown or booked around.
    CONSTRAINT staff_absence_bounded CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)
                                            AND lower_inc(during) AND NOT upper_inc(during)),
    -- Overlapping absences are refused rather than merged: each keeps its own reason (sick during leave is both),
    -- and deleting one never silently shortens another.
    CONSTRAINT staff_absence_no_overlap EXCLUDE USING gist (staff_id WITH =, during WITH &&)
);

-- A kind of appointment citizens or staff can book: how long, with which services (one staff member per
-- requirement), whether it needs a room, and the booking window.
CREATE TABLE appointment_type (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code                      text NOT NULL CONSTRAINT appointment_type_code_unique UNIQUE
                              CONSTRAINT appointment_type_code_check CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,47}$'),
    name                      text NOT NULL CONSTRAINT appointment_type_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    -- Ranges keep a typo (4800 minutes) from blocking a calendar for days.
    duration_minutes          integer NOT NULL CONSTRAINT appointment_type_duration_check CHECK (duration_minutes BETWEEN 5 AND 480),
    needs_room                boolean NOT NULL DEFAULT false,
    buffer_before_minutes     integer NOT NULL DEFAULT 0 CONSTRAINT appointment_type_buffer_before_check CHECK (buffer_before_minutes BETWEEN 0 AND 120),
    buffer_after_minutes      integer NOT NULL DEFAULT 0 CONSTRAINT appointment_type_buffer_after_check CHECK (buffer_after_minutes BETWEEN 0 AND 120),
    -- How long before the start a citizen can still book, and how far ahead.
    min_notice_minutes        integer NOT NULL DEFAULT 60 CONSTRAINT appointment_type_min_notice_check CHECK (min_notice_minutes BETWEEN 0 AND 43200),
    horizon_days              integer NOT NULL DEFAULT 90 CONSTRAINT appointment_type_horizon_check CHECK (horizon_days BETWEEN 1 AND 366),
    max_persons               integer NOT NULL DEFAULT 1 CONSTRAINT appointment_type_max_persons_check CHECK (max_persons BETWEEN 1 AND 20),
    extra_minutes_per_person  integer NOT NULL DEFAULT 0 CONSTRAINT appointment_type_extra_minutes_check CHECK (extra_minutes_per_person BETWEEN 0 AND 120),
    public_booking            boolean NOT NULL DEFAULT false,
    active                    boolean NOT NULL DEFAULT true,
    created_at                timestamptz NOT NULL DEFAULT now()
);

-- The staff an appointment type needs: one staff member of the service per row, in order. A service may appear
-- twice (two staff of one service).
CREATE TABLE appointment_type_requirement (
    appointment_type_id  uuid NOT NULL REFERENCES appointment_type(id) ON DELETE CASCADE,
    position             smallint NOT NULL CONSTRAINT appointment_type_requirement_position_check CHECK (position BETWEEN 0 AND 9),
    service_id           uuid NOT NULL REFERENCES service(id),
    PRIMARY KEY (appointment_type_id, position)
);
CREATE INDEX appointment_type_requirement_service ON appointment_type_requirement (service_id);
