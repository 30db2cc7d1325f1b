import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import LossKitCharts

/// Counts elements by name; fails the parse on malformed XML.
final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) { counts[name, default: 0] += 1 }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}

func parse(_ svg: String) -> ElementCounter? {
    let parser = XMLParser(data: Data(svg.utf8))
    let counter = ElementCounter()
    parser.delegate = counter
    return parser.parse() ? counter : nil
}

@Suite struct ChartTests {
    @Test func escaping() {
        #expect(xmlEscaped("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;")
    }

    @Test func coordinates() {
        #expect(coordinate(1.5) == "1.5" && coordinate(-0.25) == "-0.25" && coordinate(3) == "3")
        #expect(coordinate(.nan) == "0" && coordinate(0.004) == "0")
    }

    @Test func groupedBarsAreValidXMLWithOneRectPerBarPlusLegend() throws {
        let svg = GroupedBarChart(title: "x < 1 & y", binLabels: ["(-inf, 1]", "(1, inf)", "missing"],
                                  series: [("reference", [0.5, 0.5, 0]), ("current", [0.2, 0.7, 0.1])]).svg()
        let counter = try #require(parse(svg))
        #expect(counter.counts["rect"] == 3 * 2 + 2)
        #expect(counter.counts["line"] == 1 + 5)  // x axis, five y ticks
        #expect(counter.text.contains("x < 1 & y"))
        #expect(svg == GroupedBarChart(title: "x < 1 & y", binLabels: ["(-inf, 1]", "(1, inf)", "missing"],
                                       series: [("reference", [0.5, 0.5, 0]), ("current", [0.2, 0.7, 0.1])]).svg())
    }

    @Test func nonFiniteAndEmptyInputDoNotTrap() throws {
        let bad = GroupedBarChart(title: "t", binLabels: ["a", "b"], series: [("r", [.nan, .infinity])]).svg()
        #expect(try #require(parse(bad)).text.contains("no data"))
        let mixed = GroupedBarChart(title: "t", binLabels: ["a", "b"], series: [("r", [.nan, 1])]).svg()
        #expect(try #require(parse(mixed)).counts["rect"] == 2 + 1)
        #expect(parse(GroupedBarChart(title: "t", binLabels: [], series: []).svg()) != nil)
    }
}
