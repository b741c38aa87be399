import Credentials
import Postgres

/// The demo data set: one shared location with four agencies, a handful of services each, four desks, and a
/// login per agency plus a coordinator and an admin. Loaded by `loket demo` and by the embedded default, never
/// by itself into a database given by LOKET_DATABASE_URL.
public enum DemoData {
    public struct Login: Sendable {
        public let username: String
        public let password: String
        public let role: String
        public let agency: String
    }

    /// The demo logins (printed at start-up; demo only).
    public static let logins: [Login] = [
        Login(username: "gemeente", password: "demo-gemeente", role: "staff", agency: "gemeente"),
        Login(username: "uwv", password: "demo-uwv-2026", role: "staff", agency: "uwv"),
        Login(username: "svb", password: "demo-svb-2026", role: "staff", agency: "svb"),
        Login(username: "belastingdienst", password: "demo-belasting", role: "staff", agency: "belastingdienst"),
        Login(username: "coordinator", password: "demo-coordinator", role: "coordinator", agency: "gemeente"),
        Login(username: "admin", password: "demo-admin-2026", role: "admin", agency: "gemeente"),
    ]

    struct DemoService {
        /// `prefix` nil: the agency's default prefix. `sensitive`: debt help, emergency aid — never a letter of its own.
        let agency: String, code: String, name: String, prefix: String?, minutes: Int, urgent: Bool, life: String
        var sensitive = false
        let translations: [String: String]
    }

    /// Agencies with their default ticket prefix. The Gemeente's "A" is shared by passports, moving, debt help and
    /// emergency aid, so a called A-number does not tell the waiting room that someone came for debt help.
    static let agencies = [("gemeente", "Gemeente", "A"), ("uwv", "UWV", "U"), ("svb", "SVB", "S"), ("belastingdienst", "Belastingdienst", "B")]

    static let services: [DemoService] = [
        DemoService(agency: "gemeente", code: "paspoort-id", name: "Paspoort of ID-kaart", prefix: nil, minutes: 10, urgent: false, life: "documents",
                    translations: ["en": "Passport or ID card", "ar": "جواز السفر أو بطاقة الهوية", "tr": "Pasaport veya kimlik kartı",
                                   "pl": "Paszport lub dowód osobisty", "uk": "Паспорт або ID-картка"]),
        DemoService(agency: "gemeente", code: "verhuizing", name: "Verhuizing doorgeven", prefix: nil, minutes: 8, urgent: false, life: "housing",
                    translations: ["en": "Report a move", "ar": "الإبلاغ عن تغيير العنوان", "tr": "Taşınma bildirimi",
                                   "pl": "Zgłoszenie przeprowadzki", "uk": "Повідомити про переїзд"]),
        DemoService(agency: "gemeente", code: "schulden", name: "Hulp bij geldzorgen en schulden", prefix: nil, minutes: 20, urgent: false, life: "money", sensitive: true,
                    translations: ["en": "Help with money worries and debts", "ar": "مساعدة في الهموم المالية والديون",
                                   "tr": "Para sorunları ve borçlarda yardım", "pl": "Pomoc w kłopotach finansowych i długach",
                                   "uk": "Допомога з грошовими проблемами та боргами"]),
        DemoService(agency: "gemeente", code: "noodhulp", name: "Vandaag geen geld voor eten", prefix: nil, minutes: 15, urgent: true, life: "money", sensitive: true,
                    translations: ["en": "No money for food today", "ar": "لا يوجد مال للطعام اليوم", "tr": "Bugün yemek için param yok",
                                   "pl": "Dziś nie mam pieniędzy na jedzenie", "uk": "Сьогодні немає грошей на їжу"]),
        DemoService(agency: "gemeente", code: "vraag-algemeen", name: "Ik weet het niet: een medewerker helpt u", prefix: "V", minutes: 5, urgent: false, life: "other",
                    translations: ["en": "I don't know: a staff member helps you", "ar": "لا أعرف: سيساعدك موظف",
                                   "tr": "Bilmiyorum: bir görevli size yardım eder", "pl": "Nie wiem: pomoże pracownik",
                                   "uk": "Я не знаю: вам допоможе працівник"]),
        DemoService(agency: "uwv", code: "ww-uitkering", name: "WW-uitkering (werkloos)", prefix: nil, minutes: 15, urgent: false, life: "work",
                    translations: ["en": "Unemployment benefit (WW)", "ar": "إعانة البطالة", "tr": "İşsizlik ödeneği (WW)",
                                   "pl": "Zasiłek dla bezrobotnych (WW)", "uk": "Допомога з безробіття (WW)"]),
        DemoService(agency: "uwv", code: "ziek-wia", name: "Ziek en geen werk (Ziektewet, WIA)", prefix: nil, minutes: 20, urgent: false, life: "work",
                    translations: ["en": "Ill and unable to work", "ar": "مريض ولا أستطيع العمل", "tr": "Hasta ve çalışamıyorum",
                                   "pl": "Choroba i brak pracy", "uk": "Хворію і не можу працювати"]),
        DemoService(agency: "svb", code: "aow", name: "AOW (pensioen)", prefix: nil, minutes: 12, urgent: false, life: "money",
                    translations: ["en": "State pension (AOW)", "ar": "المعاش الحكومي (AOW)", "tr": "Devlet emekli maaşı (AOW)",
                                   "pl": "Emerytura państwowa (AOW)", "uk": "Державна пенсія (AOW)"]),
        DemoService(agency: "svb", code: "kinderbijslag", name: "Kinderbijslag", prefix: nil, minutes: 10, urgent: false, life: "money",
                    translations: ["en": "Child benefit", "ar": "إعانة الأطفال", "tr": "Çocuk yardımı", "pl": "Zasiłek na dziecko",
                                   "uk": "Допомога на дітей"]),
        DemoService(agency: "belastingdienst", code: "toeslagen", name: "Toeslagen (zorg, huur, kinderopvang)", prefix: nil, minutes: 15, urgent: false, life: "taxes",
                    translations: ["en": "Allowances (care, rent, childcare)", "ar": "الإعانات (الرعاية، الإيجار، رعاية الأطفال)",
                                   "tr": "Ödenekler (sağlık, kira, çocuk bakımı)", "pl": "Dodatki (zdrowie, czynsz, opieka nad dziećmi)",
                                   "uk": "Допомоги (медична, оренда, догляд за дітьми)"]),
        DemoService(agency: "belastingdienst", code: "aangifte", name: "Hulp bij belastingaangifte", prefix: nil, minutes: 20, urgent: false, life: "taxes",
                    translations: ["en": "Help with a tax return", "ar": "مساعدة في الإقرار الضريبي", "tr": "Vergi beyannamesinde yardım",
                                   "pl": "Pomoc przy zeznaniu podatkowym", "uk": "Допомога з податковою декларацією"]),
    ]

