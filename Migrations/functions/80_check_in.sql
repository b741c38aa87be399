-- Check-in (migration 0012): the visit ends, so does the appointment. Every path that ends a ticket (finish, no-show
-- at the desk, the day-end close) moves its appointment in the same transaction. A trigger, because those paths are
-- several statements and the hot one (finish) must stay one autocommit round trip; the WHEN clause keeps it off every
-- walk-in ticket. The moves are AppointmentStateMachine's `finish` (checkedIn → done) and `noShow` (checkedIn →
-- noShow); CheckInTests checks both through the desk. The reservations follow through their cascading key, which
-- frees the rest of the booked time.
CREATE OR REPLACE FUNCTION ticket_ends_appointment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE appointment SET status = CASE WHEN NEW.status = 'done' THEN 'done' ELSE 'noShow' END,
                           updated_at = coalesce(NEW.finished_at, NEW.arrived_at)
    WHERE id = NEW.appointment_id AND status = 'checkedIn';
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS ticket_ends_appointment ON ticket;
CREATE TRIGGER ticket_ends_appointment AFTER UPDATE OF status ON ticket
    FOR EACH ROW WHEN (NEW.appointment_id IS NOT NULL AND NEW.status IN ('done', 'noShow') AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION ticket_ends_appointment();
