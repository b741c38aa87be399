-- The retention purge (issue 11, `loket purge` and the job in `loket serve`): personal fields are emptied once they
-- are no longer needed; statistics live on in the anonymous visit records (migration 0017), which are never touched.
-- Each statement does one batch ($2 rows at most, SKIP LOCKED so several processes can run it) and returns how many
-- rows it purged; the caller repeats while a batch comes back full. "Now" is $1, from the application's clock.

-- name: purge_walk_in_tickets
-- Walk-in tickets at the end of their local day (the location's zone): the free-text outcome and the handover notes
-- written about the visitor. Only finished tickets (the day-end job closes what is still open first).
WITH due AS (
    SELECT t.id FROM ticket t JOIN location l ON l.id = t.location_id
    WHERE t.purged_at IS NULL AND t.appointment_id IS NULL AND t.status IN ('done', 'noShow')
      AND t.service_day < ($1::timestamptz AT TIME ZONE l.time_zone)::date
    LIMIT $2
    FOR UPDATE OF t SKIP LOCKED
), notes AS (
    UPDATE ticket_handover h SET note = NULL FROM due WHERE h.ticket_id = due.id AND h.note IS NOT NULL
), upd AS (
    UPDATE ticket t SET outcome = NULL, purged_at = $1::timestamptz FROM due WHERE t.id = due.id RETURNING t.id
)
SELECT count(*)::int AS n FROM upd

-- name: purge_appointments
-- Appointments N days after they took place (their end), N the longest `appointment_retention_days` of the agencies
-- taking part (default 30; an appointment without participants uses 30), whatever their status: the citizen's name,
-- e-mail, phone, needs and their note, the manage token, the cancel reason; the mail about them; named attendees;
-- the helper's consent text; and the appointment's ticket like a walk-in's (outcome text, handover notes).
WITH due AS (
    SELECT a.id FROM appointment a
    WHERE a.purged_at IS NULL
      -- The shortest possible period first, so the partial index on ends_at does the finding.
      AND a.ends_at < $1::timestamptz - interval '1 day'
      AND a.ends_at < $1::timestamptz - make_interval(days => coalesce(
              (SELECT max(ag.appointment_retention_days) FROM appointment_reservation r JOIN agency ag ON ag.id = r.agency_id
               WHERE r.appointment_id = a.id), 30))
    LIMIT $2
    FOR UPDATE OF a SKIP LOCKED
), mail AS (
    DELETE FROM outbox_message m USING due WHERE m.appointment_id = due.id
), named AS (
    DELETE FROM appointment_attendee x USING due WHERE x.appointment_id = due.id AND x.helper_id IS NULL AND x.kind = 'helper'
), attendees AS (
    UPDATE appointment_attendee x SET name = NULL FROM due
    WHERE x.appointment_id = due.id AND x.name IS NOT NULL AND (x.helper_id IS NOT NULL OR x.kind = 'interpreter')
), consent AS (
    UPDATE appointment_consent c SET scope = 'verwijderd na bewaartermijn' FROM due WHERE c.appointment_id = due.id
), tickets AS (
    UPDATE ticket t SET outcome = NULL, purged_at = $1::timestamptz FROM due
    WHERE t.appointment_id = due.id AND t.purged_at IS NULL
    RETURNING t.id
), notes AS (
    UPDATE ticket_handover h SET note = NULL FROM tickets WHERE h.ticket_id = tickets.id AND h.note IS NOT NULL
), upd AS (
    UPDATE appointment a SET citizen_name = NULL, citizen_email = NULL, citizen_phone = NULL, needs = '{}',
        needs_note = NULL, manage_token_hash = NULL, cancel_reason = NULL, purged_at = $1::timestamptz
    FROM due WHERE a.id = due.id
    RETURNING a.id
)
SELECT count(*)::int AS n FROM upd

-- name: purge_contact_notes
-- A contact person's note (visible to their agency only) once the contact relation has ended and the agency's
-- `appointment_retention_days` have passed since (default 30): while the relation lasts the note is what lets the
-- visitor not tell their story twice; after it, it is only personal data. The relation itself (code, staff member,
-- dates) stays: it names no citizen.
WITH due AS (
    SELECT c.id FROM contact_person c JOIN agency ag ON ag.id = c.agency_id
    WHERE c.note IS NOT NULL AND c.ended_at IS NOT NULL
      AND c.ended_at < $1::timestamptz - make_interval(days => ag.appointment_retention_days)
    LIMIT $2
    FOR UPDATE OF c SKIP LOCKED
), upd AS (
    UPDATE contact_person c SET note = NULL FROM due WHERE c.id = due.id RETURNING c.id
)
SELECT count(*)::int AS n FROM upd
