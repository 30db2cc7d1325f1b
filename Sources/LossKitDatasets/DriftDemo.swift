// The data of `losskit drift --demo`: two parts of a shipped real dataset with a real
// covariate shift between them.

/// A table of named numeric columns, column-major.
public struct DemoTable: Sendable, Equatable {
    public let columnNames: [String]
    /// `columns[j]` holds column `columnNames[j]`, one value per row.
    public let columns: [[Double]]
    public var rows: Int { columns.first?.count ?? 0 }
}

/// The drift demo: the diabetes data (442 patients, unscaled) split by age.
///
/// Rule: **reference** = patients younger than 50 (214 rows), **current** = patients aged 50
/// or more (228 rows), in file order, every column kept (the ten features and the target
/// `progression`). This is the shift a model trained on a younger clinic's patients meets in
/// an older population: age itself moves (mean 37.4 → 59.0 years) and with it blood pressure
/// (90.4 → 98.7), total cholesterol s1 (182.5 → 195.3), LDL s2 and the other serum values,
/// while sex and HDL s3 barely move.
///
/// ```swift
/// let (reference, current) = try DriftDemo.tables()
/// print(reference.rows, current.rows)   // 214 228
/// ```
public enum DriftDemo {
    /// The age (years) at which the demo splits: reference `age < splitAge`, current `age ≥ splitAge`.
    public static let splitAge: Float = 50
    public static let description =
        "diabetes (442 patients, scikit-learn/Efron et al. 2004): reference = age < 50 (214 rows), current = age >= 50 (228 rows)"

    public static func tables() throws(DatasetError) -> (reference: DemoTable, current: DemoTable) {
        let data = try Dataset.diabetes
        let names = data.featureNames + ["progression"]
        let age = data.column(0)
        func table(_ keep: (Float) -> Bool) -> DemoTable {
            let rows = (0..<data.rows).filter { keep(age[$0]) }
            let columns = (0..<data.columns).map { c in rows.map { Double(data.features[$0 * data.columns + c]) } }
                + [rows.map { Double(data.target[$0]) }]
            return DemoTable(columnNames: names, columns: columns)
        }
        return (table { $0 < splitAge }, table { $0 >= splitAge })
    }

    public static var reference: DemoTable { get throws(DatasetError) { try tables().reference } }
    public static var current: DemoTable { get throws(DatasetError) { try tables().current } }
}
