-- What the kiosk and display may have spoken: only real numbers and calls, so a request cannot make the server
-- say (and store) anything it likes.

-- name: speech_call
-- The ticket with this number that a desk is calling (or has just started serving), for the call announcement:
-- the desk's name and the ticket's language, nothing else. A desk holds at most one such ticket.
-- $1 desk, $2 number
SELECT d.name AS desk_name, t.language
FROM ticket t JOIN desk d ON d.id = t.desk_id
WHERE t.desk_id = $1 AND t.number = $2 AND t.status IN ('called', 'serving')

-- name: speech_number
-- Whether a ticket with this number was taken at the location in the last day (the kiosk reads out the number it
-- just printed). $1 location, $2 number, $3 now (the application's clock)
SELECT true AS found
FROM ticket t
WHERE t.location_id = $1 AND t.number = $2 AND t.arrived_at > $3::timestamptz - interval '1 day'
LIMIT 1

-- name: speech_service
-- An active service's name in the language when translated, else Dutch (as the kiosk shows it), so the kiosk can
-- read out the services a visitor chooses from. $1 service, $2 language
SELECT coalesce(s.translations ->> $2, s.name) AS name FROM service s WHERE s.id = $1 AND s.active
