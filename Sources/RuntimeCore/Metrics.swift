import FoundationEssentials
import Glibc
import Synchronization

/// The `# TYPE` of a metric family.
public enum MetricType: String, Sendable {
    case counter, gauge, histogram, untyped
}

/// One sample line of a family: `name+suffix{labels} value`.
public struct MetricSample: Sendable {
    /// Appended to the family name, e.g. `_bucket`; usually empty.
    public var suffix: String
    /// Label pairs in output order.
    public var labels: [(name: String, value: String)]
    /// The sample value.
    public var value: Double

    /// Creates a sample.
    public init(suffix: String = "", labels: [(name: String, value: String)] = [], value: Double) {
        self.suffix = suffix
        self.labels = labels
        self.value = value
    }
}

/// A metric family as produced at scrape time, by the registry's own metrics or by a collector callback.
public struct MetricFamilySample: Sendable {
    /// The family name.
    public var name: String
    /// The `# HELP` text.
    public var help: String
    /// The `# TYPE`.
    public var type: MetricType
    /// The samples, in output order.
    public var samples: [MetricSample]

    /// Creates a family.
    public init(name: String, help: String, type: MetricType, samples: [MetricSample]) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }
}

/// A set of metrics rendered together in the Prometheus text exposition format 0.0.4.
///
/// Asking for a name twice returns the existing metric; asking with a different type or label names is a
/// programming error and traps, as are invalid metric or label names.
public final class MetricsRegistry: Sendable {
    private enum Metric: Sendable {
        case counter(Counter), gauge(Gauge), histogram(Histogram)

        var type: MetricType {
            switch self {
            case .counter: return .counter
            case .gauge: return .gauge
            case .histogram: return .histogram
            }
        }

        func collect() -> MetricFamilySample {
            switch self {
            case .counter(let c): return c.series.collect(name: c.name, help: c.help, type: .counter)
            case .gauge(let g): return g.series.collect(name: g.name, help: g.help, type: .gauge)
            case .histogram(let h): return h.collect()
            }
        }
    }

    private struct State {
        var metrics: [String: (metric: Metric, labelNames: [String])] = [:]
        var collectors: [@Sendable () -> [MetricFamilySample]] = []
    }

    private let state = Mutex(State())

    /// An empty registry.
    public init() {}

    /// The counter called `name`, created on first use.
    public func counter(_ name: String, help: String, labelNames: [String] = []) -> Counter {
        let m = metric(name, labelNames: labelNames, type: .counter) {
            .counter(Counter(name: name, help: help, labelNames: labelNames))
        }
        guard case .counter(let c) = m else { preconditionFailure("unreachable") }
        return c
    }

    /// The gauge called `name`, created on first use.
    public func gauge(_ name: String, help: String, labelNames: [String] = []) -> Gauge {
        let m = metric(name, labelNames: labelNames, type: .gauge) {
            .gauge(Gauge(name: name, help: help, labelNames: labelNames))
        }
        guard case .gauge(let g) = m else { preconditionFailure("unreachable") }
        return g
    }

    /// The histogram called `name`, created on first use. `buckets` are upper bounds, strictly increasing;
    /// `+Inf` is implied.
    public func histogram(_ name: String, help: String, labelNames: [String] = [],
                          buckets: [Double] = Histogram.defaultBuckets) -> Histogram
    {
        precondition(!labelNames.contains("le"), "histogram \(name) cannot use the label name 'le'")
        let m = metric(name, labelNames: labelNames, type: .histogram) {
            .histogram(Histogram(name: name, help: help, labelNames: labelNames, buckets: buckets))
        }
        guard case .histogram(let h) = m else { preconditionFailure("unreachable") }
        return h
    }

    /// Adds a callback evaluated at every scrape (outside the registry lock), e.g. for process metrics.
    public func register(collector: @escaping @Sendable () -> [MetricFamilySample]) {
        state.withLock { $0.collectors.append(collector) }
    }

