// swift-tools-version:6.0
import PackageDescription

// One target per concern. Only the `C…` targets touch C headers; `HTTP`, `Postgres` and `Credentials`
// are the single Swift choke points that turn C results into typed Swift errors.
let package = Package(
    name: "loket",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "loket", targets: ["loket"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C: libmicrohttpd plus a ten-line shim, because Swift cannot call the variadic MHD_start_daemon.
        .target(name: "CMicroHTTPD", linkerSettings: [.linkedLibrary("microhttpd")]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CQREncode", providers: [.apt(["libqrencode-dev"])]),
        // C: libcurl's SMTP client (Debian libcurl4-openssl-dev) and a shim, because curl_easy_setopt is variadic.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // C: espeak-ng (speech), libopus and libogg (small files browsers play), plus a shim: synthesis collects
        // samples in a C callback, and opus_encoder_ctl is variadic.
        .target(name: "CSpeech", linkerSettings: [.linkedLibrary("espeak-ng"), .linkedLibrary("opus"), .linkedLibrary("ogg")]),
        // C: glibc's posix_spawn extensions that need _GNU_SOURCE, for the embedded cluster's child processes.
        .target(name: "CEmbeddedSupport"),

        // Mutexes on heap-allocated pthread primitives, locked values and plain threads, shared by the C-facing targets.
        .target(name: "Locking"),
        // HTTP server, router, problem+json, Server-Sent Events, static files.
        .target(name: "HTTP", dependencies: ["CMicroHTTPD", "CZlib", "Locking", .product(name: "Logging", package: "swift-log")]),
        // PostgreSQL client: connections, pool, bound queries, LISTEN/NOTIFY, migrations.
        .target(name: "Postgres", dependencies: ["CLibPQ", "Locking", "Time", .product(name: "Logging", package: "swift-log")]),
        // The private PostgreSQL cluster `loket` runs when no database is configured: layout, binaries, child
        // processes (as `postgres` when root), crash recovery. Talks to the server through `Postgres`.
        .target(name: "EmbeddedPostgres", dependencies: ["Postgres", "CEmbeddedSupport", .product(name: "Logging", package: "swift-log")]),
        // Password hashing (Argon2id), tokens and digests, via libsodium.
        .target(name: "Credentials", dependencies: ["CSodium"]),
        // QR codes as SVG via libqrencode (printed tickets link to the phone status page).
        .target(name: "QRCode", dependencies: ["CQREncode"]),
        // Speech: espeak-ng behind one lock, Ogg Opus files, and their cache on disk.
        .target(name: "Speech", dependencies: ["CSpeech", "Locking", "Credentials"]),
        // Instants as integers and the one clock the application reads "now" from (pure, no Foundation).
        .target(name: "Time"),
        // iCalendar (RFC 5545) files: content lines, escaping, folding, the EU summer-time rule (pure, no Foundation).
        .target(name: "ICalendar", dependencies: ["Time"]),
        // E-mail: MIME messages (pure) and the SMTP client over libcurl, turning CURLcodes into typed SMTPErrors.
        .target(name: "Mail", dependencies: ["CCurl", "Time"]),
        // Pure domain logic of the walk-in queue: no I/O.
        .target(name: "Queue"),
        // Pure slot search for joint appointments (bipartite matching of staff, rooms) and Dutch public holidays: no I/O.
        .target(name: "Scheduling", dependencies: ["Time"]),
        // In-process benchmark of the slot search: `swift build -c release --product loket-bench-search`.
        .executableTarget(name: "loket-bench-search", dependencies: ["Scheduling", "Time"], path: "Sources/SearchBench"),
        // Report formatting: CSV (RFC 4180) and server-rendered SVG bar charts (pure, no Foundation).
        .target(name: "ReportFormat"),
        // The numbered SQL migrations and the repeatable functions, compiled into the binary so a deployed `loket` is
        // self-contained.
        .target(name: "Migrations", path: "Migrations", resources: [.embedInCode("sql"), .embedInCode("functions")]),
        // HTTP handlers of the public API, SQL of the domain, demo data, OpenAPI document.
        .target(
            name: "API",
            dependencies: ["HTTP", "Postgres", "Locking", "Queue", "Scheduling", "Time", "Credentials", "Migrations", "QRCode", "ICalendar", "Mail", "Speech", "ReportFormat",
                           .product(name: "Logging", package: "swift-log")],
            resources: [.embedInCode("SQL"), .embedInCode("MailTexts")]
        ),
        .executableTarget(
            name: "loket",
            dependencies: ["API", "HTTP", "Postgres", "EmbeddedPostgres",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")]
        ),

        // Tests use XCTest's class-based fixtures, which predate strict concurrency checking: Swift 5 mode there only.
        .target(name: "TestSupport", dependencies: ["API", "HTTP", "Postgres", "EmbeddedPostgres", "Locking"], path: "Tests/TestSupport",
                swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "QueueTests", dependencies: ["Queue"]),
        .testTarget(name: "TimeTests", dependencies: ["Time"]),
        .testTarget(name: "ICalendarTests", dependencies: ["ICalendar", "Time"]),
        .testTarget(name: "MailTests", dependencies: ["Mail", "Time"]),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "Time"]),
        .testTarget(name: "ReportFormatTests", dependencies: ["ReportFormat"]),
        .testTarget(name: "LoketTests", dependencies: ["TestSupport", "API", "HTTP", "Postgres", "EmbeddedPostgres", "Locking", "Queue", "Credentials", "QRCode", "Mail", "Speech", "loket"],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
