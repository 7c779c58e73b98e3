import Foundation
import Synchronization
import XCTest
@testable import RuntimeCore

final class MetricsTests: XCTestCase {
    func testCounterExposition() {
        let registry = MetricsRegistry()
        let plain = registry.counter("jobs_total", help: "Jobs run.")
        let labelled = registry.counter("http_requests_total", help: "Requests.", labelNames: ["method", "code"])
        plain.inc()
        plain.inc(2.5)
        labelled.inc(labels: ["GET", "200"])
        labelled.inc(3, labels: ["GET", "200"])
        labelled.inc(labels: ["POST", "500"])
        XCTAssertEqual(plain.value(), 3.5)
        XCTAssertEqual(labelled.value(labels: ["GET", "200"]), 4)
        XCTAssertEqual(labelled.value(labels: ["PUT", "200"]), 0)
        XCTAssertEqual(registry.exposition(), """
            # HELP http_requests_total Requests.
            # TYPE http_requests_total counter
            http_requests_total{method="GET",code="200"} 4
            http_requests_total{method="POST",code="500"} 1
            # HELP jobs_total Jobs run.
            # TYPE jobs_total counter
            jobs_total 3.5

            """)
    }

    func testUnlabelledMetricsAreExportedAtZeroAndLabelledOnesOnFirstUse() {
        let registry = MetricsRegistry()
        _ = registry.counter("a_total", help: "A.")
        _ = registry.gauge("b", help: "B.", labelNames: ["x"])
        XCTAssertEqual(registry.exposition(), "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n# HELP b B.\n# TYPE b gauge\n")
    }

    func testCountersNeverGoDown() {
        let c = MetricsRegistry().counter("c_total", help: "C.")
        c.inc(5)
        c.inc(-3)
        c.inc(.nan)
        XCTAssertEqual(c.value(), 5)
    }

    func testGauge() {
        let registry = MetricsRegistry()
        let g = registry.gauge("sessions", help: "Live sessions.", labelNames: ["agent"])
        g.set(10, labels: ["claude"])
        g.inc(labels: ["claude"])
        g.dec(4, labels: ["claude"])
        g.dec(labels: ["codex"])
        XCTAssertEqual(g.value(labels: ["claude"]), 7)
        XCTAssertEqual(g.value(labels: ["codex"]), -1)
        g.remove(labels: ["claude"])
        XCTAssertEqual(g.value(labels: ["claude"]), 0)
        XCTAssertEqual(registry.exposition(), """
            # HELP sessions Live sessions.
            # TYPE sessions gauge
            sessions{agent="codex"} -1

            """)
    }

