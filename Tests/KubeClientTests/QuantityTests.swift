import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class QuantityTests: XCTestCase {
    func q(_ s: String) throws -> Quantity { try Quantity(parsing: s) }

    func testParsesSuffixes() throws {
        XCTAssertEqual(try q("100m").value, Decimal(string: "0.1"))
        XCTAssertEqual(try q("1").value, 1)
        XCTAssertEqual(try q("1.5").value, Decimal(string: "1.5"))
        XCTAssertEqual(try q("1Ki").value, 1024)
        XCTAssertEqual(try q("1Mi").value, 1_048_576)
        XCTAssertEqual(try q("2Gi").value, 2_147_483_648)
        XCTAssertEqual(try q("1Ti").int64Value, 1_099_511_627_776)
        XCTAssertEqual(try q("1Ei").int64Value, 1_152_921_504_606_846_976)
        XCTAssertEqual(try q("2k").value, 2000)
        XCTAssertEqual(try q("3M").value, 3_000_000)
        XCTAssertEqual(try q("1G").value, 1_000_000_000)
        XCTAssertEqual(try q("1T").int64Value, 1_000_000_000_000)
        XCTAssertEqual(try q("5n").value, Decimal(string: "0.000000005"))
        XCTAssertEqual(try q("5u").value, Decimal(string: "0.000005"))
        XCTAssertEqual(try q("1e3").value, 1000)
        XCTAssertEqual(try q("1E3").value, 1000)
        XCTAssertEqual(try q("12e-3").value, Decimal(string: "0.012"))
        XCTAssertEqual(try q("1E").int64Value, 1_000_000_000_000_000_000)
        XCTAssertEqual(try q("-2Mi").value, -2_097_152)
        XCTAssertEqual(try q("+3").value, 3)
        XCTAssertEqual(try q(".5").value, Decimal(string: "0.5"))
        XCTAssertEqual(try q("5.").value, 5)
        XCTAssertEqual(try q("1.5Gi").value, 1_610_612_736)
        XCTAssertEqual(try q("1Gi").format, .binarySI)
        XCTAssertEqual(try q("1e3").format, .decimalExponent)
        XCTAssertEqual(try q("1k").format, .decimalSI)
    }

    func testRejectsInvalid() {
        for s in ["", "abc", "1Qi", "1.2.3", "Mi", "1 Mi", "1e", "1ee3", "--1", "1KiB", "0x10"] {
            XCTAssertThrowsError(try q(s), s) { e in
                XCTAssertEqual("\(e)".hasPrefix("invalid quantity \"\(s)\""), true)
            }
        }
    }

    func testComparesByValue() throws {
        XCTAssertEqual(try q("1Gi"), try q("1024Mi"))
        XCTAssertEqual(try q("1000m"), try q("1"))
        XCTAssertEqual(try q("1e3"), try q("1k"))
        XCTAssertLessThan(try q("500m"), try q("1"))
        XCTAssertLessThan(try q("1G"), try q("1Gi"))
        XCTAssertGreaterThan(try q("2"), try q("1999m"))
        XCTAssertEqual(Set([try q("1Gi"), try q("1024Mi"), try q("1G")]).count, 2)
        XCTAssertEqual([try q("2"), try q("100m"), try q("1Ki")].sorted().map(\.string), ["100m", "2", "1Ki"])
    }

    func testMilliAndIntValuesRoundUp() throws {
        XCTAssertEqual(try q("100m").milliValue, 100)
        XCTAssertEqual(try q("1.5").milliValue, 1500)
        XCTAssertEqual(try q("1n").milliValue, 1)
        XCTAssertEqual(try q("100m").int64Value, 1)
        XCTAssertEqual(try q("2Gi").int64Value, 2_147_483_648)
        XCTAssertEqual(try q("250m").doubleValue, 0.25, accuracy: 1e-12)
    }

    func testArithmeticAndCanonicalForm() throws {
        XCTAssertEqual((try q("500m") + q("1500m")).string, "2")
        XCTAssertEqual((try q("100m") + q("50m")).string, "150m")
        XCTAssertEqual((try q("1Gi") + q("512Mi")).string, "1536Mi")
        XCTAssertEqual((try q("1Gi") * 3).string, "3Gi")
        XCTAssertEqual((try q("2") - q("2500m")).string, "-500m")
        XCTAssertEqual(Quantity(value: 1500, format: .decimalSI).string, "1500")
        XCTAssertEqual(Quantity(value: 2000, format: .decimalSI).string, "2k")
        XCTAssertEqual(Quantity(value: 2000, format: .decimalExponent).string, "2e3")
        XCTAssertEqual(Quantity(value: 1500, format: .decimalExponent).string, "1500")
        XCTAssertEqual(Quantity(value: Decimal(string: "0.0015")!, format: .decimalSI).string, "1500u")
        XCTAssertEqual(Quantity(value: 0).string, "0")
        XCTAssertEqual(Quantity(value: 1000, format: .binarySI).string, "1k", "not a multiple of 1024: decimal form")
        XCTAssertEqual(Quantity(1_048_576, format: .binarySI).string, "1Mi")
    }

    func testCodableKeepsTextAndAcceptsNumbers() throws {
        let r = try JSON.parse(#"{"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": 2, "memory": 1.5e9}}"#)
            .decode(ResourceRequirements.self)
        XCTAssertEqual(r.requests?["cpu"]?.string, "250m")
        XCTAssertEqual(r.limits?["cpu"], try q("2"))
        XCTAssertEqual(r.limits?["memory"]?.int64Value, 1_500_000_000)
        let back = try JSON(encoding: r)
        XCTAssertEqual(back["requests"]["memory"], "64Mi")
        XCTAssertEqual(back["limits"]["cpu"], "2")
        XCTAssertThrowsError(try JSON.parse(#"{"requests": {"cpu": "lots"}}"#).decode(ResourceRequirements.self))
    }
}
