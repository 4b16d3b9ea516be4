// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

/// Debug builds on Linux link with lld, which links the test bundle in well under half the time of the
/// default gold; release builds (the images) keep the toolchain's default.
let linkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld"], .when(platforms: [.linux], configuration: .debug))
]

func service(_ product: String, target: String) -> [Target] {
    // The web app renders its pages from templates shipped as resources.
    let web = product == "web-api"
    return [
        .executableTarget(
            name: target,
            dependencies: (web ? [.product(name: "Mustache", package: "swift-mustache")] : []) + [
                "PorterKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/\(product)",
            resources: web ? [.copy("Resources")] : [],
            swiftSettings: swiftSettings,
            linkerSettings: linkerSettings
        )
    ]
}

let services: [(product: String, target: String)] = [
    ("webhook-gateway", "WebhookGateway"),
    ("dispatcher", "Dispatcher"),
    ("callback-receiver", "CallbackReceiver"),
    ("watchdog", "Watchdog"),
    ("web-api", "WebAPI"),
]

let package = Package(
    name: "porter",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PorterKit", targets: ["PorterKit"]),
        .library(name: "PorterEmulators", targets: ["PorterEmulators"]),
        .executable(name: "porter-emulator", targets: ["PorterEmulator"]),
        .executable(name: "porter-bench", targets: ["PorterBench"]),
        .executable(name: "porter-reference-server", targets: ["ReferenceServer"]),
    ] + services.map { .executable(name: $0.product, targets: [$0.target]) },
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.0"),
    ],
    targets: [
        .target(
            name: "PorterKit",
            dependencies: [
                "CPorterSpawn",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Shared/PorterKit",
            swiftSettings: swiftSettings,
            plugins: ["RedactionPatterns"]
        ),
        // `Redactor.patterns`, generated from deploy/worker/redaction-patterns.txt: the worker's list.
        .executableTarget(name: "porter-redaction-patterns", path: "Plugins/RedactionPatternsTool"),
        .plugin(
            name: "RedactionPatterns",
            capability: .buildTool(),
            dependencies: ["porter-redaction-patterns"],
            path: "Plugins/RedactionPatterns"
        ),
        .target(name: "CPorterSpawn", path: "Shared/CPorterSpawn"),
        .target(
            name: "PorterProcess",
            dependencies: ["CPorterSpawn"],
            path: "Shared/PorterProcess",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PorterEmulators",
            dependencies: [
                "PorterProcess",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Shared/PorterEmulators",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "PorterEmulator",
            dependencies: [
                "PorterEmulators",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/porter-emulator",
            swiftSettings: swiftSettings,
            linkerSettings: linkerSettings
        ),
        .executableTarget(
            name: "PorterBench",
            dependencies: [
                "PorterKit",
                "PorterEmulators",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "benchmarks/PorterBench",
            swiftSettings: swiftSettings,
            linkerSettings: linkerSettings
        ),
        // The stack alone (Hummingbird, postgres-nio, service-lifecycle): benchmarks/service-runtime's
        // reference for a service's start time and idle memory.
        .executableTarget(
            name: "ReferenceServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "benchmarks/ReferenceServer",
            swiftSettings: swiftSettings,
            linkerSettings: linkerSettings
        ),
        .target(
            name: "PorterTestSupport",
            dependencies: [
                "PorterKit",
                "PorterProcess",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/PorterTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorterKitTests",
            dependencies: [
                "PorterKit",
                "PorterEmulators",
                "PorterTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/PorterKitTests",
            swiftSettings: swiftSettings,
            linkerSettings: linkerSettings
        ),
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "PorterKit",
                "PorterEmulators",
                "PorterTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                "WebhookGateway", "Dispatcher", "CallbackReceiver", "Watchdog", "WebAPI",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/ServiceTests",
            swiftSettings: swiftSettings,
            linkerSettings: linkerSettings
        ),
        .testTarget(
            name: "ClientContractTests",
            dependencies: [
                "PorterKit",
                "PorterEmulators",
                "PorterProcess",
                "PorterTestSupport",
                // The dispatcher and callback-receiver are built by the binaries' own functions.
                "Dispatcher", "CallbackReceiver",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/ClientContractTests",
            swiftSettings: swiftSettings,
            linkerSettings: linkerSettings
        ),
    ] + services.flatMap { service($0.product, target: $0.target) },
    swiftLanguageModes: [.v6]
)
