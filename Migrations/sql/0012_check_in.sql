-- Check-in: an appointment's visitor arrives (kiosk or desk) and joins the queue with a ticket like any other, in
-- the order the Queue module writes down (AppointmentQueueRule, QueueKey). What must hold lives here.

-- The appointment a ticket was drawn for. One ticket per appointment: a second scan of the same confirmation finds
-- this ticket again instead of drawing a second number (the check-in statement reads it first, and this index
-- decides a race between two kiosks).
ALTER TABLE ticket ADD COLUMN appointment_id uuid REFERENCES appointment(id);
CREATE UNIQUE INDEX ticket_one_per_appointment ON ticket (appointment_id) WHERE appointment_id IS NOT NULL;

-- Offered first to: staff members who get the first chance to call a ticket (an appointment's participants; next,
-- a contact person), until `offered_until`. After that, or for a ticket with no offer, any qualified staff member may
-- call it. General on purpose: whoever a ticket is meant for is a list of staff ids plus the end of the offer, and
-- call-next reads only these two columns. Offered staff may call the ticket even when they do not serve its service
-- (a joint appointment's participants belong to several agencies; the ticket carries the first one's service).
ALTER TABLE ticket ADD COLUMN offered_to uuid[];
ALTER TABLE ticket ADD COLUMN offered_until timestamptz;
ALTER TABLE ticket ADD CONSTRAINT ticket_offer_complete
    -- An offer without an end would keep a visitor from every other desk for good; an end without anyone is noise.
    CHECK ((offered_to IS NULL) = (offered_until IS NULL)
           AND (offered_to IS NULL OR (cardinality(offered_to) BETWEEN 1 AND 10 AND array_position(offered_to, NULL) IS NULL)));

-- Arrived after the grace (AppointmentQueueRule.graceMinutes): the ticket is a walk-in now, and staff see why.
ALTER TABLE ticket ADD COLUMN late boolean NOT NULL DEFAULT false;
ALTER TABLE ticket ADD CONSTRAINT ticket_late_needs_appointment CHECK (NOT late OR appointment_id IS NOT NULL);

-- Where the visitor is called to when it is not a desk: the appointment's room. The public call carries the room's
-- name in place of the desk's; the calling staff member still holds the ticket at their desk (one visitor at a time).
ALTER TABLE ticket ADD COLUMN room_id uuid REFERENCES room(id);
ALTER TABLE ticket ADD CONSTRAINT ticket_room_needs_appointment CHECK (room_id IS NULL OR appointment_id IS NOT NULL);

-- Who an event is for. Null: everyone at the location (the public stream, the call display). Otherwise only these
-- staff members' desk pages (the staff stream): "visitor arrived, room 2" names an appointment, which onlookers
-- must not learn from a public screen.
ALTER TABLE event ADD COLUMN audience uuid[];

-- The visit ends, so does the appointment: the trigger ticket_ends_appointment (Migrations/functions/80_check_in.sql)
-- moves a ticket's appointment when the ticket is finished or marked no-show, in the same transaction.
