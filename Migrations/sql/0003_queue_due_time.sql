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
-- Their new versions (taking p_now) are in Migrations/functions/20_queue.sql.
