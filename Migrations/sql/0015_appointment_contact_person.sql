-- Follow-up with the contact person in one step (issue 10): a staff booking may name the contact code of one of its
-- participants, so the appointment is with the citizen's own contact person and its confirmation, reminder and
-- answer (appointment_json's contactCode) repeat the code for the kiosk.
-- Nullable: most appointments have no contact person. The code itself stays on contact_person (one place), so an
-- ended relation stops being told without touching appointments.
ALTER TABLE appointment ADD COLUMN contact_person_id uuid REFERENCES contact_person(id);
