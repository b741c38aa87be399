import Time

/// The iTIP method of a calendar object (RFC 5546): what a calendar program does with it.
public enum CalendarMethod: String, Sendable {
    /// An invitation to the attendees it names.
    case request = "REQUEST"
    /// Information without attendees (the citizen's download, subscription feeds).
    case publish = "PUBLISH"
    /// The event is off: calendars that hold it (same UID, lower SEQUENCE) remove or strike it.
    case cancel = "CANCEL"
}

/// The STATUS of an event.
public enum EventStatus: String, Sendable {
    case tentative = "TENTATIVE"
    case confirmed = "CONFIRMED"
    case cancelled = "CANCELLED"
}

/// An e-mail address with an optional display name (ORGANIZER, ATTENDEE).
public struct CalendarAddress: Sendable, Hashable {
    public var email: String
    public var commonName: String?
    public init(email: String, commonName: String? = nil) {
        self.email = email
        self.commonName = commonName
    }
}

/// One VEVENT.
public struct CalendarEvent: Sendable {
    /// Globally unique and stable for the life of the appointment: calendars match updates and cancellations on it.
    public var uid: String
    /// Raised on every change that calendars must take over (reschedule, cancel).
    public var sequence: Int
    /// When this copy of the event was made (DTSTAMP, UTC).
    public var stamp: Instant
    public var start: Instant
    public var end: Instant
    /// The IANA zone of the place the event happens (the location's), in which DTSTART and DTEND are written.
    public var timeZone: String
    public var summary: String
    public var description: String?
    public var location: String?
    public var status: EventStatus
    public var organizer: CalendarAddress?
    public var attendees: [CalendarAddress]
    public var created: Instant?
    public var lastModified: Instant?

    public init(uid: String, sequence: Int, stamp: Instant, start: Instant, end: Instant, timeZone: String, summary: String,
                description: String? = nil, location: String? = nil, status: EventStatus = .confirmed,
                organizer: CalendarAddress? = nil, attendees: [CalendarAddress] = [], created: Instant? = nil,
                lastModified: Instant? = nil) {
        self.uid = uid; self.sequence = sequence; self.stamp = stamp; self.start = start; self.end = end; self.timeZone = timeZone
        self.summary = summary; self.description = description; self.location = location; self.status = status
        self.organizer = organizer; self.attendees = attendees; self.created = created; self.lastModified = lastModified
    }
}

/// A VCALENDAR: an invitation file or a subscription feed, written as RFC 5545 text.
///
/// Times: for an event's zone the module knows (`CentralEuropeanTime.zoneIDs`, i.e. Europe/Amsterdam) DTSTART and DTEND are
/// wall-clock times with `TZID=` and the file carries that zone's full VTIMEZONE (STANDARD and DAYLIGHT with their
/// yearly rules); any other zone is written in UTC with `Z` (always correct, shown in the reader's own zone), since
/// this module does not carry the rules of other zones. One local time cannot name the second pass through the
/// autumn hour (02:00–03:00 CET): such a DTSTART or DTEND is written in UTC as well.
public struct ICalendarDocument: Sendable {
    public var productID = "-//Loket//Loket appointments//NL"
    public var method: CalendarMethod?
    /// X-WR-CALNAME: the name a subscribed calendar shows.
    public var name: String?
    /// REFRESH-INTERVAL and X-PUBLISHED-TTL in minutes, for subscription feeds.
    public var refreshMinutes: Int?
    public var events: [CalendarEvent]

    public init(method: CalendarMethod?, name: String? = nil, refreshMinutes: Int? = nil, events: [CalendarEvent]) {
        self.method = method
        self.name = name
        self.refreshMinutes = refreshMinutes
        self.events = events
    }

