// The real datasets shipped with LossKit (see DATA.md), loaded from package resources.

import Foundation

/// An error loading a shipped dataset: the package's resources are missing or damaged.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The resource file concerned.
    public let file: String
    /// What is wrong with it.
    public let reason: String
    public var description: String { "\(file): \(reason)" }
}

/// A small real dataset shipped with LossKit, with its fixed train/test split.
///
/// Features are row-major `rows × columns` (`features[r * columns + c]`); digits' pixel
/// counts 0–16 are exact in `Float`. The split is `train_test_split(test_size=0.25,
/// random_state=0)` (stratified for classification sets), committed as data.
///
/// ```swift
/// let digits = try Dataset.digits
/// print(digits.rows, digits.columns)   // 1797 64
/// let test = digits.testRows           // 450 row indices
/// ```
public struct Dataset: Sendable {
    public let name: String
    public let featureNames: [String]
    /// Class names for classification sets, `nil` for regression (diabetes).
    public let targetNames: [String]?
    public let rows: Int
    public let columns: Int
    public let features: [Float]
    /// Class index (as a whole number) or regression target, one per row.
    public let target: [Float]
    /// `true` for rows in the test split.
    public let isTest: [Bool]

    public var trainRows: [Int] { isTest.indices.filter { !isTest[$0] } }
    public var testRows: [Int] { isTest.indices.filter { isTest[$0] } }

    /// Column `c` as an array of `rows` values.
    public func column(_ c: Int) -> [Float] {
        precondition(c >= 0 && c < columns, "column index \(c) out of 0..<\(columns)")
        return (0..<rows).map { features[$0 * columns + c] }
    }

    public static var digits: Dataset { get throws(DatasetError) { try load("digits") } }
    public static var breastCancer: Dataset { get throws(DatasetError) { try load("breast_cancer") } }
    public static var diabetes: Dataset { get throws(DatasetError) { try load("diabetes") } }
    public static var wine: Dataset { get throws(DatasetError) { try load("wine") } }
    public static var iris: Dataset { get throws(DatasetError) { try load("iris") } }

    /// Loads a shipped dataset by its manifest name (`digits`, `breast_cancer`, `diabetes`,
    /// `wine`, `iris`).
    public static func load(_ name: String) throws(DatasetError) -> Dataset {
        let manifest = try Manifest.shared()
        guard let entry = manifest.datasets.first(where: { $0.name == name }) else {
            throw DatasetError(file: "datasets.json", reason: "no dataset named '\(name)'")
        }
        let features = try ResourceArray.load(entry.features).floats
        let target = try ResourceArray.load(entry.target).floats
        let split = try ResourceArray.load(entry.split).floats
        return Dataset(name: name, featureNames: entry.feature_names, targetNames: entry.target_names,
                       rows: entry.rows, columns: entry.columns, features: features,
                       target: target, isTest: split.map { $0 != 0 })
    }
}
