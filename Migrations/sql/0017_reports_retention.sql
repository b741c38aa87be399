-- Reports and retention (issue 11): anonymous visit records that survive the retention purge, outcome categories in
-- the style of the library help points' registration, and the columns the purge needs.
--
-- Reports are computed only from `visit_record` and `visit_handover`: rows with no personal data and no id that
-- leads back to a person (no ticket id, no appointment id, no staff id, no exact time — a local day and hour only).
-- The purge may then empty every personal field of tickets and appointments without changing any statistic.

-- Outcome categories, compatible with the registration of the Informatiepunten Digitale Overheid (IDO) in public
-- libraries: what the question was about (topic), which government layer it concerned (layer), and what help was
-- given (help). A small fixed list with Dutch labels; staff may pick at most one per dimension when finishing a ticket.
CREATE TABLE outcome_category (
    code       text PRIMARY KEY CONSTRAINT outcome_category_code_check CHECK (code ~ '^[a-z][a-z-]{1,47}$'),
    dimension  text NOT NULL CONSTRAINT outcome_category_dimension_check CHECK (dimension IN ('topic', 'layer', 'help')),
    label_nl   text NOT NULL CONSTRAINT outcome_category_label_check CHECK (length(btrim(label_nl)) BETWEEN 1 AND 100),
    position   smallint NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    UNIQUE (dimension, position)
);
INSERT INTO outcome_category (code, dimension, label_nl, position) VALUES
    ('topic-benefits',    'topic', 'Toeslagen en uitkeringen', 1),
    ('topic-taxes',       'topic', 'Belastingen', 2),
    ('topic-digid',       'topic', 'DigiD en inloggen', 3),
    ('topic-documents',   'topic', 'Identiteit en documenten', 4),
    ('topic-work',        'topic', 'Werk en inkomen', 5),
    ('topic-housing',     'topic', 'Wonen en verhuizen', 6),
    ('topic-care',        'topic', 'Zorg en ondersteuning', 7),
    ('topic-debts',       'topic', 'Geldzaken en schulden', 8),
    ('topic-other',       'topic', 'Overig', 9),
    ('layer-national',    'layer', 'Rijksoverheid (landelijk)', 1),
    ('layer-municipal',   'layer', 'Gemeente', 2),
    ('layer-other',       'layer', 'Andere overheid of organisatie', 3),
    ('help-explained',    'help',  'Uitleg gegeven', 1),
    ('help-filled-in',    'help',  'Samen ingevuld of geregeld', 2),
    ('help-referred',     'help',  'Doorverwezen', 3),
    ('help-appointment',  'help',  'Afspraak gemaakt', 4),
    ('help-not-possible', 'help',  'Niet kunnen helpen', 5);

-- The outcome categories chosen at the finish step (codes of outcome_category, at most one per dimension; the finish
-- route checks them). Not personal data: a fixed list, copied into the visit record.
ALTER TABLE ticket ADD COLUMN outcome_categories text[] NOT NULL DEFAULT '{}';
-- The first call of the visit: requeues and handovers reset called_at, but the waiting time a visitor experienced
-- ends at their first call. Kept by a trigger (below), so no statement that calls a ticket can forget it.
ALTER TABLE ticket ADD COLUMN first_called_at timestamptz;
-- When the retention purge emptied the ticket's personal fields (null: not yet).
ALTER TABLE ticket ADD COLUMN purged_at timestamptz;
ALTER TABLE appointment ADD COLUMN purged_at timestamptz;

-- How many days after an appointment took place its personal data is kept (per agency; a joint appointment keeps it
-- for the longest period of the agencies taking part). Bounded so a typo cannot keep data for centuries.
ALTER TABLE agency ADD COLUMN appointment_retention_days integer NOT NULL DEFAULT 30
    CONSTRAINT agency_appointment_retention_days_check CHECK (appointment_retention_days BETWEEN 1 AND 3650);

-- One row per finished visit. `kind` walkIn or appointment; `outcome` done, noShow or cancelled (an appointment that
-- ended without a ticket); `waiting_seconds` from taking the number (or the ticket's due time, for a visitor who came
-- early for an appointment) to the first call, null when never called; `service_seconds` from the last call to the
-- finish, null when not served or closed at day end. `agency_id`/`service_id` are those of the service the visit
-- ended at. No ticket id, no staff, no exact time: nothing here leads back to a person.
CREATE TABLE visit_record (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    location_id         uuid NOT NULL REFERENCES location(id),
    agency_id           uuid NOT NULL REFERENCES agency(id),
    service_id          uuid NOT NULL REFERENCES service(id),
    -- Local date and hour in the location's zone (of arrival; of the start for an appointment without a ticket).
    day                 date NOT NULL,
    hour                smallint NOT NULL CONSTRAINT visit_record_hour_check CHECK (hour BETWEEN 0 AND 23),
    kind                text NOT NULL CONSTRAINT visit_record_kind_check CHECK (kind IN ('walkIn', 'appointment')),
    urgent              boolean NOT NULL,
    waiting_seconds     integer CONSTRAINT visit_record_waiting_check CHECK (waiting_seconds >= 0),
    service_seconds     integer CONSTRAINT visit_record_service_check CHECK (service_seconds >= 0),
    outcome             text NOT NULL CONSTRAINT visit_record_outcome_check CHECK (outcome IN ('done', 'noShow', 'cancelled')),
    outcome_categories  text[] NOT NULL DEFAULT '{}',
    handovers           smallint NOT NULL DEFAULT 0 CONSTRAINT visit_record_handovers_check CHECK (handovers >= 0),
    -- Cancellations happen without a visitor: only appointments can end that way.
    CONSTRAINT visit_record_cancelled_is_appointment CHECK (outcome <> 'cancelled' OR kind = 'appointment')
);
-- A month's report reads a range of days, for one location or for all: both index orders, with the columns the
-- reports read included, so a month of every location is an index-only scan.
CREATE INDEX visit_record_location_day ON visit_record (location_id, day)
    INCLUDE (agency_id, service_id, kind, urgent, outcome, waiting_seconds, service_seconds, outcome_categories);
