// swift-tools-version: 6.2
import PackageDescription

let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Hilum",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hilum", targets: ["hilum"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "HilumCore", swiftSettings: settings),
        .target(name: "HilumOntology", dependencies: ["HilumCore"], swiftSettings: settings),
        .target(name: "HilumNLP", dependencies: ["HilumCore", "HilumOntology"], swiftSettings: settings),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "HilumLabels", dependencies: ["HilumCore", "HilumOntology", "HilumNLP", "CZlib"], swiftSettings: settings),
        .target(name: "HilumService", dependencies: ["HilumCore", "HilumOntology", "HilumNLP", "HilumLabels"], swiftSettings: settings),
        .executableTarget(
            name: "hilum",
            dependencies: [
                "HilumCore", "HilumOntology", "HilumNLP", "HilumLabels", "HilumService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings),
        .executableTarget(
            name: "HilumBench",
            dependencies: ["HilumCore", "HilumOntology", "HilumNLP", "HilumLabels", "HilumService"],
            swiftSettings: settings),
        .testTarget(name: "HilumOntologyTests", dependencies: ["HilumOntology"], swiftSettings: settings),
        .testTarget(name: "HilumNLPTests", dependencies: ["HilumNLP", "HilumOntology", "HilumCore"], swiftSettings: settings),
        .testTarget(name: "HilumLabelsTests", dependencies: ["HilumLabels", "HilumNLP", "HilumOntology"], swiftSettings: settings),
        .testTarget(name: "HilumServiceTests", dependencies: ["HilumService", "HilumOntology"], swiftSettings: settings),
    ]
)
