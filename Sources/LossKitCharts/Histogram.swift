// Overlaid reference/current histograms over shared bins, as bars side by side.

/// Two (or more) series of bin proportions over the same labelled bins, drawn as grouped bars.
///
/// Non-finite or negative values are drawn as empty bars; empty input gives an empty chart with
/// a "no data" note, never a trap.
///
/// ```swift
/// let svg = GroupedBarChart(title: "mean radius", binLabels: ["≤ 11", "> 11"],
///                           series: [("reference", [0.4, 0.6]), ("current", [0.1, 0.9])]).svg()
/// ```
public struct GroupedBarChart: Sendable {
    public var title: String
    public var binLabels: [String]
    public var series: [(name: String, values: [Double])]
    public var width = 480.0, height = 240.0
    public static let palette = ["#4c72b0", "#dd8452", "#55a868", "#c44e52"]

    public init(title: String, binLabels: [String], series: [(name: String, values: [Double])]) {
        self.title = title
        self.binLabels = binLabels
        self.series = series
    }

    public func svg() -> String {
        let left = 44.0, right = 10.0, top = 28.0, bottom = 40.0
        let plotW = width - left - right, plotH = height - top - bottom
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(coordinate(width))\" height=\"\(coordinate(height))\" viewBox=\"0 0 \(coordinate(width)) \(coordinate(height))\" font-family=\"sans-serif\" font-size=\"11\">"
        out += "<text x=\"\(coordinate(left))\" y=\"16\" font-weight=\"bold\">\(xmlEscaped(title))</text>"
        let finite = series.flatMap(\.values).filter { $0.isFinite && $0 >= 0 }
        guard !binLabels.isEmpty, !series.isEmpty, let maxValue = finite.max(), maxValue > 0 else {
            return out + "<text x=\"\(coordinate(width / 2))\" y=\"\(coordinate(height / 2))\" text-anchor=\"middle\">no data</text></svg>"
        }
        let groupW = plotW / Double(binLabels.count)
        let barW = groupW * 0.8 / Double(series.count)
        out += "<line x1=\"\(coordinate(left))\" y1=\"\(coordinate(top + plotH))\" x2=\"\(coordinate(left + plotW))\" y2=\"\(coordinate(top + plotH))\" stroke=\"#333\"/>"
        // Y axis: 5 ticks from 0 to the largest value, labelled in percent of rows.
        for k in 0...4 {
            let v = maxValue * Double(k) / 4, y = top + plotH - plotH * Double(k) / 4
            out += "<line x1=\"\(coordinate(left - 4))\" y1=\"\(coordinate(y))\" x2=\"\(coordinate(left))\" y2=\"\(coordinate(y))\" stroke=\"#333\"/>"
            out += "<text x=\"\(coordinate(left - 6))\" y=\"\(coordinate(y + 3))\" text-anchor=\"end\" font-size=\"9\">\(coordinate(v * 100))%</text>"
        }
        for (s, item) in series.enumerated() {
            let color = Self.palette[s % Self.palette.count]
            for (b, value) in item.values.prefix(binLabels.count).enumerated() {
                let v = value.isFinite && value > 0 ? value : 0
                let h = plotH * v / maxValue
                let x = left + Double(b) * groupW + groupW * 0.1 + Double(s) * barW
                out += "<rect x=\"\(coordinate(x))\" y=\"\(coordinate(top + plotH - h))\" width=\"\(coordinate(barW))\" height=\"\(coordinate(h))\" fill=\"\(color)\"/>"
            }
            out += "<rect x=\"\(coordinate(width - 110))\" y=\"\(coordinate(8 + Double(s) * 14))\" width=\"10\" height=\"10\" fill=\"\(color)\"/><text x=\"\(coordinate(width - 96))\" y=\"\(coordinate(17 + Double(s) * 14))\">\(xmlEscaped(item.name))</text>"
        }
        for (b, label) in binLabels.enumerated() {
            out += "<text x=\"\(coordinate(left + (Double(b) + 0.5) * groupW))\" y=\"\(coordinate(top + plotH + 14))\" text-anchor=\"middle\" font-size=\"9\">\(xmlEscaped(label))</text>"
        }
        return out + "</svg>"
    }
}
