// swift-tools-version:6.0
import PackageDescription

// LossKit has no unsafeFlags in any target, so it can be used as a dependency.
// For the fastest kernels, applications should build in release mode for their CPU, e.g.
//   swift build -c release -Xswiftc -target-cpu -Xswiftc native
// (see README, "Build flags").
let package = Package(
    name: "LossKit",
    products: [
        .library(name: "LossKit", targets: ["LossKit"]),
        .library(name: "LossKitDatasets", targets: ["LossKitDatasets"]),
        .library(name: "LossKitDrift", targets: ["LossKitDrift"]),
        .library(name: "LossKitDifferentiation", targets: ["LossKitDifferentiation"]),
        .executable(name: "losskit", targets: ["losskit"]),
        .executable(name: "losskit-bench", targets: ["losskit-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "LossKit",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")]
        ),
        .target(
            name: "LossKitCLI",
            dependencies: [
                "LossKit",
                "LossKitDifferentiation",  // `eval --autodiff`; its files are empty where _Differentiation is missing
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Swift's automatic differentiation for LossKit; the only target importing _Differentiation.
        .target(name: "LossKitDifferentiation", dependencies: ["LossKit"]),
        .target(name: "LossKitDatasets", resources: [.copy("Resources")]),
        .target(name: "LossKitCharts"),
        .target(name: "LossKitDrift", dependencies: ["LossKit"]),
        .executableTarget(name: "losskit", dependencies: ["LossKitCLI"]),
        .executableTarget(name: "losskit-bench", dependencies: ["LossKit", "LossKitDifferentiation"]),
        .testTarget(
            name: "LossKitTests",
            dependencies: ["LossKit", "LossKitCLI"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "LossKitDifferentiationTests", dependencies: ["LossKitDifferentiation"], exclude: ["Fixtures"]),
        .testTarget(name: "LossKitDatasetsTests", dependencies: ["LossKitDatasets"]),
        .testTarget(name: "LossKitChartsTests", dependencies: ["LossKitCharts"]),
        .testTarget(
            name: "DriftIOTests",
            dependencies: ["LossKitCLI"]
        ),
        .testTarget(
            name: "LossKitDriftTests",
            dependencies: ["LossKitDrift"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