    /// The full text exposition, families sorted by name. A name may appear only once in the format, so a
    /// collector family that repeats an earlier name (a registered metric, or an earlier collector's, e.g.
    /// after registering ``ProcessMetrics`` twice) is dropped.
    public func exposition() -> String {
        let (metrics, collectors) = state.withLock { ($0.metrics.values.map(\.metric), $0.collectors) }
        var families: [String: MetricFamilySample] = [:]
        for metric in metrics {
            let family = metric.collect()
            families[family.name] = family
        }
        for collector in collectors {
            for family in collector() where families[family.name] == nil { families[family.name] = family }
        }
        var out = ""
        out.reserveCapacity(families.count * 256)
        for name in families.keys.sorted() { MetricsText.write(families[name]!, to: &out) }
        return out
    }

    private func metric(_ name: String, labelNames: [String], type: MetricType,
                        make: () -> Metric) -> Metric
    {
        precondition(MetricsText.isValidMetricName(name), "invalid metric name \"\(name)\"")
        for label in labelNames {
            precondition(MetricsText.isValidLabelName(label), "invalid label name \"\(label)\" for metric \(name)")
        }
        precondition(Set(labelNames).count == labelNames.count, "duplicate label names for metric \(name)")
        return state.withLock { state in
            if let existing = state.metrics[name] {
                precondition(existing.metric.type == type,
                             "metric \(name) is already registered as a \(existing.metric.type.rawValue)")
                precondition(existing.labelNames == labelNames,
                             "metric \(name) is already registered with labels \(existing.labelNames)")
                return existing.metric
            }
            let m = make()
            state.metrics[name] = (m, labelNames)
            return m
        }
    }
}

/// Per-label-set values of one metric. Label values are positional, matching `labelNames`; a count
/// mismatch is a programming error and traps.
final class MetricSeries<Value: Sendable>: Sendable {
    let labelNames: [String]
    private let values: Mutex<[[String]: Value]>

    /// A metric without labels has its single series from the start, so it is exported as 0 right away.
    init(labelNames: [String], initial: Value) {
        self.labelNames = labelNames
        values = Mutex(labelNames.isEmpty ? [[]: initial] : [:])
    }

    func check(_ labels: [String]) {
        precondition(labels.count == labelNames.count,
                     "expected \(labelNames.count) label values \(labelNames), got \(labels.count)")
    }

    func update(_ labels: [String], initial: Value, _ body: (inout Value) -> Void) {
        check(labels)
        values.withLock { body(&$0[labels, default: initial]) }
    }

    func get(_ labels: [String]) -> Value? {
        check(labels)
        return values.withLock { $0[labels] }
    }

    func remove(_ labels: [String]) {
        check(labels)
        _ = values.withLock { $0.removeValue(forKey: labels) }
    }

    /// Series sorted by label values, so output is stable between scrapes.
    func snapshot() -> [(labels: [(name: String, value: String)], value: Value)] {
        let all = values.withLock { Array($0) }
        return all.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { entry in
            (Array(zip(labelNames, entry.key)).map { (name: $0.0, value: $0.1) }, entry.value)
        }
    }
}

extension MetricSeries where Value == Double {
    func collect(name: String, help: String, type: MetricType) -> MetricFamilySample {
        MetricFamilySample(name: name, help: help, type: type,
                           samples: snapshot().map { MetricSample(labels: $0.labels, value: $0.value) })
    }
}

/// A value that only goes up (requests served, bytes sent).
public final class Counter: Sendable {
    /// The metric name.
    public let name: String
    /// The `# HELP` text.
    public let help: String
    let series: MetricSeries<Double>

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        series = MetricSeries(labelNames: labelNames, initial: 0)
    }

    /// Adds `by`. Negative or NaN increments are ignored: a counter never goes down.
    public func inc(_ by: Double = 1, labels: [String] = []) {
        guard by >= 0 else { series.check(labels); return }
        series.update(labels, initial: 0) { $0 += by }
    }

    /// The current value (0 for a label set never seen).
    public func value(labels: [String] = []) -> Double { series.get(labels) ?? 0 }

    /// Stops exporting the series for `labels` (e.g. when the object it describes is deleted).
    public func remove(labels: [String] = []) { series.remove(labels) }
}

