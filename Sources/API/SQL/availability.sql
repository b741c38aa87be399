-- Available times for appointments: a small fixed number of queries turns the location's weekly local rules into
-- UTC instants for the asked local dates; the slot search (Scheduling) then decides in Swift. Times are handed over
-- as microseconds since the epoch (epoch_us), in bigint arrays read as text (one array of starts and one of ends per
-- list of intervals): far cheaper for PostgreSQL to write and Swift to read than strings per interval.
--
-- The local 15-minute grid: inside each opening interval, UTC instants in 15-minute steps from the whole UTC hour,
-- kept when their local minute is a multiple of 15. Exact for every zone whose offsets are whole multiples of
-- 15 minutes (all current zones; Europe/Amsterdam, and also +05:45); on the spring DST day the missing local hour
-- simply produces no instants, on the autumn day the repeated hour gives its two real instants.

-- name: availability_head
-- $1 location, $2 appointment type, $3 now. Asked on every search, before any data: the location's calendar version
-- (see migration 0007; read first, so whatever is read after it is at least that new), its zone, and the type.
-- No row when the location does not exist; type_found false when the type does not.
WITH l AS (SELECT id, time_zone AS tz FROM location WHERE id = $1)
SELECT l.tz, coalesce((SELECT v.version FROM calendar_version v WHERE v.location_id = l.id), 0) AS version,
    t.id IS NOT NULL AS type_found, coalesce(t.active, false) AS active, coalesce(t.public_booking, false) AS public_booking,
    coalesce(t.duration_minutes, 0) AS duration_minutes, coalesce(t.extra_minutes_per_person, 0) AS extra_minutes_per_person,
    coalesce(t.max_persons, 0) AS max_persons, coalesce(t.buffer_before_minutes, 0) AS buffer_before_minutes,
    coalesce(t.buffer_after_minutes, 0) AS buffer_after_minutes, coalesce(t.needs_room, false) AS needs_room,
    coalesce(t.min_notice_minutes, 0) AS min_notice_minutes,
    coalesce((SELECT array_agg(r.service_id::text ORDER BY r.position) FROM appointment_type_requirement r
              WHERE r.appointment_type_id = t.id), '{}') AS services,
    coalesce((SELECT array_agg(DISTINCT s.agency_id::text) FROM appointment_type_requirement r JOIN service s ON s.id = r.service_id
              WHERE r.appointment_type_id = t.id), '{}') AS agencies,
    -- The last instant of local day today + horizon (public callers may book up to and including that day).
    (epoch_us((((($3::timestamptz AT TIME ZONE l.tz)::date + coalesce(t.horizon_days, 0) + 1)::timestamp) AT TIME ZONE l.tz)) - 1)::text
        AS horizon_end
FROM l LEFT JOIN appointment_type t ON t.id = $2

-- name: availability_grid
-- $1 location, $2 first local date, $3 last local date, $4 public holiday dates in the range, $5 their keys
-- (good-friday and liberation-day count only when the location closes on them). The candidate grid and the opening
-- intervals as instants.
WITH l AS (SELECT id, time_zone AS tz, closed_on_public_holidays, good_friday_closed, liberation_day_closed
           FROM location WHERE id = $1),
closed AS (
    SELECT c.service_day AS d FROM location_closure c WHERE c.location_id = $1 AND c.service_day BETWEEN $2::date AND $3::date
    UNION
    SELECT h.d::date FROM l, unnest($4::text[], $5::text[]) AS h (d, k)
    WHERE CASE h.k WHEN 'good-friday' THEN l.good_friday_closed WHEN 'liberation-day' THEN l.liberation_day_closed
                   ELSE l.closed_on_public_holidays END),
opening AS (
    SELECT (day + h.opens) AT TIME ZONE l.tz AS s, (day + h.closes) AT TIME ZONE l.tz AS e
    FROM l CROSS JOIN LATERAL (SELECT $2::date + n AS day FROM generate_series(0, $3::date - $2::date) AS n) AS days
    JOIN opening_hours h ON h.location_id = l.id AND weekly_rule_applies(h.weekday, h.valid_from, h.valid_until, false, day)
    WHERE day NOT IN (SELECT d FROM closed)),
grid AS (
    SELECT DISTINCT g FROM l, opening o, generate_series(date_trunc('hour', o.s, 'UTC'), o.e, interval '15 minutes') AS g
    WHERE g >= o.s AND g < o.e AND extract(minute FROM g AT TIME ZONE l.tz)::integer % 15 = 0)
SELECT coalesce((SELECT array_agg(epoch_us(g) ORDER BY g) FROM grid), '{}')::text AS starts,
    coalesce((SELECT array_agg(epoch_us(o.s)) FROM opening o), '{}')::text AS opening_starts,
    coalesce((SELECT array_agg(epoch_us(o.e)) FROM opening o), '{}')::text AS opening_ends

