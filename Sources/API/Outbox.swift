import ICalendar
import Postgres
import Time

// Mail to citizens (issue 10), the enqueueing half: every message is rendered and written to `outbox_message` inside
// the transaction of the appointment change it tells about, so a rollback leaves no message and a commit cannot
// lose one. The sending half is OutboxSender (a job of `loket serve`).
//
// The manage link: its token exists in plain text only while the booking request runs (the appointment keeps its
// SHA-256). The confirmation is rendered with it, and the link is also kept on the unsent rows (`manage_url`) — the
// reminder is written at booking time too, due 24 hours before the start — so a change by staff can still give the
// link; the column is emptied as each message is sent or dropped. When no unsent row holds it any more (the
// reminder went out), a later message points to the link in the first e-mail.
//
// Who gets mail: only a citizen who gave an e-mail address, and not when the booking said `notify: false` (an
// external form such as Open Forms sends its own messages). A hold gets its confirmation when it is confirmed
// (the rows wait; OutboxSender claims no message of a held appointment), a hold that expires or is called off gets
// nothing.

enum OutboxKind: String, Sendable, CaseIterable {
    case booked, rescheduled, cancelled, reminder
}

enum Outbox {
    /// The reminder goes this long before the start (not at all when the booking is closer than that).
    static let reminderLeadSeconds: Int64 = 24 * 3600

    /// In the booking transaction: the confirmation and the reminder (or nothing, see above).
    static func booked(_ db: Connection, _ ctx: RouteContext, appointmentID: String, manageToken: String?, notify: Bool) throws {
        if !notify {
            try db.run(OutboxNotifyOff(appointmentID: appointmentID))
            return
        }
        guard let a = try db.first(OutboxAppointment(appointmentID: appointmentID)), a.notify_citizen, let email = a.citizen_email else { return }
        let link: ManageLink = manageToken.map { .url(manageURL(ctx, token: $0)) } ?? .none
        let now = ctx.now
        try enqueue(db, ctx, .booked, a, email: email, link: link, sendAfter: now, now: now)
        try enqueueReminder(db, ctx, a, email: email, link: link, now: now)
    }

    /// In the reschedule transaction (after the move): "moved" — or, while the confirmation has not gone out yet, a
    /// confirmation with the new time instead — and the reminder again for the new start.
    static func rescheduled(_ db: Connection, _ ctx: RouteContext, appointmentID: String, manageToken: String?) throws {
        guard let a = try db.first(OutboxAppointment(appointmentID: appointmentID)), a.notify_citizen, let email = a.citizen_email else { return }
        let link = try currentLink(db, ctx, appointmentID: appointmentID, token: manageToken, hasManageLink: a.has_manage_link)
        let dropped = try db.all(OutboxSupersede(appointmentID: appointmentID, kinds: [OutboxKind.booked, .rescheduled, .reminder].map(\.rawValue)))
        let now = ctx.now
        let kind: OutboxKind = dropped.contains { $0.kind == OutboxKind.booked.rawValue } ? .booked : .rescheduled
        try enqueue(db, ctx, kind, a, email: email, link: link, sendAfter: now, now: now)
        try enqueueReminder(db, ctx, a, email: email, link: link, now: now)
    }

    /// In the cancel transaction (after the cancel): unsent messages are dropped; the citizen hears of it unless the
    /// appointment was only a hold they never had a confirmation of.
    static func cancelled(_ db: Connection, _ ctx: RouteContext, appointmentID: String, wasHeld: Bool) throws {
        guard let a = try db.first(OutboxAppointment(appointmentID: appointmentID)), a.notify_citizen, let email = a.citizen_email else { return }
        _ = try db.all(OutboxSupersede(appointmentID: appointmentID, kinds: [OutboxKind.booked, .rescheduled, .reminder].map(\.rawValue)))
        if wasHeld { return }
        let now = ctx.now
        try enqueue(db, ctx, .cancelled, a, email: email, link: .none, sendAfter: now, now: now)
    }

    // MARK: Pieces

    /// The citizen's page for their appointment: `LOKET_MANAGE_URL` with `{token}` replaced, else
    /// `<public URL>/mijn-afspraak/{token}` (the manage page, `kiosk/manage.html`).
    static func manageURL(_ ctx: RouteContext, token: String) -> String {
        let template = ctx.app.configuration.mail.manageURLTemplate ?? (ctx.app.publicBaseURL(ctx.request) + "/mijn-afspraak/{token}")
        return template.replacing("{token}", with: token)
    }

    /// The link for a change: from the request (the citizen used it) or from an unsent message; otherwise "see the
    /// first e-mail", or nothing for appointments booked by staff (they never had a link).
    static func currentLink(_ db: Connection, _ ctx: RouteContext, appointmentID: String, token: String?, hasManageLink: Bool) throws -> ManageLink {
        if let token { return .url(manageURL(ctx, token: token)) }
        if let kept = try db.first(OutboxManageURL(appointmentID: appointmentID)) { return .url(kept.manage_url) }
        return hasManageLink ? .earlier : .none
    }

    static func enqueueReminder(_ db: Connection, _ ctx: RouteContext, _ a: OutboxAppointment.Row, email: String, link: ManageLink, now: Instant) throws {
        let at = Instant(microseconds: Int64(a.starts_us)).adding(seconds: -reminderLeadSeconds)
        guard at > now else { return }
        try enqueue(db, ctx, .reminder, a, email: email, link: link, sendAfter: at, now: now)
    }

