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

-- The effective prefix: the service's own, else its agency's. Neither → ticket_prefix stays null and the NOT NULL
-- constraint refuses the row (SQLSTATE 23502, shown as "ticketPrefix is required"). An INSERT that writes
-- ticket_prefix itself (older code, hand-written SQL) means a prefix of its own.
CREATE FUNCTION service_effective_prefix() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.own_ticket_prefix IS NULL AND NEW.ticket_prefix IS NOT NULL THEN
        NEW.own_ticket_prefix := NEW.ticket_prefix;
    END IF;
    NEW.ticket_prefix := coalesce(NEW.own_ticket_prefix, (SELECT a.ticket_prefix FROM agency a WHERE a.id = NEW.agency_id));
    RETURN NEW;
END $$;
CREATE TRIGGER service_effective_prefix BEFORE INSERT OR UPDATE ON service
    FOR EACH ROW EXECUTE FUNCTION service_effective_prefix();

-- A changed agency default reaches the services that follow it (the service trigger recomputes their prefix).
CREATE FUNCTION agency_prefix_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE service SET ticket_prefix = NULL WHERE agency_id = NEW.id AND own_ticket_prefix IS NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER agency_prefix_follows AFTER UPDATE OF ticket_prefix ON agency
    FOR EACH ROW WHEN (OLD.ticket_prefix IS DISTINCT FROM NEW.ticket_prefix) EXECUTE FUNCTION agency_prefix_follows();

-- The code of an active sensitive service at the location whose prefix no active ordinary service there shares.
CREATE FUNCTION sensitive_prefix_unshared(p_location uuid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT s.code FROM service s JOIN service_location sl ON sl.service_id = s.id AND sl.location_id = p_location
    WHERE s.sensitive AND s.active
      AND NOT EXISTS (SELECT 1 FROM service o JOIN service_location ol ON ol.service_id = o.id AND ol.location_id = p_location
                      WHERE o.active AND NOT o.sensitive AND o.ticket_prefix = s.ticket_prefix)
    ORDER BY s.code LIMIT 1
$$;

-- Checked at commit (deferred), so a transaction may add the sensitive service and its ordinary companion in any
-- order. Any change that can break the rule passes here: a service's prefix, flag or activity (also via its
-- agency's default), and a service joining or leaving a location.
CREATE FUNCTION sensitive_prefix_check(p_location uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    bad text := sensitive_prefix_unshared(p_location);
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'the ticket prefix of sensitive service % is not shared with an ordinary service at its location', bad
            USING ERRCODE = 'check_violation', CONSTRAINT = 'service_sensitive_prefix_shared';
    END IF;
END $$;

CREATE FUNCTION sensitive_prefix_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    loc uuid;
BEGIN
    IF TG_TABLE_NAME = 'service' THEN
        FOR loc IN SELECT sl.location_id FROM service_location sl WHERE sl.service_id = NEW.id LOOP
            PERFORM sensitive_prefix_check(loc);
        END LOOP;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM sensitive_prefix_check(NEW.location_id);
    ELSE
        PERFORM sensitive_prefix_check(OLD.location_id);
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER service_sensitive_prefix_shared AFTER INSERT OR UPDATE ON service
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sensitive_prefix_guard();
CREATE CONSTRAINT TRIGGER service_location_sensitive_prefix_shared AFTER INSERT OR DELETE ON service_location
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sensitive_prefix_guard();
