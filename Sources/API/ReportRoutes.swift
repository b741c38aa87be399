import HTTP
import Postgres
import ReportFormat
import Scheduling

// Reports for coordinators and admins (issue 11): visits, handovers between agencies, outcome categories, per
// period, location, agency and service, as JSON, CSV or a server-rendered SVG chart. Everything comes from the
// anonymous visit records (migration 0017, `SQL/reports.sql`): no report can contain personal data, and the retention
// purge changes no report. Formatting (CSV, SVG) is the pure `ReportFormat` target.
//
// Which format: `format=json|csv|svg` in the query, else the Accept header (`text/csv`, `image/svg+xml`), else JSON.

private let tag = "reports"
/// The longest period one report covers (to − from), in days: bounds the work of one request.
private let maxRangeDays = 366

/// What a report answers with.
enum ReportFormatChoice { case json, csv, svg }

enum ReportRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    static let filterParameters: [OpenAPIOperation.QueryParameter] = [
        .init("from", "string", format: "date", "First local date, YYYY-MM-DD (required)."),
        .init("to", "string", format: "date", "Last local date, YYYY-MM-DD, inclusive, at most \(maxRangeDays) days after from (required)."),
        .init("locationId", "string", format: "uuid", "Only this location."),
        .init("agencyId", "string", format: "uuid", "Only visits that ended at this agency (handovers: from or to it)."),
        .init("serviceId", "string", format: "uuid", "Only visits that ended at this service (handovers: from or to it)."),
        .init("format", "string", "json (default), csv or svg; or ask with Accept: text/csv or image/svg+xml."),
    ]

    static func responses(_ schema: String) -> [OpenAPIOperation.Response] {
        var r = OpenAPIOperation.Response(200, "The report (JSON; CSV or SVG when asked)", schema)
        r.alsoAs = ["text/csv", "image/svg+xml"]
        return [r]
    }

    static let routes: [DeclaredRoute] = [
        .get("/api/v1/reports/visits", .coordinator,
             OpenAPIOperation("reportVisits", summary: "Visits: served, walk-ins and appointments, waiting and service times, no-shows, per day",
                              tag: tag, query: filterParameters, responses: responses("VisitReport"))) { ctx in
            try visits(ctx)
        },
        .get("/api/v1/reports/handovers", .coordinator,
             OpenAPIOperation("reportHandovers", summary: "Handovers between agencies as a flow table (from → to)",
                              tag: tag, query: filterParameters, responses: responses("HandoverReport"))) { ctx in
            try handovers(ctx)
        },
        .get("/api/v1/reports/outcomes", .coordinator,
             OpenAPIOperation("reportOutcomes", summary: "Outcome categories of served visits (topic, government layer, help given)",
                              tag: tag, query: filterParameters, responses: responses("OutcomeReport"))) { ctx in
            try outcomes(ctx)
        },
        .get("/api/v1/reports/filters", .coordinator,
             OpenAPIOperation("reportFilters", summary: "Locations, agencies and services to filter reports by",
                              tag: tag, responses: [.init(200, "Choices", "ReportFilters")])) { ctx in
            raw(try ctx.db.first(ReportFilterChoices())?.j ?? "{}")
        },
        .get("/api/v1/outcome-categories", .staff,
             OpenAPIOperation("listOutcomeCategories", summary: "Outcome categories staff may record when finishing a ticket",
                              tag: tag, responses: [.init(200, "Categories", "OutcomeCategoryList")])) { ctx in
            let items = try ctx.db.all(OutcomeCategories()).map { c -> JSON in
                .object([("code", .string(c.code)), ("dimension", .string(c.dimension)), ("label", .string(c.label))])
            }
            return raw(JSON.object([("items", .array(items))]).serialized)
        },
    ]

    // MARK: Parameters

    static func filter(_ ctx: RouteContext) throws -> ReportFilter {
        let q = ctx.request.query
        var v = Validator()
        let from = AvailabilityRoutes.date(&v, q["from"], "from")
        let to = AvailabilityRoutes.date(&v, q["to"], "to")
        if let from, let to {
            v.require(to >= from, "to", "must not be before from")
            v.require(from.days(until: to) <= maxRangeDays, "to", "must be at most \(maxRangeDays) days after from")
        }
        for name in ["locationId", "agencyId", "serviceId"] where q[name] != nil && q[name] != "" {
            v.id(q[name], name)
        }
        if let f = q["format"], !["json", "csv", "svg"].contains(f) {
            v.require(false, "format", "must be json, csv or svg")
        }
        // A coordinator of some locations, or of their own agency only, reports on what is theirs: the framework
        // checks a named location or agency against the scope (AccessScope), so the report must name one.
        if let limits = ctx.principal?.coordinatorLimits {
            v.require(limits.locationIDs == nil || !(q["locationId"] ?? "").isEmpty, "locationId",
                      "is required for a coordinator of specific locations")
            v.require(!limits.ownAgencyOnly || !(q["agencyId"] ?? "").isEmpty, "agencyId",
                      "is required for a coordinator of their own agency only")
        }
        try v.check()
        guard let from, let to else { throw Problem.internalError }
        func optionalID(_ name: String) -> String? { q[name].flatMap { $0.isEmpty ? nil : $0.lowercased() } }
        return ReportFilter(from: from.description, to: to.description, locationID: optionalID("locationId"),
                            agencyID: optionalID("agencyId"), serviceID: optionalID("serviceId"))
    }

    static func format(_ request: Request) -> ReportFormatChoice {
        switch request.query["format"] {
        case "csv": return .csv
        case "svg": return .svg
        case "json": return .json
        default:
            let accept = request.header("accept") ?? ""
            if accept.contains("text/csv") { return .csv }
            if accept.contains("image/svg+xml") { return .svg }
            return .json
        }
    }

    static func csvResponse(_ csv: CSVWriter, _ name: String, _ f: ReportFilter) -> Response {
        Response(status: 200, headers: [("Content-Type", "text/csv; charset=utf-8"),
                                        ("Content-Disposition", "attachment; filename=\"\(name)-\(f.from)-\(f.to).csv\""),
                                        ("Cache-Control", "no-store")],
                 body: .bytes(Array(csv.text.utf8)))
    }

    static func svgResponse(_ chart: BarChart) -> Response {
        Response(status: 200, headers: [("Content-Type", "image/svg+xml; charset=utf-8"), ("Cache-Control", "no-store"),
                                        ("X-Content-Type-Options", "nosniff")],
                 body: .bytes(Array(chart.svg.utf8)))
    }

    /// Runs one report statement in a transaction after `ReportSession` (work memory, plans for the actual filters).
    static func report<S: Statement>(_ ctx: RouteContext, _ statement: S) throws -> [S.Row] {
        try ctx.transaction { db in
            try db.run(ReportSession())
            return try db.all(statement)
        }
    }

    static func seconds(_ d: Double?) -> JSON { d.map { .int(Int($0.rounded())) } ?? .null }
    static func csvSeconds(_ d: Double?) -> CSVWriter.Field { d.map { .integer(Int($0.rounded())) } ?? .empty }
    static func filterJSON(_ f: ReportFilter) -> JSON {
        .object([("from", .string(f.from)), ("to", .string(f.to)), ("locationId", .optional(f.locationID)),
                 ("agencyId", .optional(f.agencyID)), ("serviceId", .optional(f.serviceID))])
    }

    // MARK: Visits

    /// The chart's rows: per day up to a month, per 7 days up to a quarter, per calendar month beyond.
    struct ChartRow { var label: String; var walkIns = 0; var appointments = 0; var noShows = 0 }

    static func chartRows(_ days: [ReportVisits.Row], _ f: ReportFilter) -> (unit: String, rows: [ChartRow]) {
        guard let from = LocalDate(iso: f.from), let to = LocalDate(iso: f.to) else { return ("day", []) }
        let span = from.days(until: to) + 1
        let unit = span <= 31 ? "day" : span <= 92 ? "week" : "month"
        var rows: [ChartRow] = []
        var index: [String: Int] = [:]
        for d in days {
            guard let day = d.day, let date = LocalDate(iso: day) else { continue }
            let label: String
            switch unit {
            case "day": label = day
            case "week": label = "vanaf " + from.adding(days: from.days(until: date) / 7 * 7).description
            default: label = String(day.prefix(7))
            }
            let i = index[label] ?? { rows.append(ChartRow(label: label)); index[label] = rows.count - 1; return rows.count - 1 }()
            rows[i].walkIns += d.walk_ins
            rows[i].appointments += d.appointments
            rows[i].noShows += d.no_shows
        }
        return (unit, rows)
    }

    static func visits(_ ctx: RouteContext) throws -> Response {
        let f = try filter(ctx)
        let rows = try report(ctx, ReportVisits(f))
        let total = rows.first { $0.is_total }
        let days = rows.filter { !$0.is_total }
        switch format(ctx.request) {
        case .csv:
            var csv = CSVWriter(header: ["datum", "bezoeken", "geholpen", "inloop", "afspraak", "niet_gekomen", "geannuleerd", "spoed",
                                         "wachttijd_p50_sec", "wachttijd_p90_sec", "behandeltijd_p50_sec"])
            for r in days + (total.map { [$0] } ?? []) {
                csv.append([.text(r.day ?? "totaal"), .integer(r.visits), .integer(r.served), .integer(r.walk_ins), .integer(r.appointments),
                            .integer(r.no_shows), .integer(r.cancelled), .integer(r.urgent),
                            csvSeconds(r.waiting_p50), csvSeconds(r.waiting_p90), csvSeconds(r.service_p50)])
            }
            return csvResponse(csv, "bezoeken", f)
        case .svg:
            let (unit, chart) = chartRows(days, f)
            let per = unit == "day" ? "per dag" : unit == "week" ? "per week" : "per maand"
            return svgResponse(BarChart(
                title: "Bezoekers \(per), \(f.from) tot en met \(f.to)",
                description: "Staafdiagram \(per): geholpen inloopbezoekers (effen), geholpen bezoekers met afspraak (gearceerd) en niet gekomen (stippen). "
                    + "Totaal \(total?.served ?? 0) geholpen, \(total?.no_shows ?? 0) niet gekomen. De tabel naast de grafiek heeft dezelfde cijfers.",
                categories: chart.map(\.label),
                series: [.init(name: "Inloop", values: chart.map { Double($0.walkIns) }),
                         .init(name: "Afspraak", values: chart.map { Double($0.appointments) }),
                         .init(name: "Niet gekomen", values: chart.map { Double($0.noShows) })],
                idPrefix: "visits"))
        case .json:
            func counts(_ r: ReportVisits.Row?) -> [(String, JSON)] {
                [("visits", .int(r?.visits ?? 0)), ("served", .int(r?.served ?? 0)), ("walkIns", .int(r?.walk_ins ?? 0)),
                 ("appointments", .int(r?.appointments ?? 0)), ("noShows", .int(r?.no_shows ?? 0)),
                 ("cancelled", .int(r?.cancelled ?? 0)), ("urgent", .int(r?.urgent ?? 0)),
                 ("waitingP50Seconds", seconds(r?.waiting_p50)), ("waitingP90Seconds", seconds(r?.waiting_p90)),
                 ("serviceP50Seconds", seconds(r?.service_p50))]
            }
            let served = total?.served ?? 0
            let share: JSON = served > 0 ? .double((Double(total?.urgent ?? 0) / Double(served) * 1000).rounded() / 1000) : .null
            let (unit, chart) = chartRows(days, f)
            return raw(JSON.object([
                ("filter", filterJSON(f)),
                ("totals", .object(counts(total) + [("urgentShare", share)])),
                ("days", .array(days.map { .object([("date", .string($0.day ?? ""))] + counts($0)) })),
                ("chart", .object([("unit", .string(unit)), ("rows", .array(chart.map {
                    .object([("label", .string($0.label)), ("walkIns", .int($0.walkIns)), ("appointments", .int($0.appointments)),
                             ("noShows", .int($0.noShows))])
                }))])),
            ]).serialized)
        }
    }

    // MARK: Handovers

    static func handovers(_ ctx: RouteContext) throws -> Response {
        let f = try filter(ctx)
        let rows = try report(ctx, ReportHandovers(f))
        switch format(ctx.request) {
        case .csv:
            var csv = CSVWriter(header: ["van_organisatie", "naar_organisatie", "aantal"])
            for r in rows { csv.append([.text(r.from_agency), .text(r.to_agency), .integer(r.n)]) }
            return csvResponse(csv, "doorverwijzingen", f)
        case .svg:
            let total = rows.reduce(0) { $0 + $1.n }
            return svgResponse(BarChart(
                title: "Warme overdrachten tussen organisaties, \(f.from) tot en met \(f.to)",
                description: "Staafdiagram: aantal overdrachten per route van organisatie naar organisatie, \(total) in totaal. De tabel naast de grafiek heeft dezelfde cijfers.",
                categories: rows.map { "\($0.from_agency) → \($0.to_agency)" },
                series: [.init(name: "Overdrachten", values: rows.map { Double($0.n) })], idPrefix: "handovers"))
        case .json:
            return raw(JSON.object([
                ("filter", filterJSON(f)),
                ("total", .int(rows.reduce(0) { $0 + $1.n })),
                ("items", .array(rows.map {
                    .object([("fromAgencyId", .string($0.from_agency_id)), ("fromAgency", .string($0.from_agency)),
                             ("toAgencyId", .string($0.to_agency_id)), ("toAgency", .string($0.to_agency)), ("count", .int($0.n))])
                })),
            ]).serialized)
        }
    }

    // MARK: Outcomes

    static let dimensionLabels = ["topic": "Onderwerp", "layer": "Overheidslaag", "help": "Geboden hulp"]

    static func outcomes(_ ctx: RouteContext) throws -> Response {
        let f = try filter(ctx)
        let rows = try report(ctx, ReportOutcomes(f))
        let served = rows.first?.served ?? 0, unrecorded = rows.first?.unrecorded ?? 0
        switch format(ctx.request) {
        case .csv:
            var csv = CSVWriter(header: ["dimensie", "code", "omschrijving", "aantal"])
            for r in rows { csv.append([.text(dimensionLabels[r.dimension] ?? r.dimension), .text(r.code), .text(r.label), .integer(r.n)]) }
            csv.append([.text(""), .text("geen"), .text("Geen uitkomst vastgelegd"), .integer(unrecorded)])
            return csvResponse(csv, "uitkomsten", f)
        case .svg:
            return svgResponse(BarChart(
                title: "Uitkomsten van geholpen bezoeken, \(f.from) tot en met \(f.to)",
                description: "Staafdiagram: per uitkomstcategorie (onderwerp, overheidslaag, geboden hulp) het aantal geholpen bezoeken; "
                    + "\(served) geholpen, bij \(unrecorded) geen uitkomst vastgelegd. De tabel naast de grafiek heeft dezelfde cijfers.",
                categories: rows.map { "\(dimensionLabels[$0.dimension] ?? $0.dimension): \($0.label)" },
                series: [.init(name: "Bezoeken", values: rows.map { Double($0.n) })], idPrefix: "outcomes"))
        case .json:
            return raw(JSON.object([
                ("filter", filterJSON(f)),
                ("served", .int(served)), ("unrecorded", .int(unrecorded)),
                ("items", .array(rows.map {
                    .object([("code", .string($0.code)), ("dimension", .string($0.dimension)), ("label", .string($0.label)), ("count", .int($0.n))])
                })),
            ]).serialized)
        }
    }

    /// The OpenAPI schemas of the answers.
    static var schemas: [(String, JSON)] {
        typealias O = OpenAPISpec
        let counts: [(String, JSON)] = [("visits", O.int), ("served", O.int), ("walkIns", O.int), ("appointments", O.int),
                                        ("noShows", O.int), ("cancelled", O.int), ("urgent", O.int),
                                        ("waitingP50Seconds", O.nullable(O.int)), ("waitingP90Seconds", O.nullable(O.int)),
                                        ("serviceP50Seconds", O.nullable(O.int))]
        let filter = O.obj([("from", O.date), ("to", O.date), ("locationId", O.nullable(O.id)), ("agencyId", O.nullable(O.id)),
                            ("serviceId", O.nullable(O.id))])
        return [
            ("VisitReport", O.obj([("filter", filter), ("totals", O.obj(counts + [("urgentShare", O.nullable(O.s("number")))])),
                                   ("days", O.arr(O.obj([("date", O.date)] + counts))),
                                   ("chart", O.obj([("unit", O.enumeration(["day", "week", "month"])),
                                                    ("rows", O.arr(O.obj([("label", O.str), ("walkIns", O.int), ("appointments", O.int),
                                                                          ("noShows", O.int)])))]))],
                                  required: ["filter", "totals", "days", "chart"])),
            ("HandoverReport", O.obj([("filter", filter), ("total", O.int),
                                      ("items", O.arr(O.obj([("fromAgencyId", O.id), ("fromAgency", O.str), ("toAgencyId", O.id),
                                                             ("toAgency", O.str), ("count", O.int)])))],
                                     required: ["filter", "total", "items"])),
            ("OutcomeReport", O.obj([("filter", filter), ("served", O.int), ("unrecorded", O.int),
                                     ("items", O.arr(O.obj([("code", O.str), ("dimension", O.enumeration(["topic", "layer", "help"])),
                                                            ("label", O.str), ("count", O.int)])))],
                                    required: ["filter", "served", "unrecorded", "items"])),
            ("ReportFilters", O.obj([("locations", O.arr(O.obj([("id", O.id), ("name", O.str)]))),
                                     ("agencies", O.arr(O.obj([("id", O.id), ("name", O.str)]))),
                                     ("services", O.arr(O.obj([("id", O.id), ("name", O.str), ("agencyId", O.id)])))])),
            ("OutcomeCategoryList", O.obj([("items", O.arr(O.obj([("code", O.str), ("dimension", O.enumeration(["topic", "layer", "help"])),
                                                                  ("label", O.str)])))], required: ["items"])),
        ]
    }
}