    func testEscaping() {
        let registry = MetricsRegistry()
        let g = registry.gauge("esc", help: "Help with \\ and\nnewline and \"quotes\".", labelNames: ["path"])
        g.set(1, labels: ["C:\\dir\n\"q\""])
        XCTAssertEqual(registry.exposition(), #"""
            # HELP esc Help with \\ and\nnewline and "quotes".
            # TYPE esc gauge
            esc{path="C:\\dir\n\"q\""} 1

            """#)
    }

    func testNumberFormatting() {
        XCTAssertEqual(MetricsText.format(1), "1")
        XCTAssertEqual(MetricsText.format(-0.0), "0")
        XCTAssertEqual(MetricsText.format(0.005), "0.005")
        XCTAssertEqual(MetricsText.format(2.5), "2.5")
        XCTAssertEqual(MetricsText.format(1e-7), "1e-07")
        XCTAssertEqual(MetricsText.format(1.5e20), "1.5e+20")
        XCTAssertEqual(MetricsText.format(.infinity), "+Inf")
        XCTAssertEqual(MetricsText.format(-.infinity), "-Inf")
        XCTAssertEqual(MetricsText.format(.nan), "NaN")
        let g = MetricsRegistry().gauge("g", help: "G.")
        g.set(.infinity)
        XCTAssertEqual(g.series.collect(name: "g", help: "G.", type: .gauge).samples.first?.value, .infinity)
    }

    func testHistogramBucketMath() {
        let registry = MetricsRegistry()
        let h = registry.histogram("latency_seconds", help: "Latency.", labelNames: ["route"], buckets: [0.1, 1, 5])
        for v in [0.05, 0.1, 0.3, 1, 4.9, 7, 100] { h.observe(v, labels: ["/a"]) }
        XCTAssertEqual(h.count(labels: ["/a"]), 7)
        XCTAssertEqual(h.sum(labels: ["/a"]), 113.35, accuracy: 1e-9)
        XCTAssertEqual(h.cumulativeCounts(labels: ["/a"]), [2, 4, 5, 7], "bounds are inclusive (le)")
        XCTAssertEqual(h.cumulativeCounts(labels: ["/none"]), [0, 0, 0, 0])
        h.observe(0.5, labels: ["/b"])
        XCTAssertEqual(registry.exposition(), """
            # HELP latency_seconds Latency.
            # TYPE latency_seconds histogram
            latency_seconds_bucket{route="/a",le="0.1"} 2
            latency_seconds_bucket{route="/a",le="1"} 4
            latency_seconds_bucket{route="/a",le="5"} 5
            latency_seconds_bucket{route="/a",le="+Inf"} 7
            latency_seconds_sum{route="/a"} 113.35
            latency_seconds_count{route="/a"} 7
            latency_seconds_bucket{route="/b",le="0.1"} 0
            latency_seconds_bucket{route="/b",le="1"} 1
            latency_seconds_bucket{route="/b",le="5"} 1
            latency_seconds_bucket{route="/b",le="+Inf"} 1
            latency_seconds_sum{route="/b"} 0.5
            latency_seconds_count{route="/b"} 1

            """)
        h.remove(labels: ["/a"])
        XCTAssertFalse(registry.exposition().contains("/a"))
    }

    func testHistogramDefaults() {
        let h = MetricsRegistry().histogram("d", help: "D.", buckets: [1, 2, .infinity])
        XCTAssertEqual(h.upperBounds, [1, 2], "an explicit +Inf bucket is folded into the implicit one")
        XCTAssertEqual(Histogram.defaultBuckets.count, 11)
        let d = MetricsRegistry().histogram("e", help: "E.")
        XCTAssertEqual(d.upperBounds, Histogram.defaultBuckets)
        d.observe(.nan)
        XCTAssertEqual(d.cumulativeCounts().last, 1)
        XCTAssertEqual(d.cumulativeCounts().first, 0)
    }

    func testReRegistrationReturnsTheSameMetric() {
        let registry = MetricsRegistry()
        let a = registry.counter("same_total", help: "First.", labelNames: ["x"])
        let b = registry.counter("same_total", help: "Second.", labelNames: ["x"])
        XCTAssertTrue(a === b)
        b.inc(labels: ["1"])
        XCTAssertEqual(a.value(labels: ["1"]), 1)
        XCTAssertTrue(registry.gauge("g", help: "G.") === registry.gauge("g", help: "G."))
        XCTAssertTrue(registry.histogram("h", help: "H.") === registry.histogram("h", help: "H."))
        XCTAssertEqual(registry.exposition().components(separatedBy: "# TYPE same_total").count, 2)
    }

    func testFamiliesAreSortedAndCollectorsRunAtScrapeTime() {
        let registry = MetricsRegistry()
        _ = registry.gauge("zeta", help: "Z.")
        _ = registry.counter("alpha_total", help: "A.")
        let scrapes = Mutex(0)
        registry.register {
            let n = scrapes.withLock { $0 += 1; return $0 }
            return [MetricFamilySample(name: "middle", help: "M.", type: .untyped,
                                       samples: [MetricSample(labels: [("k", "v\"")], value: Double(n))])]
        }
        _ = registry.exposition()
        let text = registry.exposition()
        let names = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE") }.map { $0.split(separator: " ")[2] }
        XCTAssertEqual(names, ["alpha_total", "middle", "zeta"])
        XCTAssertTrue(text.contains("# TYPE middle untyped\nmiddle{k=\"v\\\"\"} 2\n"), text)
    }

    func testDuplicateCollectorFamiliesAreDropped() {
        let registry = MetricsRegistry()
        _ = registry.gauge("process_open_fds", help: "Mine.")
        ProcessMetrics.register(in: registry)
        ProcessMetrics.register(in: registry)
        let text = registry.exposition()
        XCTAssertEqual(text.components(separatedBy: "# TYPE process_cpu_seconds_total").count, 2)
        XCTAssertTrue(text.contains("# HELP process_open_fds Mine.\n# TYPE process_open_fds gauge\nprocess_open_fds 0\n"), text)
    }

    func testNameValidation() {
        for good in ["a", "_a", "a:b_c9", "http_requests_total", ":colon"] {
            XCTAssertTrue(MetricsText.isValidMetricName(good), good)
        }
        for bad in ["", "9a", "a-b", "a b", "ä", "a.b"] {
            XCTAssertFalse(MetricsText.isValidMetricName(bad), bad)
        }
        for good in ["a", "_a", "method", "le", "A9_"] {
            XCTAssertTrue(MetricsText.isValidLabelName(good), good)
        }
        for bad in ["", "9a", "a:b", "__name__", "a-b"] {
            XCTAssertFalse(MetricsText.isValidLabelName(bad), bad)
        }
    }

    func testConcurrentUpdatesAreNotLost() {
        let registry = MetricsRegistry()
        let c = registry.counter("conc_total", help: "C.", labelNames: ["worker"])
        let total = registry.counter("conc_all_total", help: "All.")
        let h = registry.histogram("conc_hist", help: "H.", buckets: [0.5])
        let g = registry.gauge("conc_gauge", help: "G.")
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<10_000 {
                c.inc(labels: [String(worker % 2)])
                total.inc()
                h.observe(i % 2 == 0 ? 0.1 : 1)
                g.inc()
                g.dec()
                if i % 1000 == 0 { _ = registry.exposition() }
            }
        }
        XCTAssertEqual(total.value(), 40_000)
        XCTAssertEqual(c.value(labels: ["0"]) + c.value(labels: ["1"]), 40_000)
        XCTAssertEqual(h.count(), 40_000)
        XCTAssertEqual(h.cumulativeCounts(), [20_000, 40_000])
        XCTAssertEqual(g.value(), 0)
    }

    func testProcessMetrics() throws {
        let registry = MetricsRegistry()
        ProcessMetrics.register(in: registry)
        let text = registry.exposition()
        func value(_ name: String) throws -> Double {
            let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix(name + " ") }, name)
            return try XCTUnwrap(Double(line.split(separator: " ")[1]))
        }
        XCTAssertTrue(text.contains("# TYPE process_cpu_seconds_total counter"))
        XCTAssertGreaterThan(try value("process_resident_memory_bytes"), 1_000_000)
        XCTAssertGreaterThan(try value("process_virtual_memory_bytes"), try value("process_resident_memory_bytes"))
        XCTAssertGreaterThan(try value("process_cpu_seconds_total"), 0)
        let start = try value("process_start_time_seconds")
        XCTAssertLessThanOrEqual(start, Date().timeIntervalSince1970 + 1)
        XCTAssertGreaterThan(start, Date().timeIntervalSince1970 - 86_400)
        let fds = try value("process_open_fds")
        XCTAssertGreaterThanOrEqual(fds, 3)
        let extra = open("/dev/null", O_RDONLY)
        defer { close(extra) }
        let again = registry.exposition().split(separator: "\n").first { $0.hasPrefix("process_open_fds ") }
        XCTAssertEqual(again.flatMap { Double($0.split(separator: " ")[1]) }, fds + 1)
    }
}
