-- The walk-in queue: tickets, their numbering, handovers between services, and the event log screens follow.

-- RFC 3339 text of an instant in a location's time zone, e.g. 2026-03-29T03:00:00+02:00. The offset comes from
-- PostgreSQL's own time zone database, so daylight saving time is always right.
CREATE FUNCTION rfc3339(ts timestamptz, tz text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(ts AT TIME ZONE tz, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN o = 0 THEN 'Z'
                ELSE CASE WHEN o < 0 THEN '-' ELSE '+' END
                     || lpad((abs(o) / 3600)::text, 2, '0') || ':' || lpad((abs(o) / 60 % 60)::text, 2, '0') END
    FROM (SELECT extract(epoch FROM (ts AT TIME ZONE tz) - (ts AT TIME ZONE 'UTC'))::int AS o) AS offset_seconds
$$;

-- The same in the installation's display zone (setting loket.time_zone, default Europe/Amsterdam), for things
-- that belong to no location.
CREATE FUNCTION rfc3339(ts timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT rfc3339(ts, coalesce(nullif(current_setting('loket.time_zone', true), ''), 'Europe/Amsterdam'))
$$;

-- A coordinator can close a location for the rest of a day (illness, calamity): no new numbers that day.
CREATE TABLE location_closure (
    location_id  uuid NOT NULL REFERENCES location(id),
    service_day  date NOT NULL,
    reason       text,
    closed_by    uuid REFERENCES staff(id),
    closed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (location_id, service_day)
);

-- The last number handed out per location, prefix and local day. The row lock taken by the upsert serialises
-- numbering per prefix, so numbers are gapless and never repeat, even under concurrency or after a crash
-- (a crashed transaction's number was never committed, so it is handed out again to the next visitor).
CREATE TABLE ticket_counter (
    location_id  uuid NOT NULL REFERENCES location(id),
    prefix       text NOT NULL CHECK (prefix ~ '^[A-Z]$'),
    service_day  date NOT NULL,
    last_number  integer NOT NULL CHECK (last_number >= 1),
    PRIMARY KEY (location_id, prefix, service_day)
);

-- A ticket is one visit: the visitor keeps it (and its number) through handovers between services and agencies.
CREATE TABLE ticket (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),   -- 122 random bits: the phone status URL's secret
    location_id     uuid NOT NULL REFERENCES location(id),
    service_day     date NOT NULL,
    number          text NOT NULL CHECK (number ~ '^[A-Z][0-9]{3,}$'),
    service_id      uuid NOT NULL REFERENCES service(id),
    priority        text NOT NULL CHECK (priority IN ('urgent', 'appointment', 'normal')),
    -- Sort key of the priority (urgent first); stored so the call-next index can order by it.
    priority_rank   smallint GENERATED ALWAYS AS (CASE priority WHEN 'urgent' THEN 0 WHEN 'appointment' THEN 1 ELSE 2 END) STORED,
    status          text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'called', 'serving', 'done', 'noShow')),
    language        text NOT NULL DEFAULT 'nl' CHECK (language ~ '^[a-z]{2,3}$'),
    -- When the visitor first arrived. Kept through handovers and requeues so nobody is sent to the back.
    arrived_at      timestamptz NOT NULL DEFAULT now(),
    -- When the ticket entered its current service's queue (statistics: waiting time per service).
    queued_at       timestamptz NOT NULL DEFAULT now(),
    desk_id         uuid REFERENCES desk(id),
    staff_id        uuid REFERENCES staff(id),
    called_at       timestamptz,
    recall_count    integer NOT NULL DEFAULT 0 CHECK (recall_count >= 0),
    started_at      timestamptz,
    finished_at     timestamptz,
    outcome         text CHECK (length(outcome) <= 200),
    closed_reason   text CHECK (closed_reason IN ('closed')),
    created_by      uuid REFERENCES staff(id),
    hops            integer NOT NULL DEFAULT 0 CHECK (hops >= 0),
    -- Numbers never repeat per location and day.
    UNIQUE (location_id, service_day, number),
    -- A ticket at a desk has exactly one desk and one staff member; a waiting or finished one has none. With the
    -- row lock of call-next this is what guarantees no two desks ever get one ticket.
    CHECK ((status IN ('called', 'serving')) = (desk_id IS NOT NULL AND staff_id IS NOT NULL))
);

-- One visitor at a time per desk: calling the next while holding one is refused by the database itself.
CREATE UNIQUE INDEX ticket_one_per_desk ON ticket (desk_id) WHERE status IN ('called', 'serving');
-- Call-next walks the waiting line of a location in exactly this order and stops at the first ticket of one of the
-- caller's services, so claiming stays fast however long the line is.
CREATE INDEX ticket_call_order ON ticket (location_id, priority_rank, arrived_at, length(number), number) WHERE status = 'waiting';
-- Positions and counts per service.
CREATE INDEX ticket_service_waiting ON ticket (location_id, service_id, priority_rank, arrived_at) WHERE status = 'waiting';
CREATE INDEX ticket_location_day ON ticket (location_id, service_day);

-- Each warm handover between services, for statistics and for the receiving agency's note.
CREATE TABLE ticket_handover (
    id               bigserial PRIMARY KEY,
    ticket_id        uuid NOT NULL REFERENCES ticket(id),
    from_service_id  uuid NOT NULL REFERENCES service(id),
    to_service_id    uuid NOT NULL REFERENCES service(id),
    to_agency_id     uuid NOT NULL REFERENCES agency(id),
    by_staff_id      uuid NOT NULL REFERENCES staff(id),
    -- Personal data: visible only to staff of `to_agency_id`, and every read is audited.
    note             text CHECK (length(note) <= 2000),
    urgent           boolean NOT NULL DEFAULT false,
    at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_handover_ticket ON ticket_handover (ticket_id, id);

-- One period of service at a desk (from call to finish, no-show or handover): the source of real service times
-- for the wait estimate, with no personal data.
CREATE TABLE service_record (
    id          bigserial PRIMARY KEY,
    ticket_id   uuid NOT NULL REFERENCES ticket(id),
    service_id  uuid NOT NULL REFERENCES service(id),
    desk_id     uuid NOT NULL REFERENCES desk(id),
    staff_id    uuid NOT NULL REFERENCES staff(id),
    called_at   timestamptz NOT NULL,
    started_at  timestamptz,
    ended_at    timestamptz NOT NULL,
    result      text NOT NULL CHECK (result IN ('done', 'noShow', 'requeue', 'handover'))
);
CREATE INDEX service_record_recent ON service_record (service_id, ended_at DESC);

-- Everything screens learn, in commit order. `tx` is the writing transaction's id: readers only take events of
-- transactions older than every running one (pg_snapshot_xmin), ordered by (tx, id), so a reader never skips an
-- event that commits late. Resuming with Last-Event-ID "tx-id" is exact, across processes.
CREATE TABLE event (
    id           bigserial,
    tx           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    location_id  uuid NOT NULL REFERENCES location(id),
    type         text NOT NULL,
    payload      jsonb NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tx, id)
);
CREATE INDEX event_location ON event (location_id, tx, id);
CREATE INDEX event_at ON event (at);

-- Durations (seconds) of the most recent services of a service, newest first: the wait estimate's history.
CREATE FUNCTION service_recent_seconds(p_service uuid) RETURNS float8[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(seconds ORDER BY ended_at DESC), '{}')
    FROM (SELECT extract(epoch FROM ended_at - coalesce(started_at, called_at))::float8 AS seconds, ended_at
          FROM service_record
          WHERE service_id = p_service AND result IN ('done', 'handover') AND ended_at > now() - interval '14 days'
          ORDER BY ended_at DESC
          LIMIT 20) AS recent
$$;

-- Desks working on a service now: holding one of its tickets, or having finished one in the last 30 minutes.
CREATE FUNCTION service_active_desks(p_service uuid) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT count(DISTINCT desk_id)::integer FROM (
        SELECT desk_id FROM service_record WHERE service_id = p_service AND ended_at > now() - interval '30 minutes'
        UNION
        SELECT desk_id FROM ticket WHERE service_id = p_service AND status IN ('called', 'serving')
    ) AS desks
$$;

-- Kiosks registered by an admin. A kiosk sends its device token with each ticket, which exempts it from the
-- per-address rate limit meant for phones (a whole hall shares one kiosk). Only the token's SHA-256 is stored.
CREATE TABLE kiosk_device (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    location_id  uuid NOT NULL REFERENCES location(id),
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- A ticket as staff see it at the desk, as JSON. One function, so every statement that changes a ticket can return
-- it in the same round trip.
CREATE FUNCTION ticket_staff_json(t ticket) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', t.id, 'number', t.number, 'status', t.status, 'priority', t.priority,
        'serviceId', t.service_id, 'serviceName', s.name, 'locationId', t.location_id,
        'deskId', t.desk_id, 'deskName', d.name, 'recallCount', t.recall_count, 'language', t.language,
        'arrivedAt', rfc3339(t.arrived_at, l.time_zone), 'calledAt', rfc3339(t.called_at, l.time_zone),
        'startedAt', rfc3339(t.started_at, l.time_zone), 'finishedAt', rfc3339(t.finished_at, l.time_zone),
        'outcome', t.outcome, 'handovers', t.hops)
    FROM location l, service s LEFT JOIN desk d ON d.id = t.desk_id
    WHERE l.id = t.location_id AND s.id = t.service_id
$$;
