-- Anonymous visit records (migration 0017), written by triggers on the status transitions themselves.
--
-- Why triggers: a visit ends in many places — the desk's finish and no-show, the day-end job that closes what is
-- still open, cancelling or marking an appointment through any of its routes, and SQL an operator runs by hand. A
-- trigger on the transition writes the record in the same transaction as the change, so no path can forget it or
-- count a visit that rolled back, and a new route that ends visits is counted without anyone remembering to.

-- The first call of a visit (requeues and handovers reset called_at; waiting ends at the first call).
CREATE OR REPLACE FUNCTION ticket_keep_first_call() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.first_called_at := NEW.called_at;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS ticket_first_call ON ticket;
-- Fires only when there is something to keep, so the hot desk statements pay nothing otherwise.
CREATE TRIGGER ticket_first_call BEFORE UPDATE OF called_at ON ticket
    FOR EACH ROW WHEN (OLD.first_called_at IS NULL AND NEW.called_at IS NOT NULL) EXECUTE FUNCTION ticket_keep_first_call();

-- A ticket that reached done or noShow: one visit record, with its local day and hour, kind, waiting and service time.
CREATE OR REPLACE FUNCTION ticket_visit_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tz text;
    first_call timestamptz := coalesce(NEW.first_called_at, OLD.first_called_at, NEW.called_at, OLD.called_at);
BEGIN
    SELECT l.time_zone INTO tz FROM location l WHERE l.id = NEW.location_id;
    INSERT INTO visit_record (location_id, agency_id, service_id, day, hour, kind, urgent, waiting_seconds, service_seconds,
                              outcome, outcome_categories, handovers)
    SELECT NEW.location_id, s.agency_id, NEW.service_id, NEW.service_day,
           extract(hour FROM NEW.arrived_at AT TIME ZONE tz)::smallint,
           CASE WHEN NEW.appointment_id IS NULL THEN 'walkIn' ELSE 'appointment' END,
           NEW.priority = 'urgent',
           CASE WHEN first_call IS NOT NULL
                THEN greatest(0, floor(extract(epoch FROM first_call - greatest(NEW.arrived_at, NEW.due_at))))::int END,
           -- Service time only for a visit finished at a desk; one closed at day end has no real end.
           CASE WHEN NEW.status = 'done' AND NEW.closed_reason IS NULL AND OLD.called_at IS NOT NULL AND NEW.finished_at IS NOT NULL
                THEN greatest(0, floor(extract(epoch FROM NEW.finished_at - OLD.called_at)))::int END,
           NEW.status, NEW.outcome_categories, least(NEW.hops, 32767)::smallint
    FROM service s WHERE s.id = NEW.service_id;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS ticket_visit_record ON ticket;
CREATE TRIGGER ticket_visit_record AFTER UPDATE OF status ON ticket
    FOR EACH ROW WHEN (NEW.status IN ('done', 'noShow') AND OLD.status NOT IN ('done', 'noShow'))
    EXECUTE FUNCTION ticket_visit_record();

-- An appointment that ended as noShow or cancelled without a ticket (the visitor never checked in): one visit record.
-- A hold that expired or was dropped was never an appointment and is not counted; an appointment with a ticket is
-- counted by its ticket. Agency and service: the first requirement's (a joint appointment is one visit).
CREATE OR REPLACE FUNCTION appointment_visit_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ticket t WHERE t.appointment_id = NEW.id) THEN
        RETURN NULL;
    END IF;
    INSERT INTO visit_record (location_id, agency_id, service_id, day, hour, kind, urgent, outcome)
    SELECT NEW.location_id, s.agency_id, s.id, (NEW.starts_at AT TIME ZONE l.time_zone)::date,
           extract(hour FROM NEW.starts_at AT TIME ZONE l.time_zone)::smallint, 'appointment', false, NEW.status
    FROM location l,
         LATERAL (SELECT coalesce(
                     (SELECT r.service_id FROM appointment_reservation r
                      WHERE r.appointment_id = NEW.id AND r.service_id IS NOT NULL ORDER BY r.position LIMIT 1),
                     (SELECT q.service_id FROM appointment_type_requirement q
                      WHERE q.appointment_type_id = NEW.appointment_type_id ORDER BY q.position LIMIT 1)) AS id) AS first,
         service s
    WHERE l.id = NEW.location_id AND s.id = first.id;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS appointment_visit_record ON appointment;
CREATE TRIGGER appointment_visit_record AFTER UPDATE OF status ON appointment
    FOR EACH ROW WHEN (NEW.status IN ('noShow', 'cancelled') AND OLD.status IN ('booked', 'checkedIn'))
    EXECUTE FUNCTION appointment_visit_record();

-- Each warm handover: one anonymous flow row (from agency/service → to agency/service, location, local day and hour).
-- AFTER triggers run at the end of the statement, so they see the handover statement's own update of the ticket.
CREATE OR REPLACE FUNCTION handover_visit_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO visit_handover (location_id, day, hour, from_agency_id, from_service_id, to_agency_id, to_service_id, urgent)
    -- The ticket's day and the hour it re-entered the queue (the handover statement sets queued_at to its "now";
    -- the row's own `at` is the database clock's, which tests and replays do not control).
    SELECT t.location_id, t.service_day, extract(hour FROM t.queued_at AT TIME ZONE l.time_zone)::smallint,
           fs.agency_id, NEW.from_service_id, NEW.to_agency_id, NEW.to_service_id, NEW.urgent
    FROM ticket t JOIN location l ON l.id = t.location_id, service fs
    WHERE t.id = NEW.ticket_id AND fs.id = NEW.from_service_id;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS handover_visit_record ON ticket_handover;
CREATE TRIGGER handover_visit_record AFTER INSERT ON ticket_handover
    FOR EACH ROW EXECUTE FUNCTION handover_visit_record();
