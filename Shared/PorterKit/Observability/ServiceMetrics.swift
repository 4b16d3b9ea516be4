import Prometheus

/// One Prometheus registry per process, with helpers that name metrics `porter_<service>_<thing>_<unit>`.
public struct ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let service: String
    private let process: ProcessMetrics

    public init(service: String, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.service = service
        self.process = ProcessMetrics(registry: registry)
    }

    /// `porter_<service>_<thing>_<unit>`, with the service name's dashes made underscores.
    public func name(_ thing: String, unit: String) -> String { descriptor(thing, unit: unit, help: "").name }

    /// A counter named `porter_<service>_<thing>_total`.
    public func counter(_ thing: String, help: String, labels: [(String, String)] = []) -> Counter {
        registry.makeCounter(descriptor: descriptor(thing, unit: "total", help: help), labels: labels)
    }

    public func gauge(_ thing: String, unit: String, help: String, labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: descriptor(thing, unit: unit, help: help), labels: labels)
    }

    /// A latency histogram named `porter_<service>_<thing>_seconds`, with buckets from 1 ms to 30 s.
    public func histogram(_ thing: String, help: String, labels: [(String, String)] = []) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: descriptor(thing, unit: "seconds", help: help), labels: labels, buckets: Self.latencyBuckets)
    }

    private func descriptor(_ thing: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "porter", subsystem: service.replacingOccurrences(of: "-", with: "_"), metricName: thing,
            unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition of every metric, with process metrics read fresh.
    public func render() -> String {
        process.update()
        return registry.emitToString()
    }

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]
}