    /// Loads the demo data. Idempotent: an existing demo location is left as it is. Returns false if it existed.
    @discardableResult
    public static func load(_ db: Connection) throws -> Bool {
        if try db.query(Query("SELECT 1 FROM location WHERE code = 'centrum'")).first != nil { return false }
        // Hash outside the transaction: Argon2id is deliberately slow.
        let hashes = try logins.map { try Credentials.hashPassword($0.password) }
        try db.transaction { db in
            let location = try db.query(Query("INSERT INTO location (code, name, time_zone, street_address, postal_code, city, email) VALUES ('centrum', 'Stadswinkel Centrum', 'Europe/Amsterdam', 'Marktplein 1', '1234 AB', 'Voorbeeldstad', 'loket@voorbeeldstad.example') RETURNING id"))
                .first!.string("id")
            var agencyIDs: [String: String] = [:]
            for (code, name, prefix) in agencies {
                agencyIDs[code] = try db.query(Query("""
                    INSERT INTO agency (code, name, ticket_prefix) VALUES ($1, $2, $3)
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, ticket_prefix = coalesce(agency.ticket_prefix, excluded.ticket_prefix)
                    RETURNING id
                    """, code, name, prefix)).first!.string("id")
            }
            for i in 1...4 {
                try db.query(Query("INSERT INTO desk (location_id, name) VALUES ($1, $2)", location, "Balie \(i)"))
            }
            var serviceIDs: [String: [String]] = [:]
            var serviceByCode: [String: String] = [:]
            for s in services {
                let translations = JSON.object(s.translations.keys.sorted().map { ($0, .string(s.translations[$0]!)) }).serialized
                let id = try db.query(Query("""
                    INSERT INTO service (agency_id, code, name, own_ticket_prefix, duration_minutes, urgent, life_question, translations, sensitive)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) RETURNING id
                    """, agencyIDs[s.agency]!, s.code, s.name, s.prefix, s.minutes, s.urgent, s.life, translations, s.sensitive)).first!.string("id")
                try db.query(Query("INSERT INTO service_location (service_id, location_id) VALUES ($1, $2)", id, location))
                serviceIDs[s.agency, default: []].append(id)
                serviceByCode[s.code] = id
            }
            for (login, hash) in zip(logins, hashes) {
                let services = login.role == "admin" ? [] : serviceIDs[login.agency] ?? []
                try db.query(Query("""
                    WITH s AS (INSERT INTO staff (agency_id, username, password_hash, display_name, role)
                               VALUES ($1, $2, $3, $4, $5) RETURNING id, agency_id)
                    INSERT INTO staff_service (staff_id, service_id, agency_id) SELECT s.id, x, s.agency_id FROM s, unnest($6::uuid[]) AS x
                    """, agencyIDs[login.agency]!, login.username, hash, "Demo \(login.username)", login.role, services))
            }
            try loadCalendars(db, location: location, services: serviceByCode)
        }
        return true
    }

