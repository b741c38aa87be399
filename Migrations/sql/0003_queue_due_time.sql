-- The call order becomes ready for appointments: a ticket is called by when it is due, not by when it was taken.
-- The order is written once, in the Queue module (QueueKey): priority, due time, number (prefix, then numerically).
-- The columns below hold exactly that key, and one index holds it in that order.

-- When the ticket is due to be called: the first arrival for a walk-in, the appointment time for an appointment.
-- Kept through requeues and handovers (like arrived_at), so nobody is sent to the back of a queue.
ALTER TABLE ticket ADD COLUMN due_at timestamptz;
UPDATE ticket SET due_at = arrived_at;
ALTER TABLE ticket ALTER COLUMN due_at SET NOT NULL;

-- The number's parts, stored so the order's last tie-break is "by prefix, then numerically" (U999 before U1000,
-- B1001 before U010), as the Queue module compares numbers. Collation "C": letters compare as Swift compares them.
ALTER TABLE ticket
    ADD COLUMN number_prefix text COLLATE "C" GENERATED ALWAYS AS (substr(number, 1, 1)) STORED,
    ADD COLUMN number_sequence integer GENERATED ALWAYS AS (substr(number, 2)::integer) STORED;

-- Call-next, the staff queue view (and its pages) walk the waiting line of a location in exactly this order and stop
-- at the first ticket of one of the caller's services, so claiming and paging stay fast however long the line is.
DROP INDEX ticket_call_order;
CREATE INDEX ticket_call_order ON ticket (location_id, priority_rank, due_at, number_prefix, number_sequence)
    WHERE status = 'waiting';
-- A visitor's position within their service's queue (counts of tickets before a key).
DROP INDEX ticket_service_waiting;
CREATE INDEX ticket_service_waiting ON ticket (location_id, service_id, priority_rank, due_at, number_prefix, number_sequence)
    WHERE status = 'waiting';

-- The wait estimate's inputs now take "now" from the application's clock (versions below); the old ones go.
DROP FUNCTION service_recent_seconds(uuid);
DROP FUNCTION service_active_desks(uuid);

-- ---- Functions (to move into the repeatable functions folder at merge) ----

-- Durations (seconds) of the most recent services of a service up to p_now, newest first: the wait estimate's history.
CREATE OR REPLACE FUNCTION service_recent_seconds(p_service uuid, p_now timestamptz) RETURNS float8[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(seconds ORDER BY ended_at DESC), '{}')
    FROM (SELECT extract(epoch FROM ended_at - coalesce(started_at, called_at))::float8 AS seconds, ended_at
          FROM service_record
          WHERE service_id = p_service AND result IN ('done', 'handover') AND ended_at > p_now - interval '14 days'
          ORDER BY ended_at DESC
          LIMIT 20) AS recent
$$;

-- Desks working on a service at p_now: holding one of its tickets, or having finished one in the 30 minutes before.
CREATE OR REPLACE FUNCTION service_active_desks(p_service uuid, p_now timestamptz) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT count(DISTINCT desk_id)::integer FROM (
        SELECT desk_id FROM service_record WHERE service_id = p_service AND ended_at > p_now - interval '30 minutes'
        UNION
        SELECT desk_id FROM ticket WHERE service_id = p_service AND status IN ('called', 'serving')
    ) AS desks
$$;

-- A ticket as staff see it at the desk, as JSON. One function, so every statement that changes a ticket can return
-- it in the same round trip. The actions staff may take (allowedActions) are added by the API from the state machine.
CREATE OR REPLACE FUNCTION ticket_staff_json(t ticket) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', t.id, 'number', t.number, 'status', t.status, 'priority', t.priority,
        'serviceId', t.service_id, 'serviceName', s.name, 'locationId', t.location_id,
        'deskId', t.desk_id, 'deskName', d.name, 'recallCount', t.recall_count, 'language', t.language,
        'arrivedAt', rfc3339(t.arrived_at, l.time_zone), 'dueAt', rfc3339(t.due_at, l.time_zone),
        'calledAt', rfc3339(t.called_at, l.time_zone),
        'startedAt', rfc3339(t.started_at, l.time_zone), 'finishedAt', rfc3339(t.finished_at, l.time_zone),
        'outcome', t.outcome, 'handovers', t.hops)
    FROM location l, service s LEFT JOIN desk d ON d.id = t.desk_id
    WHERE l.id = t.location_id AND s.id = t.service_id
$$;
