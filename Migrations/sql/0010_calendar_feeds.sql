-- Calendar subscription feeds (issue 9): a staff member's or a room's appointments as an iCalendar feed behind a
-- secret URL (/ical/{token}.ics) that calendar programs poll without logging in.
--
-- * Only the SHA-256 of the token is stored: a leaked table gives no working URL.
-- * A feed belongs to exactly one staff member or one room.
-- * Revoking keeps the row (who made it, when it was revoked) and the URL answers 404 from then on.
CREATE TABLE calendar_feed (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash  bytea NOT NULL CONSTRAINT calendar_feed_token_hash_check CHECK (length(token_hash) = 32),
    staff_id    uuid REFERENCES staff(id),
    room_id     uuid REFERENCES room(id),
    -- Null: made with the bootstrap admin token (no staff record).
    created_by  uuid REFERENCES staff(id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CONSTRAINT calendar_feed_token_unique UNIQUE (token_hash),
    -- One subject per feed, so the feed's contents follow from the row alone.
    CONSTRAINT calendar_feed_one_subject CHECK ((staff_id IS NULL) <> (room_id IS NULL)),
    CONSTRAINT calendar_feed_revoked_after_created CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
CREATE INDEX calendar_feed_staff ON calendar_feed (staff_id) WHERE staff_id IS NOT NULL;
CREATE INDEX calendar_feed_room ON calendar_feed (room_id) WHERE room_id IS NOT NULL;
