import ReportFormat
import XCTest

final class CSVWriterTests: XCTestCase {
    func testQuotesOnlyWhatNeedsQuoting() {
        var csv = CSVWriter(header: ["naam", "aantal"])
        csv.append([.text("Gemeente, burgerzaken"), .integer(12)])
        csv.append([.text("Zeg \"hoi\""), .integer(0)])
        csv.append([.text("twee\nregels"), .empty])
        csv.append([.text(" spatie"), .decimal(12.34)])
        csv.append([.text("UWV"), .decimal(3)])
        XCTAssertEqual(csv.text, "naam,aantal\r\n\"Gemeente, burgerzaken\",12\r\n\"Zeg \"\"hoi\"\"\",0\r\n\"twee\nregels\",\r\n\" spatie\",12.3\r\nUWV,3\r\n")
    }

    func testCRLFInsideAFieldIsQuoted() {
        XCTAssertEqual(CSVWriter.encode(.text("a\r\nb")), "\"a\r\nb\"")
    }

    func testFormulasAreDefused() {
        XCTAssertEqual(CSVWriter.encode(.text("=SUM(A1:A9)")), "'=SUM(A1:A9)")
        XCTAssertEqual(CSVWriter.encode(.text("@cmd")), "'@cmd")
        XCTAssertEqual(CSVWriter.encode(.text("-1+2")), "'-1+2")
        XCTAssertEqual(CSVWriter.encode(.integer(-1)), "-1", "numbers are written as they are")
    }

    func testDecimalsUseAPointAndOneDigit() {
        XCTAssertEqual(CSVWriter.decimal(0.05), "0.1")
        XCTAssertEqual(CSVWriter.decimal(7.0), "7")
        XCTAssertEqual(CSVWriter.decimal(-0.25), "-0.3")
        XCTAssertEqual(CSVWriter.decimal(.nan), "")
    }
}

final class BarChartTests: XCTestCase {
    let chart = BarChart(title: "Bezoekers per dag", description: "Inloop en afspraak <per dag>",
                         categories: ["2026-11-02", "2026-11-03"],
                         series: [.init(name: "Inloop", values: [10, 5]), .init(name: "Afspraak", values: [2, 0])],
                         idPrefix: "visits")

    func testTitleAndDescriptionForScreenReaders() {
        let svg = chart.svg
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""))
        XCTAssertTrue(svg.contains("<title id=\"visits-title\">Bezoekers per dag</title>"))
        XCTAssertTrue(svg.contains("<desc id=\"visits-desc\">Inloop en afspraak &lt;per dag&gt;</desc>"))
        XCTAssertTrue(svg.contains("aria-labelledby=\"visits-title visits-desc\""))
        XCTAssertTrue(svg.hasSuffix("</svg>"))
    }

    func testEachSeriesHasItsOwnPatternAndEveryBarItsValueAsText() {
        let svg = chart.svg
        XCTAssertEqual(occurrences("fill=\"url(#visits-p0)\"", in: svg), 3, "two bars and a legend swatch")
        XCTAssertEqual(occurrences("fill=\"url(#visits-p1)\"", in: svg), 3)
        XCTAssertTrue(svg.contains("<pattern id=\"visits-p1\""))
        XCTAssertTrue(svg.contains(">10</text>"))
        XCTAssertTrue(svg.contains("<title>2026-11-03, Inloop: 5</title>"))
        XCTAssertTrue(svg.contains(">Afspraak</text>"), "the legend names each series")
        XCTAssertFalse(svg.contains("style"), "no style attributes: the pages' CSP allows none")
    }

    func testLongestBarFillsTheAreaAndOthersScale() {
        let svg = chart.svg
        let area = BarChart.width - BarChart.labelWidth - BarChart.valueWidth - 10
        XCTAssertTrue(svg.contains("width=\"\(area)\""), "the largest value spans the bar area")
        XCTAssertTrue(svg.contains("width=\"\(Int((Double(area) / 2).rounded()))\""), "half the value, half the width")
    }

    func testNoDataSaysSo() {
        let empty = BarChart(title: "Leeg", description: "", categories: [], series: [.init(name: "x", values: [])])
        XCTAssertTrue(empty.svg.contains("Geen gegevens in deze periode."))
    }

    func testXMLEscaping() {
        XCTAssertEqual(xml("a&b<c>\"d'\u{1}"), "a&amp;b&lt;c&gt;&quot;d&apos;")
    }

    private func occurrences(_ needle: String, in haystack: String) -> Int {
        var count = 0, rest = Substring(haystack)
        while let r = rest.firstRange(of: needle) { count += 1; rest = rest[r.upperBound...] }
        return count
    }
}
