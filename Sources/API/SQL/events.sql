-- The event log that screens follow. Readers take only events of transactions older than every transaction still
-- running (pg_snapshot_xmin), in (tx, id) order: an event that commits late can never be skipped.

-- name: events_after
SELECT tx::text AS tx, id, location_id, type, payload::text AS payload
FROM event
WHERE (tx, id) > ($1::xid8, $2::bigint) AND tx < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY tx, id
LIMIT 1000

-- name: events_head
SELECT coalesce((SELECT tx::text FROM event WHERE tx < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx DESC, id DESC LIMIT 1), '0') AS tx,
       coalesce((SELECT id FROM event WHERE tx < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx DESC, id DESC LIMIT 1), 0) AS id

-- name: events_replay
-- Events of one location after a client's Last-Event-ID, up to where the live stream took over.
SELECT tx::text AS tx, id, type, payload::text AS payload
FROM event
WHERE location_id = $1 AND (tx, id) > ($2::xid8, $3::bigint) AND (tx, id) <= ($4::xid8, $5::bigint)
ORDER BY tx, id
LIMIT 1000

-- name: waiting_counts
SELECT t.location_id, t.service_id, s.life_question, count(*)::int AS n
FROM ticket t JOIN service s ON s.id = t.service_id
WHERE t.location_id = ANY ($1::uuid[]) AND t.status = 'waiting'
GROUP BY t.location_id, t.service_id, s.life_question
ORDER BY t.location_id, t.service_id

-- name: recent_calls
-- The last calls of today at a location, newest first, for a display that just started.
SELECT e.payload::text AS payload, e.type
FROM event e JOIN location l ON l.id = e.location_id
WHERE e.location_id = $1 AND e.type IN ('ticket.called', 'ticket.recalled')
  AND e.at >= (date_trunc('day', now() AT TIME ZONE l.time_zone) AT TIME ZONE l.time_zone)
ORDER BY e.tx DESC, e.id DESC
LIMIT 50

-- name: purge_events
DELETE FROM event WHERE at < now() - interval '3 days'
