-- Appointments: a booked (or held) time at a location with one staff member per requirement of its type and, when
-- the type needs one, a room. What must never break lives here as constraints:
--
-- * no staff member and no room is ever double-booked: every participant's and the room's time is a reservation
--   row, and an exclusion constraint refuses two live reservations of one resource whose buffered times overlap
--   (cal.com's and Easy!Appointments' double bookings came from checking in the application and inserting later);
-- * a reservation's copy of its appointment's status cannot drift: a composite foreign key with ON UPDATE CASCADE
--   rewrites it in the same statement that changes the appointment, so cancelling frees every resource at once;
-- * a staff member only takes part for a service of their own agency (composite keys to staff and service), which
--   is what lets each agency see its own appointments' personal data and only that;
-- * references never repeat per location and year.
--
-- Statuses and the moves between them are Scheduling's AppointmentStateMachine (a test ties this CHECK to it).

-- Where the location is, for invitations (ORGANIZER, LOCATION) and for the Open Forms location list. Empty until an
-- administrator fills it in; the public pages then show the location's name only.
ALTER TABLE location ADD COLUMN street_address text NOT NULL DEFAULT ''
    CONSTRAINT location_street_address_check CHECK (length(street_address) <= 200);
ALTER TABLE location ADD COLUMN postal_code text NOT NULL DEFAULT ''
    -- Dutch postal codes ("1234 AB"); empty when unknown.
    CONSTRAINT location_postal_code_check CHECK (postal_code = '' OR postal_code ~ '^[1-9][0-9]{3} [A-Z]{2}$');
ALTER TABLE location ADD COLUMN city text NOT NULL DEFAULT ''
    CONSTRAINT location_city_check CHECK (length(city) <= 100);
-- The address invitations come from (ORGANIZER); null: the service's own no-reply address.
ALTER TABLE location ADD COLUMN email text
    CONSTRAINT location_email_check CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254);

-- Where a staff member receives invitations. Only they and administrators see it.
ALTER TABLE staff ADD COLUMN email text
    CONSTRAINT staff_email_check CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254);

-- What a public appointment type asks of the citizen (data minimisation): each of name, e-mail and phone is
-- required, optional or not asked at all, and `contact_required` asks for at least one of e-mail or phone (the
-- Open Forms "one of" group). Never a BSN, never a gender: there are no columns for them.
ALTER TABLE appointment_type ADD COLUMN name_field text NOT NULL DEFAULT 'required'
    CONSTRAINT appointment_type_name_field_check CHECK (name_field IN ('required', 'optional', 'hidden'));
ALTER TABLE appointment_type ADD COLUMN email_field text NOT NULL DEFAULT 'optional'
    CONSTRAINT appointment_type_email_field_check CHECK (email_field IN ('required', 'optional', 'hidden'));
ALTER TABLE appointment_type ADD COLUMN phone_field text NOT NULL DEFAULT 'optional'
    CONSTRAINT appointment_type_phone_field_check CHECK (phone_field IN ('required', 'optional', 'hidden'));
ALTER TABLE appointment_type ADD COLUMN contact_required boolean NOT NULL DEFAULT true;
ALTER TABLE appointment_type ADD CONSTRAINT appointment_type_contact_possible
    -- "at least one of e-mail or phone" cannot be asked when both are hidden.
    CHECK (NOT contact_required OR email_field <> 'hidden' OR phone_field <> 'hidden');

