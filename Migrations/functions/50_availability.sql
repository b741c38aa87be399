-- Available times for appointments: the hooks the slot search asks what keeps staff and rooms busy, and the
-- conversions between instants and the integers the search works in. (Sources/API/SQL/availability.sql uses them.)

-- Microseconds since 1970-01-01 UTC. date_part's double rather than extract's numeric: five times faster over tens
-- of thousands of busy intervals, and exact to the microsecond for the years 1900–2200 (53 bits hold 2^53 µs,
-- about 285 years either side of 1970). STABLE like date_part on timestamptz: an IMMUTABLE wrapper of a STABLE call
-- is never inlined, and the function call per value then costs four times the arithmetic.
CREATE OR REPLACE FUNCTION epoch_us(ts timestamptz) RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT round(date_part('epoch', ts) * 1000000)::bigint
$$;

-- The instant `us` microseconds after 1970-01-01 UTC.
CREATE OR REPLACE FUNCTION from_epoch_us(us bigint) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT timestamptz '1970-01-01 00:00:00+00' + make_interval(secs => us / 1000000) + (us % 1000000) * interval '1 microsecond'
$$;

-- What keeps a staff member busy during `span`: one row per interval, buffers included. The one place the slot
-- search learns about busy staff: absences (leave, sickness, training) and the live reservations of appointments
-- (migration 0008). A hold counts only until its `held_until`, judged against `as_of` (the app's "now", a parameter:
-- an expired hold blocks no one even before a booking has cancelled it); `held_until` is returned so a cache of
-- the search can expire with the earliest hold it counted. Whatever changes these rows bumps calendar_version in
-- its transaction (the triggers below; the appointment statements call bump_calendar_versions themselves). A plain
-- SQL function so the planner inlines it and uses the exclusion constraints' indexes on (resource, during).
DROP FUNCTION IF EXISTS staff_busy(tstzrange);
CREATE OR REPLACE FUNCTION staff_busy(span tstzrange, as_of timestamptz)
RETURNS TABLE (staff_id uuid, during tstzrange, held_until timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT a.staff_id, a.during, NULL::timestamptz FROM staff_absence a WHERE a.during && span
    UNION ALL
    SELECT r.staff_id, r.during, ap.held_until FROM appointment_reservation r JOIN appointment ap ON ap.id = r.appointment_id
    WHERE r.staff_id IS NOT NULL AND r.during && span AND r.appointment_status IN ('held', 'booked', 'checkedIn')
      AND (r.appointment_status <> 'held' OR ap.held_until > as_of)
$$;

-- What keeps a room busy during `span`, buffers included: the live reservations of appointments, holds until
-- their `held_until` (as staff_busy).
DROP FUNCTION IF EXISTS room_busy(tstzrange);
CREATE OR REPLACE FUNCTION room_busy(span tstzrange, as_of timestamptz)
RETURNS TABLE (room_id uuid, during tstzrange, held_until timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.room_id, r.during, ap.held_until FROM appointment_reservation r JOIN appointment ap ON ap.id = r.appointment_id
    WHERE r.room_id IS NOT NULL AND r.during && span AND r.appointment_status IN ('held', 'booked', 'checkedIn')
      AND (r.appointment_status <> 'held' OR ap.held_until > as_of)
$$;

-- Calendar versions (migration 0007): every change that can change a location's free times bumps its number in the
-- same transaction, once per transaction (bumped_by), locking the rows in id order so two bumping transactions do
-- not deadlock over them. The cache of AvailabilityRoutes relies on this list being complete: opening hours,
-- closures, holiday settings and zone, rooms, staff availability, absences, who serves what, staff activity,
-- appointment types and their requirements, services' activity.
CREATE OR REPLACE FUNCTION bump_calendar_versions(locations uuid[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO calendar_version AS v (location_id, version, bumped_by)
    SELECT DISTINCT l, 1, pg_current_xact_id() FROM unnest(locations) AS l WHERE l IS NOT NULL ORDER BY 1
    ON CONFLICT (location_id) DO UPDATE SET version = v.version + 1, bumped_by = excluded.bumped_by
        WHERE v.bumped_by IS DISTINCT FROM excluded.bumped_by
$$;

-- Rows that belong to one location (opening_hours, location_closure, room, staff_availability): the old and the new.
CREATE OR REPLACE FUNCTION calendar_changed_at_location() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN PERFORM bump_calendar_versions(ARRAY[NEW.location_id]);
    ELSIF TG_OP = 'DELETE' THEN PERFORM bump_calendar_versions(ARRAY[OLD.location_id]);
    ELSE PERFORM bump_calendar_versions(ARRAY[OLD.location_id, NEW.location_id]);
    END IF;
    RETURN NULL;
END $$;

-- Rows of one staff member (staff_absence, staff_service): the locations where they have availability; only there
-- can they change free times (availability added later bumps its own location).
CREATE OR REPLACE FUNCTION calendar_changed_for_staff() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE who uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN who := ARRAY[NEW.staff_id];
    ELSIF TG_OP = 'DELETE' THEN who := ARRAY[OLD.staff_id];
    ELSE who := ARRAY[OLD.staff_id, NEW.staff_id];
    END IF;
    PERFORM bump_calendar_versions(ARRAY(SELECT DISTINCT a.location_id FROM staff_availability a WHERE a.staff_id = ANY (who)));
    RETURN NULL;
END $$;

-- A staff member becoming active or inactive.
CREATE OR REPLACE FUNCTION calendar_changed_for_staff_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bump_calendar_versions(ARRAY(SELECT DISTINCT a.location_id FROM staff_availability a WHERE a.staff_id = NEW.id));
    RETURN NULL;
END $$;

-- A location's own settings (holidays, zone).
CREATE OR REPLACE FUNCTION calendar_changed_location_settings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bump_calendar_versions(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

-- Appointment types, their requirements and services are not tied to one location, and change rarely: every
-- location (once per statement).
CREATE OR REPLACE FUNCTION calendar_changed_everywhere() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bump_calendar_versions(ARRAY(SELECT id FROM location));
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS calendar_version ON opening_hours;
CREATE TRIGGER calendar_version AFTER INSERT OR UPDATE OR DELETE ON opening_hours
    FOR EACH ROW EXECUTE FUNCTION calendar_changed_at_location();
DROP TRIGGER IF EXISTS calendar_version ON location_closure;
CREATE TRIGGER calendar_version AFTER INSERT OR UPDATE OR DELETE ON location_closure
    FOR EACH ROW EXECUTE FUNCTION calendar_changed_at_location();
DROP TRIGGER IF EXISTS calendar_version ON room;
CREATE TRIGGER calendar_version AFTER INSERT OR UPDATE OR DELETE ON room
    FOR EACH ROW EXECUTE FUNCTION calendar_changed_at_location();
DROP TRIGGER IF EXISTS calendar_version ON staff_availability;
CREATE TRIGGER calendar_version AFTER INSERT OR UPDATE OR DELETE ON staff_availability
    FOR EACH ROW EXECUTE FUNCTION calendar_changed_at_location();
DROP TRIGGER IF EXISTS calendar_version ON staff_absence;
CREATE TRIGGER calendar_version AFTER INSERT OR UPDATE OR DELETE ON staff_absence
    FOR EACH ROW EXECUTE FUNCTION calendar_changed_for_staff();
DROP TRIGGER IF EXISTS calendar_version ON staff_service;
CREATE TRIGGER calendar_version AFTER INSERT OR UPDATE OR DELETE ON staff_service
    FOR EACH ROW EXECUTE FUNCTION calendar_changed_for_staff();
DROP TRIGGER IF EXISTS calendar_version ON staff;
CREATE TRIGGER calendar_version AFTER UPDATE OF active ON staff
    FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active) EXECUTE FUNCTION calendar_changed_for_staff_member();
DROP TRIGGER IF EXISTS calendar_version ON location;
CREATE TRIGGER calendar_version AFTER UPDATE OF closed_on_public_holidays, good_friday_closed, liberation_day_closed, time_zone
    ON location FOR EACH ROW
    WHEN ((OLD.closed_on_public_holidays, OLD.good_friday_closed, OLD.liberation_day_closed, OLD.time_zone)
          IS DISTINCT FROM (NEW.closed_on_public_holidays, NEW.good_friday_closed, NEW.liberation_day_closed, NEW.time_zone))
    EXECUTE FUNCTION calendar_changed_location_settings();
DROP TRIGGER IF EXISTS calendar_version ON appointment_type;
CREATE TRIGGER calendar_version AFTER INSERT OR UPDATE OR DELETE ON appointment_type
    FOR EACH STATEMENT EXECUTE FUNCTION calendar_changed_everywhere();
DROP TRIGGER IF EXISTS calendar_version ON appointment_type_requirement;
CREATE TRIGGER calendar_version AFTER INSERT OR UPDATE OR DELETE ON appointment_type_requirement
    FOR EACH STATEMENT EXECUTE FUNCTION calendar_changed_everywhere();
DROP TRIGGER IF EXISTS calendar_version ON service;
CREATE TRIGGER calendar_version AFTER UPDATE OF active ON service
    FOR EACH STATEMENT EXECUTE FUNCTION calendar_changed_everywhere();
