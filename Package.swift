// swift-tools-version: 6.2
import PackageDescription
import Foundation

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
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(name: "HilumCore", swiftSettings: settings),
        .target(name: "HilumOntology", dependencies: ["HilumCore"], swiftSettings: settings),
        .target(name: "HilumNLP", dependencies: ["HilumCore", "HilumOntology"], swiftSettings: settings),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .target(name: "CHilumXML", dependencies: ["CLibXML2"],
                linkerSettings: [.linkedLibrary("xml2")]),
        .target(name: "HilumLabels", dependencies: ["HilumCore", "HilumOntology", "HilumNLP", "CZlib", "CHilumXML"], swiftSettings: settings),
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .target(name: "CHilumPNG", dependencies: ["CLibPNG"], linkerSettings: [.linkedLibrary("png16")]),
        .target(name: "CHilumIO"),
        .target(name: "HilumScene", dependencies: ["HilumCore", "HilumOntology", "HilumNLP", "CHilumPNG"], swiftSettings: settings),
        .target(
            name: "HilumStore",
            dependencies: ["HilumCore", "HilumOntology", "HilumNLP", "HilumLabels", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: settings),
        .target(name: "HilumService", dependencies: ["HilumCore", "HilumOntology", "HilumNLP", "HilumLabels", "HilumScene", "HilumStore"], swiftSettings: settings),
        .target(
            name: "HilumHTTP",
            dependencies: ["HilumCore", "HilumService", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdCore", package: "hummingbird"),
                           .product(name: "NIOPosix", package: "swift-nio")],
            exclude: ["Workbench"],
            swiftSettings: settings),
        .executableTarget(
            name: "hilum",
            dependencies: [
                "HilumCore", "HilumOntology", "HilumNLP", "HilumLabels", "HilumScene", "HilumService", "HilumStore", "HilumHTTP", "CHilumIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings),
        .executableTarget(
            name: "HilumBench",
            dependencies: ["HilumCore", "HilumOntology", "HilumNLP", "HilumLabels", "HilumScene", "HilumService"],
            swiftSettings: settings),
        .testTarget(name: "HilumOntologyTests", dependencies: ["HilumOntology"], swiftSettings: settings),
        .testTarget(name: "HilumNLPTests", dependencies: ["HilumNLP", "HilumOntology", "HilumCore"], swiftSettings: settings),
        .testTarget(name: "HilumLabelsTests", dependencies: ["HilumLabels", "HilumNLP", "HilumOntology"], swiftSettings: settings),
        .testTarget(name: "HilumSceneTests", dependencies: ["HilumScene", "HilumNLP", "HilumOntology", "HilumCore"], swiftSettings: settings),
        .testTarget(name: "HilumServiceTests", dependencies: ["HilumService", "HilumOntology", "HilumStore", "HilumHTTP",
                                                       .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: settings),
    ]
)

// libFuzzer targets (Tools/fuzz.sh): only with HILUM_FUZZ=1, since the binary has no main of its own.
if ProcessInfo.processInfo.environment["HILUM_FUZZ"] != nil {
    package.targets.append(.executableTarget(
        name: "HilumFuzz",
        dependencies: ["HilumCore", "HilumOntology", "HilumNLP", "HilumLabels", "HilumScene", "HilumService"],
        swiftSettings: settings + [.unsafeFlags(["-parse-as-library"])]))
}