CREATE TABLE appointment (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    location_id          uuid NOT NULL REFERENCES location(id),
    appointment_type_id  uuid NOT NULL REFERENCES appointment_type(id),
    -- Read out at a desk and over the phone: six characters without 0/O, 1/I/L (Crockford's reasoning), upper case.
    reference            text NOT NULL CONSTRAINT appointment_reference_check CHECK (reference ~ '^[2-9A-HJKMNP-Z]{6}$'),
    -- The local year the appointment was booked in; with the location it scopes the reference's uniqueness.
    reference_year       smallint NOT NULL CONSTRAINT appointment_reference_year_check CHECK (reference_year BETWEEN 2000 AND 2999),
    status               text NOT NULL CONSTRAINT appointment_status_check
                         CHECK (status IN ('held', 'booked', 'checkedIn', 'done', 'noShow', 'cancelled')),
    -- The appointment itself, without buffers (what the citizen and the invitations see).
    starts_at            timestamptz NOT NULL,
    ends_at              timestamptz NOT NULL,
    persons              smallint NOT NULL DEFAULT 1 CONSTRAINT appointment_persons_check CHECK (persons BETWEEN 1 AND 20),
    -- A hold keeps the slot while a form is completed; past this instant it blocks no one (the booking statement
    -- cancels expired holds on the resources it needs, so no cleanup job has to run first).
    held_until           timestamptz,
    -- Personal data of the citizen: seen by staff of the participating agencies only, every read audited.
    citizen_name         text CONSTRAINT appointment_citizen_name_check CHECK (length(btrim(citizen_name)) BETWEEN 1 AND 200),
    citizen_email        text CONSTRAINT appointment_citizen_email_check
                         CHECK (citizen_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(citizen_email) <= 254),
    citizen_phone        text CONSTRAINT appointment_citizen_phone_check CHECK (citizen_phone ~ '^\+?[0-9 ()-]{6,20}$'),
    citizen_language     text NOT NULL DEFAULT 'nl' CONSTRAINT appointment_citizen_language_check CHECK (citizen_language ~ '^[a-z]{2,3}$'),
    -- A fixed list, so the desk can prepare (an interpreter, a room with a hearing loop), plus a short free text.
    needs                text[] NOT NULL DEFAULT '{}' CONSTRAINT appointment_needs_check
                         CHECK (needs <@ ARRAY['interpreter', 'wheelchair', 'hearingLoop', 'extraTime', 'companion']::text[]),
    needs_note           text CONSTRAINT appointment_needs_note_check CHECK (length(needs_note) <= 200),
    -- SHA-256 of the citizen's manage token (the link in the confirmation); a leaked table cannot be replayed.
    manage_token_hash    bytea CONSTRAINT appointment_manage_token_hash_check CHECK (length(manage_token_hash) = 32),
    -- iCalendar SEQUENCE: raised on every reschedule and on cancel, so calendars replace the earlier version.
    sequence             integer NOT NULL DEFAULT 0 CONSTRAINT appointment_sequence_check CHECK (sequence >= 0),
    -- Who booked: null for the public (a citizen's own booking), else the staff member.
    booked_by            uuid REFERENCES staff(id),
    cancel_reason        text CONSTRAINT appointment_cancel_reason_check CHECK (length(cancel_reason) <= 500),
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    CONSTRAINT appointment_order CHECK (ends_at > starts_at),
    -- Only a hold has an expiry; a booked appointment never silently expires.
    CONSTRAINT appointment_hold CHECK ((status = 'held') = (held_until IS NOT NULL) OR (status = 'cancelled')),
    CONSTRAINT appointment_reference_unique UNIQUE (location_id, reference_year, reference),
    -- Target of the reservations' composite key (see appointment_reservation).
    CONSTRAINT appointment_id_status UNIQUE (id, status)
);
CREATE UNIQUE INDEX appointment_manage_token ON appointment (manage_token_hash) WHERE manage_token_hash IS NOT NULL;
CREATE INDEX appointment_location_start ON appointment (location_id, starts_at);

-- One row per participant (staff member, in the order of the type's requirements) and one for the room. `during`
-- is the buffered time [start − buffer before, end + buffer after): what the resource cannot be used for otherwise.
CREATE TABLE appointment_reservation (
    appointment_id      uuid NOT NULL,
    -- Kept equal to appointment.status by the cascading key below: the exclusion constraints need it on this row.
    appointment_status  text NOT NULL,
    -- The requirement filled (0…9) for staff; null for the room.
    position            smallint CONSTRAINT appointment_reservation_position_check CHECK (position BETWEEN 0 AND 9),
    staff_id            uuid,
    service_id          uuid,
    agency_id           uuid,
    room_id             uuid REFERENCES room(id),
    during              tstzrange NOT NULL,
    FOREIGN KEY (appointment_id, appointment_status) REFERENCES appointment (id, status)
        ON UPDATE CASCADE ON DELETE CASCADE,
    -- The staff member serves for a service of their own agency: the agency is then a fact, not a claim.
    FOREIGN KEY (staff_id, agency_id) REFERENCES staff (id, agency_id),
    FOREIGN KEY (service_id, agency_id) REFERENCES service (id, agency_id),
    -- Exactly one resource per row: a staff member with their requirement, or the room.
    CONSTRAINT appointment_reservation_one_resource CHECK (
        (staff_id IS NOT NULL AND service_id IS NOT NULL AND agency_id IS NOT NULL AND position IS NOT NULL AND room_id IS NULL)
        OR (staff_id IS NULL AND service_id IS NULL AND agency_id IS NULL AND position IS NULL AND room_id IS NOT NULL)),
    CONSTRAINT appointment_reservation_bounded CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)
                                                      AND lower_inc(during) AND NOT upper_inc(during)),
    -- A requirement is filled once and a staff member takes part once per appointment.
    CONSTRAINT appointment_reservation_position_unique UNIQUE (appointment_id, position),
    CONSTRAINT appointment_reservation_staff_unique UNIQUE (appointment_id, staff_id),
    CONSTRAINT appointment_reservation_room_unique UNIQUE (appointment_id, room_id),
    -- THE guarantee: no staff member and no room in two live appointments at once (SQLSTATE 23P01 → 409). Live are
    -- held, booked and checked in; an expired hold still counts here until the next booking of that resource
    -- cancels it in its own transaction. Done and no-show free the rest of their time.
    CONSTRAINT appointment_reservation_staff_free EXCLUDE USING gist (staff_id WITH =, during WITH &&)
        WHERE (staff_id IS NOT NULL AND appointment_status IN ('held', 'booked', 'checkedIn')),
    CONSTRAINT appointment_reservation_room_free EXCLUDE USING gist (room_id WITH =, during WITH &&)
        WHERE (room_id IS NOT NULL AND appointment_status IN ('held', 'booked', 'checkedIn'))
);
-- The cascade from appointment and the lists by agency read these.
CREATE INDEX appointment_reservation_appointment ON appointment_reservation (appointment_id);
CREATE INDEX appointment_reservation_agency ON appointment_reservation (agency_id, during) WHERE agency_id IS NOT NULL;