    /// The file's bytes (UTF-8, CRLF line ends, folded).
    public func serialized() -> [UInt8] {
        var c = ContentLines()
        c.add("BEGIN", "VCALENDAR")
        c.add("VERSION", "2.0")
        c.text("PRODID", productID)
        c.add("CALSCALE", "GREGORIAN")
        if let method { c.add("METHOD", method.rawValue) }
        if let name { c.text("X-WR-CALNAME", name) }
        if let minutes = refreshMinutes {
            let duration = minutes % 60 == 0 ? "PT\(minutes / 60)H" : "PT\(minutes)M"
            c.add("REFRESH-INTERVAL", [("VALUE", "DURATION")], duration)
            c.add("X-PUBLISHED-TTL", duration)
        }
        // A VTIMEZONE for every TZID used, and only for those.
        var zones: [String] = []
        for event in events where Self.writesLocal(event.start, event.timeZone) || Self.writesLocal(event.end, event.timeZone) {
            if !zones.contains(event.timeZone) { zones.append(event.timeZone) }
        }
        if zones.count == 1 { c.add("X-WR-TIMEZONE", zones[0]) }
        for zone in zones { Self.addCentralEuropeanZone(&c, id: zone) }
        for event in events {
            c.add("BEGIN", "VEVENT")
            c.text("UID", event.uid)
            c.add("SEQUENCE", String(event.sequence))
            c.add("DTSTAMP", ContentLines.utc(event.stamp))
            Self.dateTime(&c, "DTSTART", event.start, event.timeZone)
            Self.dateTime(&c, "DTEND", event.end, event.timeZone)
            if let created = event.created { c.add("CREATED", ContentLines.utc(created)) }
            if let modified = event.lastModified { c.add("LAST-MODIFIED", ContentLines.utc(modified)) }
            c.text("SUMMARY", event.summary)
            if let description = event.description { c.text("DESCRIPTION", description) }
            if let location = event.location, !location.isEmpty { c.text("LOCATION", location) }
            c.add("STATUS", event.status.rawValue)
            c.add("TRANSP", event.status == .cancelled ? "TRANSPARENT" : "OPAQUE")
            c.add("CLASS", "PRIVATE")
            if let organizer = event.organizer {
                c.add("ORGANIZER", organizer.commonName.map { [("CN", $0)] } ?? [], ContentLines.mailto(organizer.email))
            }
            for attendee in event.attendees {
                var parameters: [(String, String)] = []
                if let name = attendee.commonName { parameters.append(("CN", name)) }
                parameters += [("CUTYPE", "INDIVIDUAL"), ("ROLE", "REQ-PARTICIPANT"), ("PARTSTAT", "ACCEPTED"), ("RSVP", "FALSE")]
                c.add("ATTENDEE", parameters, ContentLines.mailto(attendee.email))
            }
            c.add("END", "VEVENT")
        }
        c.add("END", "VCALENDAR")
        return c.bytes
    }

    /// Whether `instant` is written as a local time with `TZID=zone` (else in UTC).
    static func writesLocal(_ instant: Instant, _ zone: String) -> Bool {
        CentralEuropeanTime.zoneIDs.contains(zone) && CentralEuropeanTime.localTimeRoundTrips(instant)
    }

    private static func dateTime(_ c: inout ContentLines, _ name: String, _ instant: Instant, _ zone: String) {
        if writesLocal(instant, zone) {
            c.add(name, [("TZID", zone)], CentralEuropeanTime.localTime(at: instant).description)
        } else {
            c.add(name, ContentLines.utc(instant))
        }
    }

    /// The EU rule as a VTIMEZONE: summer time from the last Sunday of March 02:00 local (+0100 → +0200, CEST) to
    /// the last Sunday of October 03:00 local (+0200 → +0100, CET).
    static func addCentralEuropeanZone(_ c: inout ContentLines, id: String) {
        c.add("BEGIN", "VTIMEZONE")
        c.text("TZID", id)
        c.add("BEGIN", "DAYLIGHT")
        c.add("TZOFFSETFROM", "+0100")
        c.add("TZOFFSETTO", "+0200")
        c.add("TZNAME", "CEST")
        c.add("DTSTART", "19700329T020000")
        c.add("RRULE", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU")
        c.add("END", "DAYLIGHT")
        c.add("BEGIN", "STANDARD")
        c.add("TZOFFSETFROM", "+0200")
        c.add("TZOFFSETTO", "+0100")
        c.add("TZNAME", "CET")
        c.add("DTSTART", "19701025T030000")
        c.add("RRULE", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU")
        c.add("END", "STANDARD")
        c.add("END", "VTIMEZONE")
    }
}