/// A value that goes up and down (queue length, live sessions).
public final class Gauge: Sendable {
    /// The metric name.
    public let name: String
    /// The `# HELP` text.
    public let help: String
    let series: MetricSeries<Double>

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        series = MetricSeries(labelNames: labelNames, initial: 0)
    }

    /// Sets the value.
    public func set(_ value: Double, labels: [String] = []) { series.update(labels, initial: 0) { $0 = value } }
    /// Adds `by`.
    public func inc(_ by: Double = 1, labels: [String] = []) { series.update(labels, initial: 0) { $0 += by } }
    /// Subtracts `by`.
    public func dec(_ by: Double = 1, labels: [String] = []) { series.update(labels, initial: 0) { $0 -= by } }
    /// The current value (0 for a label set never seen).
    public func value(labels: [String] = []) -> Double { series.get(labels) ?? 0 }
    /// Stops exporting the series for `labels`.
    public func remove(labels: [String] = []) { series.remove(labels) }
}

/// Observations counted into cumulative buckets (latencies, sizes).
public final class Histogram: Sendable {
    /// Prometheus' default latency buckets, in seconds.
    public static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Data: Sendable {
        /// Non-cumulative counts; the last slot is the `+Inf` bucket.
        var buckets: [UInt64]
        var sum = 0.0
        var count: UInt64 = 0
    }

    /// The metric name.
    public let name: String
    /// The `# HELP` text.
    public let help: String
    /// Finite upper bounds, strictly increasing.
    public let upperBounds: [Double]
    let series: MetricSeries<Data>
    private let empty: Data

    init(name: String, help: String, labelNames: [String], buckets: [Double]) {
        var bounds = buckets
        if bounds.last == .infinity { bounds.removeLast() }
        precondition(!bounds.isEmpty, "histogram \(name) needs at least one finite bucket")
        precondition(bounds.allSatisfy(\.isFinite), "histogram \(name) has a non-finite bucket")
        precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 },
                     "histogram \(name) buckets must be strictly increasing")
        self.name = name
        self.help = help
        upperBounds = bounds
        empty = Data(buckets: Array(repeating: 0, count: bounds.count + 1))
        series = MetricSeries(labelNames: labelNames, initial: empty)
    }

    /// Records one observation.
    public func observe(_ v: Double, labels: [String] = []) {
        // Binary search for the first bound >= v; NaN lands in +Inf, as in the Go client.
        var lo = 0, hi = upperBounds.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if v <= upperBounds[mid] { hi = mid } else { lo = mid + 1 }
        }
        series.update(labels, initial: empty) {
            $0.buckets[lo] += 1
            $0.sum += v
            $0.count += 1
        }
    }

    /// Number of observations.
    public func count(labels: [String] = []) -> Int { Int(series.get(labels)?.count ?? 0) }
    /// Sum of observations.
    public func sum(labels: [String] = []) -> Double { series.get(labels)?.sum ?? 0 }
    /// Cumulative counts per bucket, aligned with ``upperBounds`` plus a final `+Inf` entry.
    public func cumulativeCounts(labels: [String] = []) -> [Int] {
        let data = series.get(labels) ?? empty
        var total = 0
        return data.buckets.map { total += Int($0); return total }
    }
    /// Stops exporting the series for `labels`.
    public func remove(labels: [String] = []) { series.remove(labels) }

    func collect() -> MetricFamilySample {
        var samples: [MetricSample] = []
        for (labels, data) in series.snapshot() {
            var cumulative: UInt64 = 0
            for (i, n) in data.buckets.enumerated() {
                cumulative += n
                let le = i < upperBounds.count ? MetricsText.format(upperBounds[i]) : "+Inf"
                samples.append(MetricSample(suffix: "_bucket", labels: labels + [(name: "le", value: le)],
                                            value: Double(cumulative)))
            }
            samples.append(MetricSample(suffix: "_sum", labels: labels, value: data.sum))
            samples.append(MetricSample(suffix: "_count", labels: labels, value: Double(data.count)))
        }
        return MetricFamilySample(name: name, help: help, type: .histogram, samples: samples)
    }
}

// MARK: Text format

