-- One contact person, and warm referral to a named colleague (issue 10).
--
-- A staff member who becomes a visitor's contact person gets a short contact code; the visitor keeps it (printed,
-- told) and enters it at the kiosk on a later visit. The ticket drawn with it is offered first to that staff member
-- (ticket.offered_to / offered_until of 0012, the one "offered first to" mechanism) while they are on duty today
-- (staff_on_duty(), Migrations/functions/85_contact_person.sql), and to every qualified colleague after the wait.
--
-- Personal data stays minimal: the code links to a staff member, never to the citizen's name. An optional note
-- is personal data of the contact person's agency: only that agency's staff read it, and every read is audited.
CREATE TABLE contact_person (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- The reference alphabet of appointments (0008): six characters, no 0/O, 1/I/L, easy to read aloud and type.
    code        text NOT NULL CONSTRAINT contact_person_code_check CHECK (code ~ '^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$'),
    location_id uuid NOT NULL REFERENCES location(id),
    staff_id    uuid NOT NULL,
    agency_id   uuid NOT NULL,
    -- The visit at which the staff member became the contact person (for their own records; may be gone later).
    ticket_id   uuid REFERENCES ticket(id) ON DELETE SET NULL,
    -- Visible only to staff of agency_id; every read is audited.
    note        text CONSTRAINT contact_person_note_check CHECK (length(note) <= 2000),
    created_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    -- The agency wall of the note follows the staff member's agency, never a value a request could pick.
    FOREIGN KEY (staff_id, agency_id) REFERENCES staff (id, agency_id),
    CONSTRAINT contact_person_order CHECK (ended_at IS NULL OR ended_at >= created_at)
);
-- A code names one contact person at a location while it is active, so the kiosk finds exactly one staff member.
-- Ended codes may be drawn again later.
CREATE UNIQUE INDEX contact_person_code_active ON contact_person (location_id, code) WHERE ended_at IS NULL;
-- One active contact relation per visit and staff member: asking twice returns the same code.
CREATE UNIQUE INDEX contact_person_ticket_active ON contact_person (ticket_id, staff_id) WHERE ended_at IS NULL;
CREATE INDEX contact_person_staff ON contact_person (staff_id) WHERE ended_at IS NULL;

-- The contact relation a ticket was drawn with (kiosk code), so the desk page can say "contact person: you".
ALTER TABLE ticket ADD COLUMN contact_person_id uuid REFERENCES contact_person(id);

-- Handover to a named colleague: the ticket is offered first to them (like a contact-person ticket), and the
-- handover's note is for their agency (to_agency_id is the colleague's agency then).
ALTER TABLE ticket_handover ADD COLUMN to_staff_id uuid REFERENCES staff(id);
