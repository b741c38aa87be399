/// A horizontal bar chart as SVG, rendered on the server (pure, no chart library, no Foundation).
///
/// Made to be read without colour: every series has its own fill pattern (solid, diagonal hatch, dots, cross-hatch)
/// and a legend swatch with its name, every bar carries its value as text, and categories are written out at the
/// left. For screen readers the SVG has `role="img"`, a `<title>` and a `<desc>` (the page shows the same numbers in
/// a table beside it). No `style` attributes or elements: the pages' strict CSP allows none, so presentation
/// attributes carry everything.
public struct BarChart: Sendable {
    public struct Series: Sendable {
        public let name: String
        public let values: [Double]
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    public let title: String
    public let description: String
    public let categories: [String]
    public let series: [Series]
    /// How a value is written next to its bar (default: a whole number).
    public let format: @Sendable (Double) -> String
    /// Prefix of the pattern ids, so several charts inlined in one page do not share ids.
    public let idPrefix: String

    public init(title: String, description: String, categories: [String], series: [Series], idPrefix: String = "chart",
                format: @escaping @Sendable (Double) -> String = { String(Int($0.rounded())) }) {
        self.title = title
        self.description = description
        self.categories = categories
        self.series = series
        self.idPrefix = idPrefix.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        self.format = format
    }

    public static let width = 720
    public static let labelWidth = 200
    public static let valueWidth = 70
    static let barHeight = 16
    static let gap = 10
    static let top = 34

    /// The patterns, in the order series take them. Each reads differently in black and white.
    static func patternDefs(_ prefix: String) -> String {
        """
        <pattern id="\(prefix)-p0" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="#1f3a5f"/></pattern>\
        <pattern id="\(prefix)-p1" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#ffffff"/><rect width="3" height="8" fill="#1f3a5f"/></pattern>\
        <pattern id="\(prefix)-p2" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#ffffff"/><circle cx="3" cy="3" r="1.6" fill="#1f3a5f"/></pattern>\
        <pattern id="\(prefix)-p3" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="#ffffff"/><path d="M0 0L8 8M8 0L0 8" stroke="#1f3a5f" stroke-width="1.5"/></pattern>
        """
    }

    public var svg: String {
        let rows = max(categories.count, 1)
        let groupHeight = series.count * Self.barHeight + Self.gap
        let legendHeight = 26
        let height = Self.top + rows * groupHeight + legendHeight + 10
        let maxValue = max(series.flatMap(\.values).filter { $0.isFinite }.max() ?? 0, 1)
        let barArea = Double(Self.width - Self.labelWidth - Self.valueWidth - 10)
        let titleID = "\(idPrefix)-title", descID = "\(idPrefix)-desc"
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 \(Self.width) \(height)\" "
            + "width=\"\(Self.width)\" height=\"\(height)\" aria-labelledby=\"\(titleID) \(descID)\" "
            + "font-family=\"sans-serif\" font-size=\"13\">"
        out += "<title id=\"\(titleID)\">\(xml(title))</title><desc id=\"\(descID)\">\(xml(description))</desc>"
        out += "<defs>\(Self.patternDefs(idPrefix))</defs>"
        out += "<rect width=\"\(Self.width)\" height=\"\(height)\" fill=\"#ffffff\"/>"
        out += "<text x=\"0\" y=\"18\" font-size=\"15\" font-weight=\"bold\" fill=\"#111111\">\(xml(title))</text>"
        if categories.isEmpty {
            out += "<text x=\"0\" y=\"\(Self.top + 14)\" fill=\"#111111\">Geen gegevens in deze periode.</text>"
        }
        for (c, category) in categories.enumerated() {
            let y0 = Self.top + c * groupHeight
            let labelY = y0 + (series.count * Self.barHeight) / 2 + 5
            out += "<text x=\"\(Self.labelWidth - 8)\" y=\"\(labelY)\" text-anchor=\"end\" fill=\"#111111\">\(xml(clip(category, 28)))</text>"
            for (s, serie) in series.enumerated() {
                let value = c < serie.values.count ? serie.values[c] : 0
                let v = value.isFinite ? max(value, 0) : 0
                let w = (v / maxValue * barArea).rounded()
                let y = y0 + s * Self.barHeight
                out += "<rect x=\"\(Self.labelWidth)\" y=\"\(y + 1)\" width=\"\(Int(w))\" height=\"\(Self.barHeight - 3)\" "
                    + "fill=\"url(#\(idPrefix)-p\(s % 4))\" stroke=\"#1f3a5f\" stroke-width=\"1\">"
                    + "<title>\(xml(category)), \(xml(serie.name)): \(xml(format(value)))</title></rect>"
                out += "<text x=\"\(Self.labelWidth + Int(w) + 6)\" y=\"\(y + Self.barHeight - 4)\" fill=\"#111111\">\(xml(format(value)))</text>"
            }
        }
        // Legend: a swatch with the series' pattern and its name, so each bar can be told apart without colour.
        let legendY = Self.top + rows * groupHeight + 6
        var x = Self.labelWidth
        for (s, serie) in series.enumerated() {
            out += "<rect x=\"\(x)\" y=\"\(legendY)\" width=\"18\" height=\"14\" fill=\"url(#\(idPrefix)-p\(s % 4))\" stroke=\"#1f3a5f\"/>"
            out += "<text x=\"\(x + 24)\" y=\"\(legendY + 12)\" fill=\"#111111\">\(xml(serie.name))</text>"
            x += 24 + serie.name.count * 8 + 20
        }
        out += "</svg>"
        return out
    }

    func clip(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }
}

/// Text and attribute values escaped for XML.
public func xml(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default:
            // Control characters are not allowed in XML 1.0.
            if let a = c.asciiValue, a < 0x20, a != 0x09, a != 0x0A, a != 0x0D { continue }
            out.append(c)
        }
    }
    return out
}