/// Rendering and naming rules of the Prometheus text format 0.0.4.
enum MetricsText {
    static func write(_ family: MetricFamilySample, to out: inout String) {
        out += "# HELP " + family.name + " " + escape(family.help, quotes: false) + "\n"
        out += "# TYPE " + family.name + " " + family.type.rawValue + "\n"
        for sample in family.samples {
            out += family.name + sample.suffix
            if !sample.labels.isEmpty {
                out += "{"
                for (i, label) in sample.labels.enumerated() {
                    if i > 0 { out += "," }
                    out += label.name + "=\"" + escape(label.value, quotes: true) + "\""
                }
                out += "}"
            }
            out += " " + format(sample.value) + "\n"
        }
    }

    /// HELP escapes backslash and newline; label values also escape the double quote.
    static func escape(_ s: String, quotes: Bool) -> String {
        guard s.utf8.contains(where: { $0 == 0x5C || $0 == 0x0A || (quotes && $0 == 0x22) }) else { return s }
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quotes: out += "\\\""
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Integers without a fraction, `+Inf`/`-Inf`/`NaN`, otherwise the shortest round-tripping form.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v.rounded() == v && abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !isDigit(first) else { return false }
        return name.utf8.allSatisfy { isNameByte($0) || $0 == UInt8(ascii: ":") }
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved `__`.
    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !isDigit(first), !name.hasPrefix("__") else { return false }
        return name.utf8.allSatisfy(isNameByte)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private static func isNameByte(_ c: UInt8) -> Bool {
        isDigit(c) || c == UInt8(ascii: "_") || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
            || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }
}

// MARK: Process metrics

/// The standard `process_*` metrics, read from /proc at scrape time.
public enum ProcessMetrics {
    /// Registers a collector exporting resident/virtual memory, CPU seconds, start time and open/max fds.
    /// Call once per registry.
    public static func register(in registry: MetricsRegistry) {
        registry.register(collector: { collect() })
    }

    /// Used when /proc cannot tell the start time: roughly when this module first ran.
    private static let fallbackStartTime = Date().timeIntervalSince1970

    static func collect() -> [MetricFamilySample] {
        var families: [MetricFamilySample] = []
        func add(_ name: String, _ help: String, _ type: MetricType, _ value: Double?) {
            guard let value else { return }
            families.append(MetricFamilySample(name: name, help: help, type: type,
                                               samples: [MetricSample(value: value)]))
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF_VALUE, &usage)
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        add("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", .counter, cpu)

        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let statm = ProcStat.readProcFile("/proc/self/statm")?.split(separator: " ").compactMap { Double($0) } ?? []
        add("process_resident_memory_bytes", "Resident memory size in bytes.", .gauge,
            statm.count > 1 ? statm[1] * pageSize : nil)
        add("process_virtual_memory_bytes", "Virtual memory size in bytes.", .gauge,
            statm.count > 0 ? statm[0] * pageSize : nil)
        add("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", .gauge,
            startTime() ?? fallbackStartTime)
        add("process_open_fds", "Number of open file descriptors.", .gauge, openFileDescriptors())
        var limit = rlimit()
        if getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur != rlim_t.max {  // RLIM_INFINITY is all ones
            add("process_max_fds", "Maximum number of open file descriptors.", .gauge, Double(limit.rlim_cur))
        }
        return families
    }

    // Glibc imports these as enums while the functions take plain integers.
    #if os(Linux)
    private static let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    private static let RUSAGE_SELF_VALUE = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
    private static let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
    private static let RUSAGE_SELF_VALUE = RUSAGE_SELF
    #endif

    /// Field 22 of /proc/self/stat (clock ticks after boot) plus `btime` from /proc/stat.
    private static func startTime() -> Double? {
        guard let stat = ProcStat.readProcFile("/proc/self/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the parenthesised command name start at field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
              let procStat = ProcStat.readProcFile("/proc/stat"),
              let line = procStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(line.dropFirst(6).trimmingWhitespace())
        else { return nil }
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        return hz > 0 ? boot + ticks / hz : nil
    }

    private static func openFileDescriptors() -> Double? {
        guard let dir = opendir("/proc/self/fd") else { return nil }
        defer { closedir(dir) }
        var n = 0
        while let entry = readdir(dir) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
            if !isDot { n += 1 }
        }
        // The directory stream itself holds one descriptor while we count.
        return Double(max(n - 1, 0))
    }
}
