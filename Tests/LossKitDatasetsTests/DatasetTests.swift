import Testing
@testable import LossKitDatasets

/// Expected shapes and checksums are those scripts/extract_datasets.py wrote into datasets.json.
@Suite struct DatasetTests {
    @Test(arguments: ["digits", "breast_cancer", "diabetes", "wine", "iris"])
    func payloadChecksumsMatchTheManifest(name: String) throws {
        let manifest = try Manifest.shared()
        let entry = try #require(manifest.datasets.first { $0.name == name })
        for array in [entry.features, entry.target, entry.split] {
            #expect(try ResourceArray.load(array).fnv1a64 == array.fnv1a64, "\(array.file)")
        }
    }

    @Test func shapesSplitsAndNames() throws {
        let expected: [(Dataset, Int, Int, Int)] = [
            (try Dataset.digits, 1797, 64, 10), (try Dataset.breastCancer, 569, 30, 2),
            (try Dataset.diabetes, 442, 10, 0), (try Dataset.wine, 178, 13, 3), (try Dataset.iris, 150, 4, 3),
        ]
        for (d, rows, columns, classes) in expected {
            #expect(d.rows == rows && d.columns == columns && d.features.count == rows * columns, "\(d.name)")
            #expect(d.featureNames.count == columns && d.target.count == rows)
            #expect((d.targetNames?.count ?? 0) == classes)
            // 25 % test as train_test_split rounds it: ceil(0.25 * n).
            #expect(d.testRows.count == Int((Double(rows) * 0.25).rounded(.up)), "\(d.name)")
            #expect(d.testRows.count + d.trainRows.count == rows)
        }
        let cancer = try Dataset.breastCancer
        #expect(cancer.featureNames.first == "mean radius")
        #expect(cancer.features[0] == Float(17.99))  // first row of breast_cancer.csv
        #expect(try Dataset.diabetes.column(0).prefix(3) == [59, 48, 72])  // ages, diabetes_data_raw.csv.gz
    }

    @Test func unknownNameIsATypedError() {
        #expect(throws: DatasetError.self) { try Dataset.load("mnist") }
    }
}

@Suite struct DriftDemoTests {
    /// Row counts and means from numpy on diabetes.features.npy (age < 50: 214, ≥ 50: 228).
    @Test func splitByAge() throws {
        let (reference, current) = try DriftDemo.tables()
        #expect(reference.rows == 214 && current.rows == 228)
        #expect(reference.columnNames.count == 11 && reference.columnNames.last == "progression")
        #expect(reference.columns[0].allSatisfy { $0 < 50 } && current.columns[0].allSatisfy { $0 >= 50 })
        let mean = { (v: [Double]) in v.reduce(0, +) / Double(v.count) }
        #expect(abs(mean(reference.columns[0]) - 37.37) < 0.01 && abs(mean(current.columns[0]) - 58.98) < 0.01)
    }
}