    /// Weekly availability of the demo staff at the demo location: (username, weekday, start, end, every other week).
    /// Every-other-week intervals are anchored on Monday 2026-01-05 (they apply in that ISO week and every second week after).
    static let availability: [(String, Int, String, String, Bool)] = [
        ("gemeente", 1, "09:00", "17:00", false), ("gemeente", 2, "09:00", "17:00", false), ("gemeente", 3, "09:00", "17:00", false),
        ("gemeente", 4, "09:00", "17:00", false), ("gemeente", 5, "09:00", "13:00", false),
        ("uwv", 1, "09:00", "13:00", false), ("uwv", 2, "09:00", "17:00", false), ("uwv", 4, "09:00", "17:00", false),
        ("svb", 2, "09:00", "17:00", false), ("svb", 4, "13:00", "17:00", false), ("svb", 5, "09:00", "13:00", true),
        ("belastingdienst", 1, "13:00", "17:00", false), ("belastingdienst", 3, "09:00", "17:00", false),
        ("coordinator", 1, "09:00", "17:00", false), ("coordinator", 3, "09:00", "17:00", false),
    ]

    /// Opening hours Monday to Friday 09:00–17:00, two rooms, staff availability and three appointment types, one of
    /// them a joint conversation about debts with the gemeente, UWV and SVB at one table (needs a room).
    static func loadCalendars(_ db: Connection, location: String, services: [String: String]) throws {
        for weekday in 1...5 {
            try db.query(Query("INSERT INTO opening_hours (location_id, weekday, opens, closes) VALUES ($1, $2::smallint, '09:00', '17:00')",
                               location, weekday))
        }
        for (name, capacity) in [("Spreekkamer 1", 4), ("Spreekkamer 2", 6)] {
            try db.query(Query("INSERT INTO room (location_id, name, capacity) VALUES ($1, $2, $3)", location, name, capacity))
        }
        for (username, weekday, start, end, alternate) in availability {
            try db.query(Query("""
                INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends, valid_from, every_other_week)
                SELECT id, $2, $3::smallint, $4::time, $5::time, CASE WHEN $6::boolean THEN date '2026-01-05' END, $6::boolean
                FROM staff WHERE username = $1
                """, username, location, weekday, start, end, alternate))
        }
        let types: [(code: String, name: String, minutes: Int, room: Bool, services: [String], before: Int, after: Int, persons: Int, extra: Int)] = [
            ("paspoort-afspraak", "Paspoort of ID-kaart aanvragen", 15, false, ["paspoort-id"], 0, 5, 3, 10),
            ("aow-gesprek", "Gesprek over uw AOW", 30, false, ["aow"], 0, 5, 2, 0),
            ("samen-geldzorgen", "Samen kijken naar geldzorgen (gemeente, UWV en SVB)", 60, true,
             ["schulden", "ww-uitkering", "aow"], 10, 10, 2, 0),
        ]
        for t in types {
            let id = try db.query(Query("""
                INSERT INTO appointment_type (code, name, duration_minutes, needs_room, buffer_before_minutes, buffer_after_minutes,
                                              max_persons, extra_minutes_per_person, public_booking)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true) RETURNING id
                """, t.code, t.name, t.minutes, t.room, t.before, t.after, t.persons, t.extra)).first!.string("id")
            try db.query(Query("""
                INSERT INTO appointment_type_requirement (appointment_type_id, position, service_id)
                SELECT $1, (o - 1)::smallint, s::uuid FROM unnest($2::text[]) WITH ORDINALITY AS x (s, o)
                """, id, t.services.map { services[$0]! }))
        }
    }
}