CREATE INDEX visit_record_day ON visit_record (day)
    INCLUDE (location_id, agency_id, service_id, kind, urgent, outcome, waiting_seconds, service_seconds, outcome_categories);

-- One row per warm handover between services: from which agency/service to which, at which location, day and hour.
-- Not linked to the visit record (that would make a chain of moves per visitor); counted as a flow table.
CREATE TABLE visit_handover (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    location_id      uuid NOT NULL REFERENCES location(id),
    day              date NOT NULL,
    hour             smallint NOT NULL CONSTRAINT visit_handover_hour_check CHECK (hour BETWEEN 0 AND 23),
    from_agency_id   uuid NOT NULL REFERENCES agency(id),
    from_service_id  uuid NOT NULL REFERENCES service(id),
    to_agency_id     uuid NOT NULL REFERENCES agency(id),
    to_service_id    uuid NOT NULL REFERENCES service(id),
    urgent           boolean NOT NULL
);
CREATE INDEX visit_handover_day ON visit_handover (day, location_id) INCLUDE (from_agency_id, to_agency_id, from_service_id, to_service_id);
CREATE INDEX visit_handover_location_day ON visit_handover (location_id, day) INCLUDE (from_agency_id, to_agency_id, from_service_id, to_service_id);

-- What the purge looks for: only rows not yet purged are in these indexes, so each run reads what is new.
CREATE INDEX ticket_not_purged ON ticket (service_day) WHERE purged_at IS NULL;
CREATE INDEX appointment_not_purged ON appointment (ends_at) WHERE purged_at IS NULL;

-- History from before this migration, so reports start with it: finished tickets, appointments that ended without a
-- ticket, and handovers. The first call was not kept then: waiting runs to the first call recorded in service_record
-- (else the ticket's last call), service time from the last call to the finish, as the triggers do from now on.
-- Outcome categories did not exist yet.
INSERT INTO visit_record (location_id, agency_id, service_id, day, hour, kind, urgent, waiting_seconds, service_seconds,
                          outcome, handovers)
SELECT t.location_id, s.agency_id, t.service_id, t.service_day, extract(hour FROM t.arrived_at AT TIME ZONE l.time_zone)::smallint,
       CASE WHEN t.appointment_id IS NULL THEN 'walkIn' ELSE 'appointment' END, t.priority = 'urgent',
       CASE WHEN fc.at IS NOT NULL THEN greatest(0, floor(extract(epoch FROM fc.at - greatest(t.arrived_at, t.due_at))))::int END,
       CASE WHEN t.status = 'done' AND t.closed_reason IS NULL AND t.called_at IS NOT NULL AND t.finished_at IS NOT NULL
            THEN greatest(0, floor(extract(epoch FROM t.finished_at - t.called_at)))::int END,
       t.status, least(t.hops, 32767)::smallint
FROM ticket t JOIN service s ON s.id = t.service_id JOIN location l ON l.id = t.location_id
CROSS JOIN LATERAL (SELECT coalesce((SELECT min(r.called_at) FROM service_record r WHERE r.ticket_id = t.id), t.called_at) AS at) AS fc
WHERE t.status IN ('done', 'noShow');

-- Appointments that ended without a ticket; holds that expired were never appointments (their cancel reason says so;
-- a hold cancelled otherwise cannot be told from a booking any more and is counted as a cancellation).
INSERT INTO visit_record (location_id, agency_id, service_id, day, hour, kind, urgent, outcome)
SELECT a.location_id, s.agency_id, s.id, (a.starts_at AT TIME ZONE l.time_zone)::date,
       extract(hour FROM a.starts_at AT TIME ZONE l.time_zone)::smallint, 'appointment', false, a.status
FROM appointment a JOIN location l ON l.id = a.location_id
CROSS JOIN LATERAL (SELECT coalesce(
        (SELECT r.service_id FROM appointment_reservation r WHERE r.appointment_id = a.id AND r.service_id IS NOT NULL ORDER BY r.position LIMIT 1),
        (SELECT q.service_id FROM appointment_type_requirement q WHERE q.appointment_type_id = a.appointment_type_id ORDER BY q.position LIMIT 1)) AS id) AS first
JOIN service s ON s.id = first.id
WHERE a.status IN ('noShow', 'cancelled') AND a.cancel_reason IS DISTINCT FROM 'hold expired'
  AND NOT EXISTS (SELECT 1 FROM ticket t WHERE t.appointment_id = a.id);

INSERT INTO visit_handover (location_id, day, hour, from_agency_id, from_service_id, to_agency_id, to_service_id, urgent)
SELECT t.location_id, t.service_day, extract(hour FROM h.at AT TIME ZONE l.time_zone)::smallint,
       fs.agency_id, h.from_service_id, h.to_agency_id, h.to_service_id, h.urgent
FROM ticket_handover h JOIN ticket t ON t.id = h.ticket_id JOIN location l ON l.id = t.location_id JOIN service fs ON fs.id = h.from_service_id;

-- The triggers live in Migrations/functions/92_reports.sql (repeatable): visit records are written by triggers on
-- the status transitions themselves, in the same transaction, so no code path that finishes a ticket or cancels an
-- appointment (desk actions, day end, bulk SQL by hand, future routes) can forget to count it.
