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
-- search learns about busy staff, so booked and held appointments are added here (a UNION ALL), not in every query.
-- Today: absences (leave, sickness, training). A plain SQL function so the planner inlines it and uses the
-- exclusion constraint's index on (staff_id, during).
CREATE OR REPLACE FUNCTION staff_busy(span tstzrange) RETURNS TABLE (staff_id uuid, during tstzrange)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT a.staff_id, a.during FROM staff_absence a WHERE a.during && span
$$;

-- What keeps a room busy during `span`, buffers included. No room bookings exist yet: the appointments feature
-- adds its reservations here.
CREATE OR REPLACE FUNCTION room_busy(span tstzrange) RETURNS TABLE (room_id uuid, during tstzrange)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT NULL::uuid, NULL::tstzrange WHERE false AND span IS NOT NULL
$$;
