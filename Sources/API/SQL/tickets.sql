-- The walk-in queue. Each operation is one statement (data-modifying CTEs): one round trip, atomic, and the event
-- screens learn from is written in the same transaction as the change itself.
-- Events are public (the call display reads them without logging in): they carry the number, the desk and the time,
-- never the service, the priority or the outcome, which would tell onlookers why a numbered visitor came.
-- The call order is the Queue module's QueueKey: (priority_rank, due_at, number_prefix, number_sequence), the columns
-- of the index ticket_call_order. Every ORDER BY and row comparison of waiting tickets uses exactly that list.
-- Statuses a change starts from and leads to are passed from the state machine (TicketStateMachine), never written
-- here. "Now" is a parameter from the application's clock, also for the events' `at` (today's calls, purging).

-- name: take_number
-- $1 location, $2 service, $3 asked priority ('urgent' or null), $4 language, $5 staff who took it for a visitor,
-- $6 now (the application's clock; tests pass instants around daylight saving time), $7 the most tickets ahead to
-- count (TakeNumber.positionLimit: `ahead` = $7 means "at least $7")
-- The hottest statement (deploy/bench phase 5 and the README's "Benchmarks"): what it reads is written out here
-- where that keeps one cheap cached plan (no function call with its own executor start-up per take), and every
-- value is computed once. ASCII only: the text is the key of the prepared-statement cache,
-- hashed on every query, and non-ASCII text takes the slow (normalising) hash.
WITH open AS (
    -- The location, if active and not closed on its local day, and the service, if offered there.
    -- created_at: the ticket arrives at $6. Computed here from plain values so rfc3339 is inlined; given a sub-select
    -- as argument (as in RETURNING) PostgreSQL cannot inline it and plans it again on every call (perf: 5 % of the
    -- backend's time).
    SELECT l.id, l.time_zone, d.day, s.ticket_prefix, rfc3339($6::timestamptz, l.time_zone) AS created_at,
           CASE WHEN s.urgent OR $3 = 'urgent' THEN 'urgent' ELSE 'normal' END AS priority,
           NOT EXISTS (SELECT 1 FROM location_closure c WHERE c.location_id = l.id AND c.service_day = d.day) AS is_open
    FROM location l
    CROSS JOIN LATERAL (SELECT ($6::timestamptz AT TIME ZONE l.time_zone)::date AS day) AS d
    LEFT JOIN (service s JOIN service_location sl ON sl.service_id = s.id AND sl.location_id = $1)
           ON s.id = $2 AND s.active
    WHERE l.id = $1 AND l.active
), stats AS MATERIALIZED (
    -- Read before the counter row is locked, so the lock (held until commit) covers as little work as possible.
    -- Visible tickets ahead in this service's queue: the new ticket is due now, after every ticket of its priority
    -- due until now (its number, not yet drawn, is the day's highest of its prefix). Counted up to $7 rows only:
    -- every take re-read every waiting row of its service before (a queue of thousands under the benchmark); a hall
    -- with more than that waiting for one service is told "more than $7 ahead", not a made-up figure.
    -- The wait estimate's inputs (recent durations, active desks) are not read here: they are the same for every
    -- take of a service within a second or two, so QueueRoutes keeps them per service (wait_inputs, WaitInputsCache).
    SELECT (SELECT count(*) FROM (SELECT 1 FROM ticket o
                                  WHERE o.location_id = $1 AND o.service_id = $2 AND o.status = 'waiting'
                                    AND (o.priority_rank, o.due_at) <= (CASE WHEN open.priority = 'urgent' THEN 0 ELSE 2 END, $6::timestamptz)
                                  LIMIT $7) AS counted)::int AS ahead
    FROM open WHERE open.is_open AND open.ticket_prefix IS NOT NULL
), counter AS (
    INSERT INTO ticket_counter AS c (location_id, prefix, service_day, last_number)
    SELECT open.id, open.ticket_prefix, open.day, 1 FROM open, stats
    ON CONFLICT (location_id, prefix, service_day) DO UPDATE SET last_number = c.last_number + 1
    RETURNING last_number
), t AS (
    INSERT INTO ticket (location_id, service_day, number, service_id, priority, language, created_by, arrived_at, queued_at, due_at)
    SELECT open.id, open.day,
           open.ticket_prefix || CASE WHEN counter.last_number < 1000 THEN lpad(counter.last_number::text, 3, '0')
                                      ELSE counter.last_number::text END,
           $2, open.priority, $4, $5,
           $6::timestamptz, $6::timestamptz, $6::timestamptz  -- a walk-in is due when it arrives
    FROM open, counter
    RETURNING id, number, service_id, location_id, priority, status, language
), e AS (
    INSERT INTO event (location_id, type, payload, at)
    SELECT t.location_id, 'ticket.created', json_build_object('number', t.number, 'at', open.created_at), $6::timestamptz
    FROM t, open
)
SELECT (open.id IS NOT NULL)::int AS location_found,
       (open.ticket_prefix IS NOT NULL)::int AS service_found,
       coalesce(open.is_open, false)::int AS is_open,
       t.id, t.number, t.service_id, t.location_id, t.priority, t.status, t.language,
       CASE WHEN t.id IS NOT NULL THEN open.created_at END AS created_at,
       stats.ahead
FROM (SELECT 1) AS one LEFT JOIN open ON true LEFT JOIN t ON true LEFT JOIN stats ON true

-- name: wait_inputs
-- $1 service, $2 now. The wait estimate's inputs for a new ticket of the service (what ticket_public reads for a
-- waiting one): the latest service durations and the desks working on it. Outside take_number and cached per
-- service for WaitInputsCache.refreshSeconds: an estimate, and take_number's counter lock need not wait for it.
SELECT service_recent_seconds($1::uuid, $2::timestamptz) AS recent_seconds,
       service_active_desks($1::uuid, $2::timestamptz) AS active_desks

-- name: ticket_public
-- $1 ticket, $2 now
-- A visitor called to their appointment's room is told the room, as the display shows it.
SELECT t.id, t.number, t.status, t.language, t.location_id, l.code AS location_code, t.service_id,
       s.name AS service_name, s.translations::text AS service_translations,
       CASE WHEN t.desk_id IS NOT NULL THEN coalesce((SELECT r.name FROM room r WHERE r.id = t.room_id), d.name) END AS desk_name,
       t.priority,
       CASE WHEN t.status = 'waiting' THEN
           (SELECT count(*) FROM ticket o
            WHERE o.location_id = t.location_id AND o.service_id = t.service_id AND o.status = 'waiting'
              AND (o.priority_rank, o.due_at, o.number_prefix, o.number_sequence)
                < (t.priority_rank, t.due_at, t.number_prefix, t.number_sequence))::int
       END AS ahead,
       CASE WHEN t.status = 'waiting' THEN service_recent_seconds(t.service_id, $2::timestamptz) END AS recent_seconds,
       CASE WHEN t.status = 'waiting' THEN service_active_desks(t.service_id, $2::timestamptz) END AS active_desks,
       rfc3339(t.arrived_at, l.time_zone) AS created_at
FROM ticket t
JOIN location l ON l.id = t.location_id
JOIN service s ON s.id = t.service_id
LEFT JOIN desk d ON d.id = t.desk_id
WHERE t.id = $1

-- name: call_next
-- $1 desk, $2 staff, $3 now, $4 sources of `call` ({waiting}), $5 its target (called).
-- Claims the first waiting ticket this staff member may call, skipping rows another desk is claiming at this very
-- moment (SKIP LOCKED): no waiting, and never one ticket for two desks. The queue is the waiting tickets (status =
-- 'waiting' is the index's predicate, so it is written out); the update is guarded by the state machine's sources.
-- Who may call what is the Queue module's QueueEntry.isCallable: the ticket is due (walk-ins are due when they
-- arrive, so this passes over early appointment tickets only, a handful at the end of rank 1 of the index walk), and
-- it is not offered to other staff members right now. Staff it is offered to may call it even outside their services
-- (a joint appointment's participants of other agencies). A ticket with a room sends the visitor to the room: the
-- public call carries the room's name in place of the desk's.
WITH d AS (
    SELECT d.id, d.name, d.location_id, l.time_zone
    FROM desk d JOIN location l ON l.id = d.location_id
    WHERE d.id = $1 AND d.active
), busy AS (
    SELECT t.number FROM ticket t WHERE t.desk_id = $1 AND t.status IN ('called', 'serving')
), next AS (
    SELECT t.id
    FROM ticket t
    WHERE t.location_id = (SELECT location_id FROM d) AND t.status = 'waiting'
      AND (t.service_id = ANY (ARRAY(SELECT service_id FROM staff_service WHERE staff_id = $2)) OR $2 = ANY (t.offered_to))
      AND t.due_at <= $3::timestamptz
      AND (t.offered_to IS NULL OR $2 = ANY (t.offered_to) OR t.offered_until <= $3::timestamptz)
      AND NOT EXISTS (SELECT 1 FROM busy)
    ORDER BY t.priority_rank, t.due_at, t.number_prefix, t.number_sequence
    LIMIT 1
    FOR UPDATE OF t SKIP LOCKED
), upd AS (
    UPDATE ticket t
    SET status = $5, desk_id = $1, staff_id = $2, called_at = $3::timestamptz, recall_count = 0, started_at = NULL
    FROM next WHERE t.id = next.id AND t.status = ANY ($4::text[])
    RETURNING t.*
), e AS (
    INSERT INTO event (location_id, type, payload, at)
    SELECT upd.location_id, 'ticket.called',
           json_build_object('number', upd.number, 'deskName', coalesce(r.name, d.name), 'deskId', d.id,
                             'at', rfc3339(upd.called_at, d.time_zone)), $3::timestamptz
    FROM upd CROSS JOIN d LEFT JOIN room r ON r.id = upd.room_id
)
SELECT (SELECT count(*) FROM d)::int AS desk_found,
       (SELECT min(number) FROM busy) AS busy_number,
       upd.id, upd.status, ticket_staff_json(upd)::text AS j
FROM (SELECT 1) AS one LEFT JOIN upd ON true

-- name: ticket_exists
-- $1 ticket. Whether it exists, and nothing else (the QR code of its status page).
SELECT true AS found FROM ticket WHERE id = $1

-- name: desk_current
-- The ticket held at a desk, as staff see it, for staff behind the same agency wall as the queue: the staff member
-- holding it, or one who serves its service. `allowed` false means it is another agency's visitor (403).
-- $1 desk, $2 staff
SELECT t.id, t.status, ticket_staff_json(t)::text AS j,
       (t.staff_id = $2 OR t.service_id IN (SELECT service_id FROM staff_service WHERE staff_id = $2)) AS allowed
FROM ticket t WHERE t.desk_id = $1 AND t.status IN ('called', 'serving')

-- name: ticket_act
-- One desk action (recall, start, finish, noShow, requeue) as a guarded transition: the row must be held by this
-- staff member and be in one of the statuses the domain's state machine allows for the action. `held` is false when
-- a colleague acted on a ticket someone else held: that reads the visitor's data, so the caller audits it.
-- $1 ticket, $2 staff, $3 action, $4 allowed source statuses, $5 target status, $6 outcome, $7 event, $8 now,
-- $9 outcome categories of a finish (migration 0017; the visit record copies them)
WITH cur AS (
    SELECT t.* FROM ticket t
    WHERE t.id = $1 AND t.status = ANY ($4::text[])
      -- The staff member holding it, or a colleague serving its service (a shift change must not block the desk).
      AND (t.staff_id = $2 OR t.service_id IN (SELECT service_id FROM staff_service WHERE staff_id = $2))
    FOR UPDATE
), upd AS (
    UPDATE ticket t SET
        status = $5,
        recall_count = CASE WHEN $3 = 'recall' THEN t.recall_count + 1 ELSE t.recall_count END,
        called_at = CASE WHEN $3 = 'recall' THEN $8::timestamptz WHEN $5 = 'waiting' THEN NULL ELSE t.called_at END,
        started_at = CASE WHEN $3 = 'start' THEN $8::timestamptz WHEN $5 = 'waiting' THEN NULL ELSE t.started_at END,
        finished_at = CASE WHEN $5 IN ('done', 'noShow') THEN $8::timestamptz ELSE t.finished_at END,
        outcome = CASE WHEN $3 = 'finish' THEN $6 ELSE t.outcome END,
        outcome_categories = CASE WHEN $3 = 'finish' THEN $9::text[] ELSE t.outcome_categories END,
        desk_id = CASE WHEN $5 IN ('called', 'serving') THEN t.desk_id END,
        staff_id = CASE WHEN $5 IN ('called', 'serving') THEN t.staff_id END,
        queued_at = CASE WHEN $5 = 'waiting' THEN $8::timestamptz ELSE t.queued_at END
    FROM cur WHERE t.id = cur.id
    RETURNING t.*
), rec AS (
    INSERT INTO service_record (ticket_id, service_id, desk_id, staff_id, called_at, started_at, ended_at, result)
    SELECT cur.id, cur.service_id, cur.desk_id, cur.staff_id, cur.called_at, cur.started_at, $8::timestamptz,
           CASE $3 WHEN 'finish' THEN 'done' WHEN 'noShow' THEN 'noShow' ELSE 'requeue' END
    FROM cur WHERE $3 IN ('finish', 'noShow', 'requeue')
), e AS (
    INSERT INTO event (location_id, type, payload, at)
    SELECT upd.location_id, $7,
           json_build_object('number', upd.number, 'deskName', coalesce(r.name, d.name), 'deskId', d.id, 'recallCount', upd.recall_count,
                             'at', rfc3339($8::timestamptz, l.time_zone)), $8::timestamptz
    FROM upd JOIN cur ON cur.id = upd.id JOIN location l ON l.id = upd.location_id LEFT JOIN desk d ON d.id = cur.desk_id
    LEFT JOIN room r ON r.id = upd.room_id
), audited AS (
    -- A colleague acting on a ticket someone else held gets the visitor's data back (as desk_current shows it): that
    -- read is audited in the same statement (the action and the ticket, no values), so the common case stays one
    -- autocommit round trip.
    INSERT INTO audit_log (at, staff_id, agency_id, action, subject_type, subject_id, detail)
    SELECT $8::timestamptz, s.id, s.agency_id, 'ticket.act', 'ticket', upd.id::text, jsonb_build_object('action', $3::text)
    FROM upd JOIN cur ON cur.id = upd.id JOIN staff s ON s.id = $2
    WHERE cur.staff_id IS DISTINCT FROM $2
)
SELECT upd.id, upd.status, ticket_staff_json(upd)::text AS j
FROM upd

-- name: ticket_holder
SELECT status, staff_id FROM ticket WHERE id = $1

-- name: handover
-- $1 ticket, $2 staff, $3 target service, $4 note, $5 urgent (true/false/null = keep), $6 sources of `handover`,
-- $7 its target (waiting), $8 now, $9 a named colleague (or null), $10 end of their offer (now + the contact wait).
-- Keeps the number, arrived_at and due_at: the visitor keeps their place in line.
-- To a named colleague (warm referral, migration 0014): the service is the one asked, else the current one when the
-- colleague serves it, else the colleague's first service here; the note is for the colleague's agency; the ticket
-- is offered first to the colleague until $10 when they are on duty today (staff_on_duty), like a contact-person
-- ticket, and to any qualified staff member at once otherwise.
WITH cur AS (
    SELECT t.* FROM ticket t
    WHERE t.id = $1 AND t.status = ANY ($6::text[])
      AND (t.staff_id = $2 OR t.service_id IN (SELECT service_id FROM staff_service WHERE staff_id = $2))
    FOR UPDATE
), colleague AS (
    SELECT s.id, s.agency_id, staff_on_duty(s.id, cur.location_id, $8::timestamptz) AS on_duty
    FROM staff s, cur
    WHERE s.id = $9::uuid AND s.active AND s.role <> 'helper' AND s.id <> $2
), target AS (
    SELECT s.id, coalesce((SELECT agency_id FROM colleague), s.agency_id) AS agency_id, s.urgent
    FROM service s JOIN service_location sl ON sl.service_id = s.id
    JOIN cur ON sl.location_id = cur.location_id
    WHERE s.active AND CASE
        WHEN $9::uuid IS NULL THEN s.id = $3 AND s.id <> cur.service_id
        ELSE EXISTS (SELECT 1 FROM colleague) AND s.id = coalesce(
            $3::uuid,
            (SELECT ss.service_id FROM staff_service ss WHERE ss.staff_id = $9::uuid AND ss.service_id = cur.service_id),
            (SELECT ss.service_id FROM staff_service ss JOIN service s2 ON s2.id = ss.service_id
             JOIN service_location sl2 ON sl2.service_id = s2.id AND sl2.location_id = cur.location_id
             WHERE ss.staff_id = $9::uuid AND s2.active ORDER BY s2.urgent, s2.code LIMIT 1))
    END
), upd AS (
    UPDATE ticket t SET
        status = $7, service_id = target.id, desk_id = NULL, staff_id = NULL, called_at = NULL,
        started_at = NULL, recall_count = 0, queued_at = $8::timestamptz, hops = t.hops + 1,
        -- Another service's staff take over: an offer to the appointment's staff and its room no longer apply.
        -- A named colleague on duty is offered it first instead.
        offered_to = (SELECT ARRAY[c.id] FROM colleague c WHERE c.on_duty),
        offered_until = (SELECT $10::timestamptz FROM colleague c WHERE c.on_duty),
        room_id = NULL,
        priority = CASE WHEN $5::boolean IS TRUE OR target.urgent THEN 'urgent'
                        WHEN $5::boolean IS FALSE THEN 'normal'
                        ELSE t.priority END
    FROM cur, target WHERE t.id = cur.id
    RETURNING t.*
), hop AS (
    INSERT INTO ticket_handover (ticket_id, from_service_id, to_service_id, to_agency_id, by_staff_id, note, urgent, to_staff_id)
    SELECT upd.id, cur.service_id, upd.service_id, target.agency_id, $2, nullif(btrim($4), ''), upd.priority = 'urgent',
           (SELECT id FROM colleague)
    FROM upd, cur, target
), rec AS (
    INSERT INTO service_record (ticket_id, service_id, desk_id, staff_id, called_at, started_at, ended_at, result)
    SELECT cur.id, cur.service_id, cur.desk_id, cur.staff_id, cur.called_at, cur.started_at, $8::timestamptz, 'handover'
    FROM cur JOIN upd ON upd.id = cur.id
), e AS (
    INSERT INTO event (location_id, type, payload, at)
    SELECT upd.location_id, 'ticket.handover',
           json_build_object('number', upd.number, 'at', rfc3339($8::timestamptz, l.time_zone)), $8::timestamptz
    FROM upd JOIN cur ON cur.id = upd.id JOIN location l ON l.id = upd.location_id
)
SELECT (SELECT count(*) FROM cur)::int AS held, (SELECT count(*) FROM target)::int AS target_found,
       (SELECT count(*) FROM colleague)::int AS colleague_found, upd.offered_to IS NOT NULL AS offered,
       (SELECT agency_id FROM target) AS to_agency_id, upd.id, upd.status, ticket_staff_json(upd)::text AS j
FROM (SELECT 1) AS one LEFT JOIN upd ON true

-- name: queue_for_staff
-- One page of the waiting tickets in exactly call-next's order for this staff member, after a keyset cursor (the
-- key of the last ticket of the previous page; the first page passes a key before every ticket), with the total.
-- An empty page is one row with only the total. Handover notes only for the staff member's own agency.
-- $1 location, $2 staff, $3 agency, $4 now, $5..$8 the cursor's key (priority_rank, due_at, number_prefix,
-- number_sequence), $9 page size (the caller asks one more to tell whether a next page exists)
-- The line holds what this staff member serves and what is offered to them (appointments they take part in), in
-- call order; tickets call-next passes over for now (not yet due, offered to others) keep their place and say so.
WITH page AS (
    SELECT t.* FROM ticket t
    WHERE t.location_id = $1 AND t.status = 'waiting'
      AND (t.service_id = ANY (ARRAY(SELECT service_id FROM staff_service WHERE staff_id = $2)) OR $2 = ANY (t.offered_to))
      AND (t.priority_rank, t.due_at, t.number_prefix, t.number_sequence)
        > ($5::smallint, $6::timestamptz, $7::text COLLATE "C", $8::integer)
    ORDER BY t.priority_rank, t.due_at, t.number_prefix, t.number_sequence
    LIMIT $9
), total AS (
    SELECT count(*)::int AS n FROM ticket t
    WHERE t.location_id = $1 AND t.status = 'waiting'
      AND (t.service_id = ANY (ARRAY(SELECT service_id FROM staff_service WHERE staff_id = $2)) OR $2 = ANY (t.offered_to))
)
SELECT total.n AS total, p.id, p.number, p.service_id, p.service_name, p.priority, p.priority_rank,
       p.waited_minutes, p.due_at_text, p.due_at_micros, p.handed_over, p.note,
       p.appointment_id, p.late, p.room_name, p.offered_to_me, p.offered_to_others, p.for_person
FROM total LEFT JOIN (
    SELECT t.id, t.number, t.service_id, s.name AS service_name, t.priority, t.priority_rank,
           floor(extract(epoch FROM $4::timestamptz - t.arrived_at) / 60)::int AS waited_minutes,
           rfc3339(t.due_at, l.time_zone) AS due_at_text, (extract(epoch FROM t.due_at) * 1000000)::bigint AS due_at_micros,
           t.hops > 0 AS handed_over,
           (SELECT h.note FROM ticket_handover h
            WHERE h.ticket_id = t.id AND h.to_agency_id = $3 AND h.to_service_id = t.service_id
            ORDER BY h.id DESC LIMIT 1) AS note,
           t.appointment_id, t.late, (SELECT r.name FROM room r WHERE r.id = t.room_id) AS room_name,
           coalesce($2 = ANY (t.offered_to), false) AS offered_to_me,
           coalesce(NOT ($2 = ANY (t.offered_to)) AND t.offered_until > $4::timestamptz, false) AS offered_to_others,
           -- Meant for one person (migration 0014): the staff member whose contact code it was drawn with, or the
           -- colleague it was last handed over to by name.
           coalesce((SELECT c.staff_id FROM contact_person c WHERE c.id = t.contact_person_id AND t.hops = 0),
                    (SELECT h.to_staff_id FROM ticket_handover h WHERE h.ticket_id = t.id ORDER BY h.id DESC LIMIT 1)) AS for_person,
           t.due_at, t.number_prefix, t.number_sequence
    FROM page t JOIN service s ON s.id = t.service_id JOIN location l ON l.id = t.location_id
) AS p ON true
ORDER BY p.priority_rank, p.due_at, p.number_prefix, p.number_sequence

-- name: location_exists
SELECT id, time_zone FROM location WHERE id = $1

-- name: close_stale_tickets
-- Day end: tickets of an earlier local day that are still open are closed, so each day starts clean, with reason
-- 'closed'. Which statuses close and what they become is the state machine's `closeDay` (waiting and called
-- visitors were not helped: no-show; a visit open at a desk did happen: done), passed as parallel arrays.
-- $1 now, $2 source statuses, $3 the target of each source
WITH stale AS (
    SELECT t.id FROM ticket t JOIN location l ON l.id = t.location_id
    WHERE t.status = ANY ($2::text[]) AND t.service_day < ($1::timestamptz AT TIME ZONE l.time_zone)::date
    LIMIT 5000
    FOR UPDATE OF t SKIP LOCKED
), upd AS (
    UPDATE ticket t SET
        status = ($3::text[])[array_position($2::text[], t.status)],
        closed_reason = 'closed', finished_at = $1::timestamptz, desk_id = NULL, staff_id = NULL
    FROM stale WHERE t.id = stale.id AND t.status = ANY ($2::text[])
    RETURNING t.*
), e AS (
    INSERT INTO event (location_id, type, payload, at)
    SELECT upd.location_id, 'ticket.finished',
           json_build_object('number', upd.number, 'at', rfc3339($1::timestamptz, l.time_zone)), $1::timestamptz
    FROM upd JOIN location l ON l.id = upd.location_id
)
SELECT count(*)::int AS n FROM upd
