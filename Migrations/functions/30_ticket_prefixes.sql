-- Repeatable (see 10_foundation.sql): the ticket-prefix rules of migration 0004. Triggers are code too, so they are
-- recreated here with their functions (constraint triggers cannot be CREATE OR REPLACE'd: dropped and created again
-- inside the same migrate transaction, so no moment exists without them).

-- The effective prefix: the service's own, else its agency's. Neither → ticket_prefix stays null and the NOT NULL
-- constraint refuses the row (SQLSTATE 23502, shown as "ticketPrefix is required"). An INSERT that writes
-- ticket_prefix itself (older code, hand-written SQL) means a prefix of its own.
CREATE OR REPLACE FUNCTION service_effective_prefix() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.own_ticket_prefix IS NULL AND NEW.ticket_prefix IS NOT NULL THEN
        NEW.own_ticket_prefix := NEW.ticket_prefix;
    END IF;
    NEW.ticket_prefix := coalesce(NEW.own_ticket_prefix, (SELECT a.ticket_prefix FROM agency a WHERE a.id = NEW.agency_id));
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS service_effective_prefix ON service;
CREATE TRIGGER service_effective_prefix BEFORE INSERT OR UPDATE ON service
    FOR EACH ROW EXECUTE FUNCTION service_effective_prefix();

-- A changed agency default reaches the services that follow it (the service trigger recomputes their prefix).
CREATE OR REPLACE FUNCTION agency_prefix_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE service SET ticket_prefix = NULL WHERE agency_id = NEW.id AND own_ticket_prefix IS NULL;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS agency_prefix_follows ON agency;
CREATE TRIGGER agency_prefix_follows AFTER UPDATE OF ticket_prefix ON agency
    FOR EACH ROW WHEN (OLD.ticket_prefix IS DISTINCT FROM NEW.ticket_prefix) EXECUTE FUNCTION agency_prefix_follows();

-- The code of an active sensitive service at the location whose prefix no active ordinary service there shares.
CREATE OR REPLACE FUNCTION sensitive_prefix_unshared(p_location uuid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT s.code FROM service s JOIN service_location sl ON sl.service_id = s.id AND sl.location_id = p_location
    WHERE s.sensitive AND s.active
      AND NOT EXISTS (SELECT 1 FROM service o JOIN service_location ol ON ol.service_id = o.id AND ol.location_id = p_location
                      WHERE o.active AND NOT o.sensitive AND o.ticket_prefix = s.ticket_prefix)
    ORDER BY s.code LIMIT 1
$$;

-- Checked at commit (deferred), so a transaction may add the sensitive service and its ordinary companion in any
-- order. Any change that can break the rule passes here: a service's prefix, flag or activity (also via its
-- agency's default), and a service joining or leaving a location.
CREATE OR REPLACE FUNCTION sensitive_prefix_check(p_location uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    bad text := sensitive_prefix_unshared(p_location);
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'the ticket prefix of sensitive service % is not shared with an ordinary service at its location', bad
            USING ERRCODE = 'check_violation', CONSTRAINT = 'service_sensitive_prefix_shared';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION sensitive_prefix_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP TRIGGER IF EXISTS service_sensitive_prefix_shared ON service;
CREATE CONSTRAINT TRIGGER service_sensitive_prefix_shared AFTER INSERT OR UPDATE ON service
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sensitive_prefix_guard();
DROP TRIGGER IF EXISTS service_location_sensitive_prefix_shared ON service_location;
CREATE CONSTRAINT TRIGGER service_location_sensitive_prefix_shared AFTER INSERT OR DELETE ON service_location
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sensitive_prefix_guard();
