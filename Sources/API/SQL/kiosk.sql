-- Public data for kiosks and displays.

-- name: kiosk_location
-- $1 location code, $2 language, $3 now. Service names in the language when translated, else Dutch.
SELECT json_build_object('id', l.id, 'code', l.code, 'name', l.name, 'timeZone', l.time_zone,
        'open', NOT EXISTS (SELECT 1 FROM location_closure c
                            WHERE c.location_id = l.id AND c.service_day = ($3::timestamptz AT TIME ZONE l.time_zone)::date))::text AS location,
       coalesce((SELECT json_agg(json_build_object('id', s.id, 'code', s.code,
                        'name', coalesce(s.translations ->> $2, s.name), 'lifeQuestion', s.life_question,
                        'ticketPrefix', s.ticket_prefix, 'urgent', s.urgent) ORDER BY s.life_question, s.name)
                 FROM service s JOIN service_location sl ON sl.service_id = s.id
                 WHERE sl.location_id = l.id AND s.active), '[]')::text AS services
FROM location l WHERE l.code = $1 AND l.active

-- name: location_code
SELECT code FROM location WHERE id = $1
