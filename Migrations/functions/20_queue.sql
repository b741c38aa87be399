-- Repeatable: applied with CREATE OR REPLACE after the numbered migrations on every migrate, in file-name order,
-- so changing a function here needs no new migration. Functions and views only; tables and data stay in
-- Migrations/sql. A definition that cannot be replaced in place (a changed return type or argument names) needs a
-- numbered migration that drops the old one first.

-- Durations (seconds) of the most recent services of a service up to p_now, newest first: the wait estimate's history.
-- wait_inputs (tickets.sql) calls this and service_active_desks for a new ticket, ticket_public for a waiting one.
CREATE OR REPLACE FUNCTION service_recent_seconds(p_service uuid, p_now timestamptz) RETURNS float8[] LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- PL/pgSQL keeps this statement's plan for the session; as LANGUAGE sql (not inlinable: an aggregate) it was
    -- planned again on every take-a-number, which cost more than running it.
    RETURN (SELECT coalesce(array_agg(seconds ORDER BY ended_at DESC), '{}')
            FROM (SELECT extract(epoch FROM ended_at - coalesce(started_at, called_at))::float8 AS seconds, ended_at
                  FROM service_record
                  WHERE service_id = p_service AND result IN ('done', 'handover') AND ended_at > p_now - interval '14 days'
                  ORDER BY ended_at DESC
                  LIMIT 20) AS recent);
END
$$;

-- Desks working on a service at p_now: holding one of its tickets, or having finished one in the 30 minutes before.
CREATE OR REPLACE FUNCTION service_active_desks(p_service uuid, p_now timestamptz) RETURNS integer LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT count(DISTINCT desk_id)::integer FROM (
                SELECT desk_id FROM service_record WHERE service_id = p_service AND ended_at > p_now - interval '30 minutes'
                UNION
                SELECT desk_id FROM ticket WHERE service_id = p_service AND status IN ('called', 'serving')
            ) AS desks);
END
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
        'outcome', t.outcome, 'handovers', t.hops,
        -- Check-in: the appointment, whether the visitor came after the grace, and the room they are sent to.
        'appointmentId', t.appointment_id, 'late', t.late, 'roomName', (SELECT r.name FROM room r WHERE r.id = t.room_id))
    FROM location l, service s LEFT JOIN desk d ON d.id = t.desk_id
    WHERE l.id = t.location_id AND s.id = t.service_id
$$;
