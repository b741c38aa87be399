-- Ticket prefixes that never tell onlookers why a visitor came. A letter of its own for "debt help" would announce
-- on the call display what the person called to desk 3 came for. So prefixes can be chosen per agency (a default)
-- and per group of services (several services share a letter; numbering is per location + prefix + day anyway),
-- and a sensitive service must share its letter with an ordinary service at every location that offers it.

-- The agency's default prefix: services without a prefix of their own use it.
ALTER TABLE agency ADD COLUMN ticket_prefix text CONSTRAINT agency_ticket_prefix_check CHECK (ticket_prefix ~ '^[A-Z]$');

-- `own_ticket_prefix` is what the admin chose for the service (null: the agency's); `ticket_prefix` stays the
-- effective prefix that numbering reads, kept by the trigger below, so taking a number needs no extra join.
ALTER TABLE service ADD COLUMN own_ticket_prefix text
    CONSTRAINT service_own_ticket_prefix_check CHECK (own_ticket_prefix ~ '^[A-Z]$');
-- Sensitive by nature (debt help, emergency aid): its letter must never single it out.
ALTER TABLE service ADD COLUMN sensitive boolean NOT NULL DEFAULT false;
UPDATE service SET own_ticket_prefix = ticket_prefix;

-- The triggers that keep the effective prefix and the sensitive-prefix rule are in
-- Migrations/functions/30_ticket_prefixes.sql.
