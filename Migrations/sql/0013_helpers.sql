-- Helpers acting on someone's behalf, and attendees of an appointment (issue 10).
--
-- A helper (an informal helper, a library's digital help point, a social worker) is a staff account with the role
-- `helper`, in the agency row of the organisation they work for (e.g. "Bibliotheek", an agency without services).
-- The role sits below `staff`: every route that needs staff refuses a helper, and the few routes meant for helpers
-- narrow what they see to the appointments they arranged.
--
-- What must never break lives here:
-- * a helper acts only with the person's consent on record: a helper arranged an appointment exactly when a consent
--   row of action `book` names them (helper_arranged(), Migrations/functions/80_helpers.sql, is the one predicate),
--   so an appointment without recorded consent is not the helper's to see or change — there is no other link;
-- * one appointment is arranged by at most one helper (a partial unique index), so "their bookings" never overlap;
-- * consent is never recorded as given after it was recorded, and says how and for what.
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('helper', 'staff', 'coordinator', 'admin'));

-- The person's consent, as the helper recorded it: how it was given (in person, by phone, written), when, and for
-- what (a short text in the person's words, e.g. "afspraak over toeslag maken en verzetten"). One row for the booking
-- and one more for each later change the helper made with a consent of its own. Append-only in practice: nothing
-- updates it; it goes only with its appointment.
CREATE TABLE appointment_consent (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    appointment_id  uuid NOT NULL REFERENCES appointment(id) ON DELETE CASCADE,
    helper_id       uuid NOT NULL REFERENCES staff(id),
    action          text NOT NULL CONSTRAINT appointment_consent_action_check
                    CHECK (action IN ('book', 'reschedule', 'cancel', 'checkIn')),
    method          text NOT NULL CONSTRAINT appointment_consent_method_check CHECK (method IN ('inPerson', 'phone', 'written')),
    given_at        timestamptz NOT NULL,
    scope           text NOT NULL CONSTRAINT appointment_consent_scope_check CHECK (length(btrim(scope)) BETWEEN 1 AND 200),
    recorded_at     timestamptz NOT NULL,
    -- Consent is given before it is written down, never after.
    CONSTRAINT appointment_consent_given_before_recorded CHECK (given_at <= recorded_at)
);
-- The arranging helper: one per appointment. Also the helper's list (by helper) and the predicate's lookup.
CREATE UNIQUE INDEX appointment_consent_one_booking ON appointment_consent (appointment_id) WHERE action = 'book';
CREATE INDEX appointment_consent_helper ON appointment_consent (helper_id, appointment_id) WHERE action = 'book';

-- Someone coming along who is not a participant: a helper (with an account, or just named, e.g. a neighbour) or an
-- interpreter (a language, in person or by phone). Participating staff see that such a person is involved.
CREATE TABLE appointment_attendee (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- The order attendees were added in (several may be added at one clock instant).
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    appointment_id  uuid NOT NULL REFERENCES appointment(id) ON DELETE CASCADE,
    kind            text NOT NULL CONSTRAINT appointment_attendee_kind_check CHECK (kind IN ('helper', 'interpreter')),
    helper_id       uuid REFERENCES staff(id),
    language        text CONSTRAINT appointment_attendee_language_check CHECK (language ~ '^[a-z]{2,3}$'),
    -- An interpreter or helper in person takes a seat in the room (checked against its capacity when added).
    mode            text NOT NULL CONSTRAINT appointment_attendee_mode_check CHECK (mode IN ('inPerson', 'phone')),
    name            text CONSTRAINT appointment_attendee_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    added_by        uuid REFERENCES staff(id),
    created_at      timestamptz NOT NULL,
    -- An interpreter has a language and no account; a helper has an account or at least a name, and no language.
    CONSTRAINT appointment_attendee_shape CHECK (
        (kind = 'interpreter' AND language IS NOT NULL AND helper_id IS NULL)
        OR (kind = 'helper' AND language IS NULL AND (helper_id IS NOT NULL OR name IS NOT NULL))),
    -- A helper account comes along once.
    CONSTRAINT appointment_attendee_helper_unique UNIQUE (appointment_id, helper_id)
);
CREATE INDEX appointment_attendee_appointment ON appointment_attendee (appointment_id);