    static func enqueue(_ db: Connection, _ ctx: RouteContext, _ kind: OutboxKind, _ a: OutboxAppointment.Row, email: String,
                        link: ManageLink, sendAfter: Instant, now: Instant) throws {
        let language = MailTexts.language(a.citizen_language)
        let text = MailTexts.render(kind, language: language, MailTexts.Facts(a), link: link)
        // The citizen's calendar file, from the same builder as GET …/invite.ics?for=citizen (PUBLISH, or CANCEL).
        var attachment: String? = nil
        if let row = try db.first(InviteGet(appointmentID: a.id, recipientStaffID: nil, tokenHash: nil, now: now)) {
            let event = ICalendarRoutes.calendarEvent(row, host: ICalendarRoutes.publicHost(ctx), now: now)
            let method: CalendarMethod = row.status == "cancelled" ? .cancel : .publish
            attachment = String(decoding: ICalendarDocument(method: method, events: [event]).serialized(), as: UTF8.self)
        }
        let url: String? = if case .url(let u) = link { u } else { nil }
        try db.run(OutboxEnqueue(kind: kind.rawValue, appointmentID: a.id, recipient: email, language: language, subject: text.subject,
                                 body: text.body, attachment: attachment, manageURL: url, sendAfter: sendAfter, now: now))
    }
}

/// What a message says about changing or cancelling.
enum ManageLink: Equatable {
    case url(String)
    /// The link exists but is no longer kept: "use the link in the first e-mail".
    case earlier
    /// Booked by staff: no link; "contact us".
    case none
}

/// The texts of the messages, one JSON file per language in `Sources/API/MailTexts` (B1 words; Dutch is the
/// fallback for a language Loket has no texts for).
enum MailTexts {
    static let files: [String: JSON] = [
        "nl": JSON.parse(String(decoding: PackageResources.nl_json, as: UTF8.self)),
        "en": JSON.parse(String(decoding: PackageResources.en_json, as: UTF8.self)),
        "ar": JSON.parse(String(decoding: PackageResources.ar_json, as: UTF8.self)),
        "tr": JSON.parse(String(decoding: PackageResources.tr_json, as: UTF8.self)),
        "pl": JSON.parse(String(decoding: PackageResources.pl_json, as: UTF8.self)),
        "uk": JSON.parse(String(decoding: PackageResources.uk_json, as: UTF8.self)),
    ]

    static func language(_ code: String) -> String { files[code] == nil ? "nl" : code }

    /// The appointment as the text tells it.
    struct Facts {
        var reference: String
        var name: String?
        /// 1 = Monday … 7 = Sunday.
        var weekday: Int, day: Int, month: Int, year: Int
        var time: String
        var locationName: String
        var place: String
        /// The contact person's code (a follow-up booked with it), repeated so the citizen has it at the kiosk.
        var contactCode: String? = nil

        init(reference: String, name: String?, weekday: Int, day: Int, month: Int, year: Int, time: String, locationName: String, place: String) {
            self.reference = reference
            self.name = name
            self.weekday = weekday
            self.day = day
            self.month = month
            self.year = year
            self.time = time
            self.locationName = locationName
            self.place = place
        }

        init(_ a: OutboxAppointment.Row) {
            let address = [a.street_address, [a.postal_code, a.city].filter { !$0.isEmpty }.joined(separator: " ")].filter { !$0.isEmpty }
            self.init(reference: a.reference, name: a.citizen_name, weekday: a.local_weekday, day: a.local_day, month: a.local_month,
                      year: a.local_year, time: a.local_time, locationName: a.location_name,
                      place: ([a.location_name] + address).joined(separator: ", "))
            contactCode = a.contact_code
        }
    }

    static func render(_ kind: OutboxKind, language: String, _ f: Facts, link: ManageLink) -> (subject: String, body: String) {
        let texts = files[language] ?? files["nl"]!
        func t(_ key: String, _ values: [String: String] = [:]) -> String {
            var s = texts[key]?.stringValue ?? files["nl"]?[key]?.stringValue ?? key
            for (k, v) in values { s = s.replacing("{" + k + "}", with: v) }
            return s
        }
        func item(_ key: String, _ index: Int) -> String {
            guard case .array(let list)? = texts[key], list.indices.contains(index) else { return "" }
            return list[index].stringValue ?? ""
        }
        let date = t("date", ["weekday": item("weekdays", f.weekday - 1), "day": String(f.day), "month": item("months", f.month - 1),
                              "year": String(f.year)])
        let subject = t("subject." + kind.rawValue, ["reference": f.reference, "date": date])
        var lines: [String] = []
        lines.append(f.name.map { t("greeting", ["name": $0]) } ?? t("greeting.noName"))
        lines += ["", t("intro." + kind.rawValue), ""]
        lines.append(t("reference", ["reference": f.reference]))
        lines.append(t("when", ["date": date, "time": f.time]))
        lines.append(t("where", ["place": f.place]))
        if kind == .cancelled {
            lines += ["", t("cancelled.again")]
        } else {
            lines += ["", t("bring"), t("arrive")]
            if let code = f.contactCode { lines.append(t("contactCode", ["code": code])) }
            lines.append("")
            switch link {
            case .url(let url): lines += [t("manage"), url]
            case .earlier: lines.append(t("manage.earlier"))
            case .none: lines.append(t("manage.none"))
            }
        }
        lines += ["", t("calendar"), "", t("closing"), f.locationName, "", t("noReply")]
        return (subject, lines.joined(separator: "\n"))
    }
}
