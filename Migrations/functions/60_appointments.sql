-- Appointments (migration 0008): the one JSON shape of an appointment, shared by every statement that answers with
-- one (booking, confirm, reschedule, cancel, the lists, the citizen's manage link), so the API has one schema
-- (OpenAPISpec "Appointment").
--
-- `personal` decides whether the citizen's fields are included: true only for staff of a participating agency (the
-- read is then audited by the caller), coordinators and admins of the location, and the citizen's own manage link.
-- Without it an appointment says what a colleague of another agency may know: when, where, which room, which
-- agencies take part — never who comes or why.
CREATE OR REPLACE FUNCTION appointment_json(a appointment, personal boolean) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', a.id,
        'locationId', a.location_id,
        'appointmentTypeId', a.appointment_type_id,
        'reference', a.reference,
        'status', a.status,
        'start', rfc3339(a.starts_at, l.time_zone),
        'end', rfc3339(a.ends_at, l.time_zone),
        'persons', a.persons,
        'heldUntil', CASE WHEN a.status = 'held' THEN rfc3339(a.held_until, l.time_zone) END,
        'participants', coalesce((
            SELECT jsonb_agg(jsonb_build_object('staffId', r.staff_id, 'serviceId', r.service_id, 'agencyId', r.agency_id)
                             ORDER BY r.position)
            FROM appointment_reservation r WHERE r.appointment_id = a.id AND r.staff_id IS NOT NULL), '[]'::jsonb),
        'roomId', room.id,
        'roomName', room.name,
        -- Several agencies at one table: what a colleague of another agency sees in place of the details.
        'joint', (SELECT count(DISTINCT r.agency_id) > 1 FROM appointment_reservation r WHERE r.appointment_id = a.id),
        'sequence', a.sequence,
        -- The citizen's contact person (migration 0015): their code while the relation is active, for the kiosk. Only
        -- with `personal`: the code is the citizen's key to a named staff member, not for another agency's eyes.
        'contactCode', CASE WHEN personal THEN (
            SELECT cp.code FROM contact_person cp WHERE cp.id = a.contact_person_id AND cp.ended_at IS NULL) END,
        'citizen', CASE WHEN personal THEN jsonb_build_object(
            'name', a.citizen_name, 'email', a.citizen_email, 'phone', a.citizen_phone,
            'language', a.citizen_language, 'needs', to_jsonb(a.needs), 'needsNote', a.needs_note) END,
        -- Someone acts for the citizen (migration 0013): which organisation, and with `personal` the helper's name and
        -- the consent they recorded (how, when, for what), so the desk knows on what basis the helper speaks.
        'representative', (
            SELECT jsonb_build_object('organisationId', hs.agency_id,
                                      'name', CASE WHEN personal THEN hs.display_name END,
                                      'consent', CASE WHEN personal THEN jsonb_build_object(
                                          'method', c.method, 'givenAt', rfc3339(c.given_at, l.time_zone), 'scope', c.scope) END)
            FROM appointment_consent c JOIN staff hs ON hs.id = c.helper_id
            WHERE c.appointment_id = a.id AND c.action = 'book'),
        -- Who comes along: kinds, modes and languages for everyone who sees the appointment; names only with `personal`.
        'attendees', coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', t.id, 'kind', t.kind, 'mode', t.mode, 'language', t.language,
                                                'staffId', CASE WHEN personal THEN t.helper_id END,
                                                'name', CASE WHEN personal THEN coalesce(t.name, ts.display_name) END)
                             ORDER BY t.seq)
            FROM appointment_attendee t LEFT JOIN staff ts ON ts.id = t.helper_id
            WHERE t.appointment_id = a.id), '[]'::jsonb))
    FROM location l
    LEFT JOIN LATERAL (
        SELECT rm.id, rm.name FROM appointment_reservation r JOIN room rm ON rm.id = r.room_id
        WHERE r.appointment_id = a.id AND r.room_id IS NOT NULL) AS room ON true
    WHERE l.id = a.location_id
$$;
