-- Helpers acting on someone's behalf (migration 0013).

-- THE rule of a helper's scope: helper `helper` arranged appointment `appointment` — they booked it with the person's
-- consent on record (the consent row of action `book` names them). Every route that lets a helper see or act on an
-- appointment asks this (through HelperScope in Swift, or in its SQL), and nothing else: lists, one appointment,
-- confirm, reschedule, cancel, attendees, and check-in.
CREATE OR REPLACE FUNCTION helper_arranged(appointment uuid, helper uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM appointment_consent c
                   WHERE c.appointment_id = appointment AND c.helper_id = helper AND c.action = 'book')
$$;
