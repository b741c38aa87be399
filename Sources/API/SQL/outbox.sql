-- The outbox (issue 10): messages to citizens, written in the transaction of the appointment change they tell about
-- and sent by the mail job of every `loket serve` (OutboxSender). "Now" and the lease are parameters (the app's
-- clock). Claims use FOR UPDATE SKIP LOCKED, so several processes never pick the same row at once; a claim is a
-- lease (claimed_until): a process that dies while sending leaves the row to be claimed again after the lease.

-- name: outbox_appointment
-- $1 appointment. What the text of a message needs: to whom, in which language, whether Loket may write at all,
-- and the start as local wall-clock fields in the location's zone (PostgreSQL's zone data: summer time is right).
SELECT a.id::text AS id, a.reference, a.status, a.citizen_email, a.citizen_name, a.citizen_language, a.notify_citizen,
       a.manage_token_hash IS NOT NULL AS has_manage_link,
       epoch_us(a.starts_at) AS starts_us,
       extract(isodow FROM a.starts_at AT TIME ZONE l.time_zone)::integer AS local_weekday,
       extract(day FROM a.starts_at AT TIME ZONE l.time_zone)::integer AS local_day,
       extract(month FROM a.starts_at AT TIME ZONE l.time_zone)::integer AS local_month,
       extract(year FROM a.starts_at AT TIME ZONE l.time_zone)::integer AS local_year,
       to_char(a.starts_at AT TIME ZONE l.time_zone, 'HH24:MI') AS local_time,
       l.name AS location_name, l.street_address, l.postal_code, l.city,
       -- The contact person's code (migration 0015) while the relation is active: the message repeats it.
       (SELECT cp.code FROM contact_person cp WHERE cp.id = a.contact_person_id AND cp.ended_at IS NULL) AS contact_code
FROM appointment a JOIN location l ON l.id = a.location_id
WHERE a.id = $1::uuid

-- name: outbox_notify_off
-- $1 appointment. An external form sends its own mail: Loket stays silent about this appointment from now on.
UPDATE appointment SET notify_citizen = false WHERE id = $1::uuid

-- name: outbox_enqueue
-- $1 kind, $2 appointment, $3 recipient, $4 language, $5 subject, $6 body, $7 .ics, $8 manage link, $9 not before,
-- $10 now.
INSERT INTO outbox_message (kind, appointment_id, recipient, language, subject, body, attachment, manage_url, send_after, created_at)
VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8, $9::timestamptz, $10::timestamptz)
RETURNING id::text AS id

-- name: outbox_manage_url
-- $1 appointment. The citizen's manage link as kept by an unsent message (see 0011): null when none is left.
SELECT manage_url FROM outbox_message
WHERE appointment_id = $1::uuid AND manage_url IS NOT NULL
ORDER BY created_at DESC LIMIT 1

-- name: outbox_supersede
-- $1 appointment, $2 kinds. Unsent (pending) messages of those kinds are dropped: a change makes them out of date.
-- Rows being sent right now are left alone (they were true when claimed). Returns the dropped kinds.
UPDATE outbox_message SET status = 'dropped', body = '', attachment = NULL, manage_url = NULL,
       last_error = 'superseded by a later change'
WHERE appointment_id = $1::uuid AND status = 'pending' AND kind = ANY($2::text[])
RETURNING kind

-- name: outbox_drop_stale
-- $1 now. Messages that no longer make sense are dropped rather than sent: the appointment has started, a
-- confirmation or reminder of a cancelled appointment, a hold that expired unconfirmed, mail turned off.
UPDATE outbox_message m SET status = 'dropped', claimed_until = NULL, body = '', attachment = NULL, manage_url = NULL,
       last_error = s.reason
