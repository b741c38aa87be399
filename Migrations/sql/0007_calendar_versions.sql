-- A calendar version per location: a number that grows, in the same transaction, with every change that can change
-- the location's free times (the triggers in functions/50_availability.sql bump it). The slot search caches its
-- per-day results keyed by (location, type, persons, day, version) and reads the version before the data, so a
-- cached answer is never older than the version it is filed under, and no process ever serves a stale one.
--
-- No foreign key to location: a location's delete cascades into opening_hours and others, whose triggers bump here
-- while the location row is going away; a dangling row of two numbers is harmless, a failing delete is not.
CREATE TABLE calendar_version (
    location_id uuid PRIMARY KEY,
    version     bigint NOT NULL DEFAULT 1 CHECK (version > 0),
    -- The transaction that bumped last: a transaction bumps a location once however many rows it changes
    -- (33,000 absences in one INSERT would otherwise write 33,000 row versions of this one row).
    bumped_by   xid8
);