-- name: availability_staff
-- $1 location, $2 appointment type, $3 first local date, $4 last local date, $5 now. Every active staff member who
-- serves a requirement of the type, with those services, their availability at this location expanded to instants
-- over the range (weekly_rule_applies: every-other-week anchored at validFrom's ISO week), and what keeps them busy
-- (staff_busy, holds until they expire at $5), with the earliest expiry of a hold counted (null: none), after which
-- an answer computed from this is stale. Ids are for the assignment only; public answers never show them.
WITH l AS (SELECT id, time_zone AS tz,
                  tstzrange($3::date::timestamp AT TIME ZONE time_zone, ($4::date + 1)::timestamp AT TIME ZONE time_zone) AS span
           FROM location WHERE id = $1),
who AS (SELECT ss.staff_id, array_agg(DISTINCT ss.service_id::text) AS services
        FROM appointment_type_requirement r JOIN staff_service ss ON ss.service_id = r.service_id
        JOIN staff s ON s.id = ss.staff_id AND s.active
        WHERE r.appointment_type_id = $2 GROUP BY ss.staff_id)
SELECT who.staff_id::text AS id, who.services,
    coalesce(av.starts, '{}')::text AS available_starts, coalesce(av.ends, '{}')::text AS available_ends,
    coalesce(bz.starts, '{}')::text AS busy_starts, coalesce(bz.ends, '{}')::text AS busy_ends,
    bz.holds_until::text AS holds_until
FROM who CROSS JOIN l
LEFT JOIN (
    SELECT a.staff_id, array_agg(epoch_us((day + a.starts) AT TIME ZONE l.tz)) AS starts,
           array_agg(epoch_us((day + a.ends) AT TIME ZONE l.tz)) AS ends
    FROM l JOIN staff_availability a ON a.location_id = l.id
    CROSS JOIN LATERAL (SELECT $3::date + n AS day FROM generate_series(0, $4::date - $3::date) AS n) AS days
    WHERE a.staff_id IN (SELECT staff_id FROM who)
      AND weekly_rule_applies(a.weekday, a.valid_from, a.valid_until, a.every_other_week, day)
    GROUP BY a.staff_id) AS av ON av.staff_id = who.staff_id
LEFT JOIN (
    -- One grouped pass rather than a subquery per staff member: half the time with 150 staff.
    SELECT b.staff_id, array_agg(epoch_us(lower(b.during))) AS starts, array_agg(epoch_us(upper(b.during))) AS ends,
           min(epoch_us(b.held_until)) AS holds_until
    FROM l CROSS JOIN LATERAL staff_busy(l.span, $5::timestamptz) AS b
    WHERE b.staff_id IN (SELECT staff_id FROM who)
    GROUP BY b.staff_id) AS bz ON bz.staff_id = who.staff_id

-- name: availability_rooms
-- $1 location, $2 first local date, $3 last local date, $4 now. Active rooms with their capacity and bookings
-- (room_busy, holds until they expire at $4), with the earliest expiry of a hold counted (as availability_staff).
WITH l AS (SELECT id, tstzrange($2::date::timestamp AT TIME ZONE time_zone, ($3::date + 1)::timestamp AT TIME ZONE time_zone) AS span
           FROM location WHERE id = $1)
SELECT r.id::text AS id, r.capacity, coalesce(bz.starts, '{}')::text AS busy_starts, coalesce(bz.ends, '{}')::text AS busy_ends,
    bz.holds_until::text AS holds_until
FROM room r JOIN l ON l.id = r.location_id
CROSS JOIN LATERAL (SELECT array_agg(epoch_us(lower(b.during))) AS starts, array_agg(epoch_us(upper(b.during))) AS ends,
                           min(epoch_us(b.held_until)) AS holds_until
                    FROM room_busy(l.span, $4::timestamptz) b WHERE b.room_id = r.id) AS bz
WHERE r.active

-- name: availability_format
-- $1 zone, $2 starts, $3 ends (epoch microseconds, in order). Per slot, in the same order: the local date of its
-- start, and start and end in RFC 3339 with the location's offset of that instant.
SELECT coalesce(array_agg((from_epoch_us(s::bigint) AT TIME ZONE $1)::date::text ORDER BY o), '{}') AS days,
    coalesce(array_agg(rfc3339(from_epoch_us(s::bigint), $1) ORDER BY o), '{}') AS starts,
    coalesce(array_agg(rfc3339(from_epoch_us(e::bigint), $1) ORDER BY o), '{}') AS ends
FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS x (s, e, o)

-- name: availability_holiday_settings
-- $1 location: which public holidays it closes on.
SELECT closed_on_public_holidays, good_friday_closed, liberation_day_closed FROM location WHERE id = $1
