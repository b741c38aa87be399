-- Mail to citizens (issue 10): confirmations, changes, cancellations and reminders go through an outbox. A message is
-- a row written in the same transaction as the appointment change it tells about, so a change that rolls back leaves
-- no message, and a committed change cannot lose its message when the process or the mail server is down. A job in
-- every `loket serve` claims due rows (FOR UPDATE SKIP LOCKED, with a lease), sends them over SMTP and marks them
-- sent: at least once — a process killed between the server's "250 OK" and the mark sends that message again once
-- the lease has run out (README, "Mail to citizens").

-- An external form (Open Forms) that sends its own confirmation turns Loket's mail off for that appointment
-- (`notify: false` on POST /api/v1/appointments); later changes and the reminder then stay silent too.
ALTER TABLE appointment ADD COLUMN notify_citizen boolean NOT NULL DEFAULT true;

CREATE TABLE outbox_message (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- What the message tells: booked (the confirmation), rescheduled, cancelled, or the reminder 24 hours before.
    kind            text NOT NULL CONSTRAINT outbox_message_kind_check
                    CHECK (kind IN ('booked', 'rescheduled', 'cancelled', 'reminder')),
    -- Deleting an appointment (never done by Loket, possible by hand) takes its unsent mail with it.
    appointment_id  uuid NOT NULL REFERENCES appointment(id) ON DELETE CASCADE,
    -- Copied from the appointment at enqueue time: the message goes where the citizen said when it was decided.
    recipient       text NOT NULL CONSTRAINT outbox_message_recipient_check
                    CHECK (recipient ~ '^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$' AND length(recipient) <= 254),
    language        text NOT NULL CONSTRAINT outbox_message_language_check CHECK (language ~ '^[a-z]{2,3}$'),
    -- Rendered in the enqueueing transaction (the manage link is only known there, in plain text); emptied once the
    -- message is sent or dropped: the table keeps no personal text longer than needed.
    subject         text NOT NULL CONSTRAINT outbox_message_subject_check CHECK (length(subject) <= 300),
    body            text NOT NULL,
    -- The citizen's .ics (METHOD:PUBLISH, or CANCEL for a cancellation).
    attachment      text,
    -- The citizen's manage link, kept while a message that may need it (a later change, the reminder) is unsent:
    -- the token itself is stored only hashed on the appointment.
    manage_url      text CONSTRAINT outbox_message_manage_url_check CHECK (length(manage_url) <= 500),
    status          text NOT NULL DEFAULT 'pending' CONSTRAINT outbox_message_status_check
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dropped')),
    -- Claims so far (a claim that was interrupted by a crash counts too), so a message that kills its sender every
    -- time cannot loop forever.
    attempts        integer NOT NULL DEFAULT 0 CONSTRAINT outbox_message_attempts_check CHECK (attempts BETWEEN 0 AND 1000),
    -- Not before: the reminder's 24 hours before the start, or the next try after a failure (backoff).
    send_after      timestamptz NOT NULL,
    -- The lease of the process that claimed the row: until then nobody else sends it; after it, the claim is void.
    claimed_until   timestamptz,
    last_error      text CONSTRAINT outbox_message_last_error_check CHECK (length(last_error) <= 1000),
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    -- Only a claimed row has a lease; only a sent row has a sending time.
    CONSTRAINT outbox_message_lease CHECK ((status = 'sending') = (claimed_until IS NOT NULL)),
    CONSTRAINT outbox_message_sent CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    -- A message waiting to go has its text; a finished one keeps only its bookkeeping.
    CONSTRAINT outbox_message_has_text CHECK (status NOT IN ('pending', 'sending') OR (length(body) > 0 AND length(subject) > 0)),
    CONSTRAINT outbox_message_no_text_kept CHECK (status IN ('pending', 'sending', 'failed') OR (body = '' AND attachment IS NULL AND manage_url IS NULL))
);
-- The claim: due pending rows and expired leases, oldest first. Small, because finished rows leave it.
CREATE INDEX outbox_message_due ON outbox_message (send_after) WHERE status = 'pending';
CREATE INDEX outbox_message_leased ON outbox_message (claimed_until) WHERE status = 'sending';
-- A change finds the appointment's unsent messages (to supersede them) and the manage link.
CREATE INDEX outbox_message_appointment ON outbox_message (appointment_id);
-- The admin list, newest first per status.
CREATE INDEX outbox_message_status_created ON outbox_message (status, created_at DESC);
