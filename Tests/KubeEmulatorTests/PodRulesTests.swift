import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class PodRulesTests: XCTestCase {
    func testCreateDefaults() throws {
        let s = Fixtures.store()
        var body = Fixtures.pod("p", image: "nginx")
        body["spec"]["containers"] = [["name": "main", "image": "nginx", "ports": [["containerPort": 80]]],
                                      ["name": "side", "image": "side:1.0"]]
        let pod = try s.create(Fixtures.pods, namespace: "default", object: body).object
        let spec = pod["spec"]
        XCTAssertEqual(spec["restartPolicy"], "Always")
        XCTAssertEqual(spec["terminationGracePeriodSeconds"], 30)
        XCTAssertEqual(spec["dnsPolicy"], "ClusterFirst")
        XCTAssertEqual(spec["schedulerName"], "default-scheduler")
        XCTAssertEqual(spec["serviceAccountName"], "default")
        XCTAssertEqual(spec["enableServiceLinks"], true)
        XCTAssertEqual(spec["tolerations"].arrayValue?.count, 2)
        XCTAssertEqual(spec["containers"][0]["imagePullPolicy"], "Always")
        XCTAssertEqual(spec["containers"][1]["imagePullPolicy"], "IfNotPresent")
        XCTAssertEqual(spec["containers"][0]["terminationMessagePath"], "/dev/termination-log")
        XCTAssertEqual(spec["containers"][0]["terminationMessagePolicy"], "File")
        XCTAssertEqual(spec["containers"][0]["ports"][0]["protocol"], "TCP")
        XCTAssertEqual(pod["status"], ["phase": "Pending", "qosClass": "BestEffort"])
    }

    func testQoSClasses() {
        func pod(_ resources: JSON) -> JSON { ["spec": ["containers": [["name": "a", "resources": resources]]]] }
        XCTAssertEqual(PodRules.qosClass(pod([:])), "BestEffort")
        XCTAssertEqual(PodRules.qosClass(pod(["limits": ["cpu": "1", "memory": "1Gi"]])), "Guaranteed")
        XCTAssertEqual(PodRules.qosClass(pod(["limits": ["cpu": "1", "memory": "1Gi"], "requests": ["cpu": "1", "memory": "1Gi"]])), "Guaranteed")
        XCTAssertEqual(PodRules.qosClass(pod(["requests": ["cpu": "100m"]])), "Burstable")
        XCTAssertEqual(PodRules.qosClass(pod(["limits": ["cpu": "1"]])), "Burstable")
    }

    func testImageTags() {
        XCTAssertEqual(PodRules.imageTag("nginx"), "latest")
        XCTAssertEqual(PodRules.imageTag("registry:5000/team/app"), "latest")
        XCTAssertEqual(PodRules.imageTag("registry:5000/team/app:1.2"), "1.2")
        XCTAssertEqual(PodRules.imageTag("app@sha256:abc"), "")
    }

    func testValidation() {
        let s = Fixtures.store()
        var body = Fixtures.pod("p")
        body["spec"] = ["containers": [["name": "Main"], ["name": "Main", "image": "x"]], "restartPolicy": "Sometimes"]
        let e = assertAPIError(422) { try s.create(Fixtures.pods, namespace: "default", object: body) }
        XCTAssertEqual(e?.causes.map(\.field), ["spec.containers[0].name", "spec.containers[0].image", "spec.containers[1].name",
                                                "spec.containers[1].name", "spec.restartPolicy"])
        XCTAssertEqual(e?.causes[1].message, "Required value")
        XCTAssertEqual(e?.causes[3].message, "Duplicate value: \"Main\"")
        var empty = Fixtures.pod("q")
        empty["spec"] = [:]
        XCTAssertEqual(assertAPIError(422) { try s.create(Fixtures.pods, namespace: "default", object: empty) }?.message,
                       "Pod \"q\" is invalid: spec.containers: Required value")
    }

    func testSpecIsImmutableExceptImages() throws {
        let s = Fixtures.store()
        var pod = try s.create(Fixtures.pods, namespace: "default", object: Fixtures.pod("p")).object
        var containers = pod["spec"]["containers"].arrayValue!
        containers[0]["image"] = "busybox:2"
        pod["spec"]["containers"] = .array(containers)
        pod = try s.update(Fixtures.pods, namespace: "default", name: "p", object: pod).object
        XCTAssertEqual(pod["spec"]["containers"][0]["image"], "busybox:2")
        pod["spec"]["restartPolicy"] = "Never"
        let e = assertAPIError(422) { try s.update(Fixtures.pods, namespace: "default", name: "p", object: pod) }
        XCTAssertEqual(e?.causes.first?.field, "spec")
        XCTAssertEqual(e?.causes.first?.message, "Forbidden: " + PodRules.immutableSpecMessage)
        // A PUT without the defaulted fields is defaulted again, so it is not a change.
        var bare = Fixtures.pod("p", image: "busybox:2")
        bare.metadata["resourceVersion"] = try s.get(Fixtures.pods, namespace: "default", name: "p").metadata["resourceVersion"]
        bare["spec"]["tolerations"] = pod["spec"]["tolerations"]
        bare["spec"]["serviceAccountName"] = "default"
        bare["spec"]["priority"] = 0
        bare["spec"]["preemptionPolicy"] = "PreemptLowerPriority"
        XCTAssertNoThrow(try s.update(Fixtures.pods, namespace: "default", name: "p", object: bare))
    }
}
