-- The minimal durable take-a-number, the yardstick for Loket's own: in one statement, the next number of the
-- location + prefix + day (counter row upsert, whose row lock keeps numbers gapless), the ticket row and the event
-- row. No validation, no wait estimate. pgbench variables: :loc_K, :svc_K, :pfx_K (deploy/bench replaces K).
WITH c AS (
    INSERT INTO ticket_counter AS c (location_id, prefix, service_day, last_number)
    VALUES (CAST(:loc_K AS uuid), CAST(:pfx_K AS text), (now() AT TIME ZONE 'Europe/Amsterdam')::date, 1)
    ON CONFLICT (location_id, prefix, service_day) DO UPDATE SET last_number = c.last_number + 1
    RETURNING location_id, prefix, service_day, last_number
), t AS (
    INSERT INTO ticket (location_id, service_day, number, service_id, priority, due_at)
    SELECT location_id, service_day,
           prefix || CASE WHEN last_number < 1000 THEN lpad(last_number::text, 3, '0') ELSE last_number::text END,
           CAST(:svc_K AS uuid), 'normal', now()
    FROM c
    RETURNING id, location_id, number, arrived_at
), e AS (
    INSERT INTO event (location_id, type, payload)
    SELECT location_id, 'ticket.created', json_build_object('number', number, 'at', arrived_at) FROM t
)
SELECT id, number FROM t;
