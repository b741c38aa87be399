-- The event log that screens follow. Readers take only events of transactions older than every transaction still
-- running (pg_snapshot_xmin), in (tx, id) order: an event that commits late can never be skipped.
-- `tx` is xid8 and must be ordered and compared as xid8 (a number). It leaves as text only under the alias
-- `tx_text`: an output column named `tx` would win over the table column in ORDER BY, and as text 99999 sorts after
-- 100000 (live events repeated and replays came out of order once transaction ids gained a digit).

-- name: events_after
-- `audience`: null for everyone at the location; else the staff members (staff stream) an event is for.
SELECT e.tx::text AS tx_text, e.id, e.location_id, e.type, e.payload::text AS payload, e.audience::text[] AS audience
FROM event e
WHERE (e.tx, e.id) > ($1::xid8, $2::bigint) AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY e.tx, e.id
LIMIT 1000

-- name: events_head
-- The newest event every reader can already see: where a starting process begins relaying live. One row, from one
-- ordered read, or (0, 0) for an empty log.
SELECT coalesce(newest.tx_text, '0') AS tx_text, coalesce(newest.id, 0) AS id
FROM (SELECT 1) AS one
LEFT JOIN (SELECT e.tx::text AS tx_text, e.id
           FROM event e
           WHERE e.tx < pg_snapshot_xmin(pg_current_snapshot())
           ORDER BY e.tx DESC, e.id DESC
           LIMIT 1) AS newest ON true

-- name: events_replay
-- Events of one location after a client's Last-Event-ID, up to where the live stream took over.
SELECT e.tx::text AS tx_text, e.id, e.type, e.payload::text AS payload, e.audience::text[] AS audience
FROM event e
WHERE e.location_id = $1 AND (e.tx, e.id) > ($2::xid8, $3::bigint) AND (e.tx, e.id) <= ($4::xid8, $5::bigint)
ORDER BY e.tx, e.id
LIMIT 1000

-- name: waiting_totals
-- How many visitors wait at each location, all services together: the only queue figure public screens get (see
-- EventHub.sendWaitingTotals for why not per service or life question).
SELECT t.location_id, count(*)::int AS n
FROM ticket t
WHERE t.location_id = ANY ($1::uuid[]) AND t.status = 'waiting'
GROUP BY t.location_id

-- name: recent_calls
-- The last calls of today at a location, newest first, for a display that just started.
-- $1 location, $2 now (the application's clock: "today" is its local day at the location)
-- The payload's fields come out as columns with their JSON types kept (recallCount is a number, never a boolean).
SELECT e.payload->>'number' AS number, e.payload->>'deskName' AS desk_name, e.payload->>'at' AS called_at,
       coalesce((e.payload->>'recallCount')::int, 0) AS recall_count
FROM event e JOIN location l ON l.id = e.location_id
WHERE e.location_id = $1 AND e.type IN ('ticket.called', 'ticket.recalled')
  AND e.at >= (date_trunc('day', $2::timestamptz AT TIME ZONE l.time_zone) AT TIME ZONE l.time_zone)
ORDER BY e.tx DESC, e.id DESC
LIMIT 50

-- name: purge_events
-- $1 now (the application's clock). Three days cover every replay a client can still ask for.
DELETE FROM event WHERE at < $1::timestamptz - interval '3 days'