FROM (SELECT m2.id,
             CASE WHEN a.starts_at <= $1::timestamptz THEN 'the appointment has started'
                  WHEN a.status = 'cancelled' THEN 'the appointment was cancelled'
                  WHEN NOT a.notify_citizen THEN 'mail is turned off for this appointment'
                  ELSE 'the hold expired' END AS reason
      FROM outbox_message m2 JOIN appointment a ON a.id = m2.appointment_id
      WHERE (m2.status = 'pending' OR (m2.status = 'sending' AND m2.claimed_until <= $1::timestamptz))
        AND (a.starts_at <= $1::timestamptz
             OR (a.status = 'cancelled' AND m2.kind <> 'cancelled')
             OR NOT a.notify_citizen
             OR (a.status = 'held' AND a.held_until <= $1::timestamptz))
      FOR UPDATE OF m2 SKIP LOCKED) AS s
WHERE m.id = s.id
RETURNING m.id::text AS id

-- name: outbox_fail_interrupted
-- $1 now, $2 attempts allowed. A message whose lease ran out after its last attempt (its sender died every time, e.g.
-- a message that crashes the process) is failed rather than claimed again without end.
UPDATE outbox_message SET status = 'failed', claimed_until = NULL,
       last_error = 'interrupted while sending; no attempts left'
WHERE id IN (SELECT id FROM outbox_message
             WHERE status = 'sending' AND claimed_until <= $1::timestamptz AND attempts >= $2
             FOR UPDATE SKIP LOCKED)
RETURNING id::text AS id

-- name: outbox_claim
-- $1 now, $2 end of the lease, $3 how many. Due messages and those whose sender's lease ran out, oldest first;
-- messages about a hold wait until it is confirmed. Each claim counts as an attempt.
WITH picked AS (
    SELECT m.id FROM outbox_message m JOIN appointment a ON a.id = m.appointment_id
    WHERE ((m.status = 'pending' AND m.send_after <= $1::timestamptz)
           OR (m.status = 'sending' AND m.claimed_until <= $1::timestamptz))
      AND (m.kind = 'cancelled' OR a.status NOT IN ('held', 'cancelled'))
    ORDER BY m.send_after, m.created_at
    LIMIT $3
    FOR UPDATE OF m SKIP LOCKED
)
UPDATE outbox_message m SET status = 'sending', claimed_until = $2::timestamptz, attempts = m.attempts + 1
FROM picked, appointment a
WHERE m.id = picked.id AND a.id = m.appointment_id
RETURNING m.id::text AS id, m.kind, m.recipient, m.subject, m.body, m.attachment, m.attempts, a.reference

-- name: outbox_sent
-- $1 message, $2 now. The server took it: done, and its text is no longer kept.
UPDATE outbox_message SET status = 'sent', sent_at = $2::timestamptz, claimed_until = NULL, last_error = NULL,
       body = '', attachment = NULL, manage_url = NULL
WHERE id = $1::uuid AND status = 'sending'
RETURNING id::text AS id

-- name: outbox_retry
-- $1 message, $2 what went wrong, $3 next try, $4 attempts allowed. Back to pending for a later try, or failed when
-- the attempts are used up (the text stays, for an administrator to look into).
UPDATE outbox_message SET status = CASE WHEN attempts >= $4 THEN 'failed' ELSE 'pending' END,
       send_after = $3::timestamptz, claimed_until = NULL, last_error = left($2, 1000)
WHERE id = $1::uuid AND status = 'sending'
RETURNING status

-- name: outbox_list
-- $1 only this status (null: all), $2 at most this many. State and bookkeeping only: never the recipient or the text
-- (personal data); the appointment id leads to them for those allowed to see it.
SELECT coalesce(json_agg(json_build_object('id', x.id, 'kind', x.kind, 'appointmentId', x.appointment_id, 'language', x.language,
           'status', x.status, 'attempts', x.attempts, 'sendAfter', rfc3339(x.send_after, 'UTC'),
           'claimedUntil', rfc3339(x.claimed_until, 'UTC'), 'lastError', x.last_error,
           'createdAt', rfc3339(x.created_at, 'UTC'), 'sentAt', rfc3339(x.sent_at, 'UTC'))
       ORDER BY x.created_at DESC, x.id), '[]')::text AS j
FROM (SELECT * FROM outbox_message WHERE $1::text IS NULL OR status = $1::text
      ORDER BY created_at DESC, id LIMIT $2) AS x
