import Foundation
import Prometheus

/// The standard `process_*` gauges, read from `/proc/self` at scrape time.
struct ProcessMetrics: Sendable {
    private let cpuSeconds: Gauge
    private let residentBytes: Gauge
    private let virtualBytes: Gauge
    private let openFDs: Gauge
    private let startTime: Gauge

    init(registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: unit, helpText: help))
        }
        cpuSeconds = gauge("process_cpu", "seconds_total", "User and system CPU time spent in seconds.")
        residentBytes = gauge("process_resident_memory", "bytes", "Resident memory size in bytes.")
        virtualBytes = gauge("process_virtual_memory", "bytes", "Virtual memory size in bytes.")
        openFDs = gauge("process_open", "fds", "Number of open file descriptors.")
        startTime = gauge("process_start_time", "seconds", "Start time of the process since unix epoch in seconds.")
    }

    func update() {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let afterName = stat.range(of: ") ", options: .backwards)
        else { return }
        // Fields after the parenthesised command name start at field 3 (state).
        let fields = stat[afterName.upperBound...].split(separator: " ")
        func field(_ number: Int) -> Double { fields.count > number - 3 ? Double(fields[number - 3]) ?? 0 : 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        cpuSeconds.set((field(14) + field(15)) / ticks)
        virtualBytes.set(field(23))
        residentBytes.set(field(24) * pageSize)
        if let bootTime = Self.bootTime() { startTime.set(bootTime + field(22) / ticks) }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            openFDs.set(Double(descriptors.count))
        }
    }

    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("btime ") }
            .flatMap { Double($0.dropFirst("btime ".count)) }
    }
}
