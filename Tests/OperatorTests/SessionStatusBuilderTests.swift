import Foundation
import KubeClient
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// The phase and conditions table of docs/operator.md.
final class SessionStatusBuilderTests: XCTestCase {
    let session = makeSession()
    lazy var eff = effective(session)

    func inputs(pod: PodView? = nil, supervisor: SupervisorObservation? = nil, registration: RegistrationView = .notWanted,
                configure: (inout StatusInputs) -> Void = { _ in }) -> StatusInputs {
        var i = StatusInputs(session: session, effective: eff, pod: pod, supervisor: supervisor, registration: registration)
        configure(&i)
        return i
    }

    func phase(_ i: StatusInputs) -> (SessionPhase, String) {
        let (p, r, _) = SessionStatusBuilder.phase(i)
        return (p, r)
    }

    func testPhaseTable() {
        let login = SupervisorStatus.Login(url: "https://auth.example/device", code: "ABCD-1234", message: "Sign in")
        let cases: [(String, StatusInputs, SessionPhase, String)] = [
            ("no pod yet", inputs(), .pending, "PodNotCreated"),
            ("pod pending", inputs(pod: makePod(phase: "Pending", ip: nil)), .pending, "PodPending"),
            ("pod running, supervisor not answering", inputs(pod: makePod()), .starting, "SupervisorStarting"),
            ("supervisor starting", inputs(pod: makePod(), supervisor: observation("starting")), .starting, "AgentStarting"),
            ("login required", inputs(pod: makePod(), supervisor: observation("login_required", login: login)), .authenticating, "LoginRequired"),
            ("running but pod not ready yet", inputs(pod: makePod(ready: false), supervisor: observation("running")), .starting, "AgentStarting"),
            ("ready", inputs(pod: makePod(ready: true), supervisor: observation("running")), .ready, "AgentReady"),
            ("CLI failed", inputs(pod: makePod(), supervisor: observation("failed", exitCode: 2)), .error, "AgentFailed"),
            ("pod failed", inputs(pod: makePod(phase: "Failed")), .error, "PodFailed"),
            ("old pod going", inputs(pod: makePod(deleting: true)), .pending, "PodRecreating"),
            ("quota", inputs { $0.rejection = ("QuotaExceeded", "full") }, .pending, "QuotaExceeded"),
            ("policy", inputs { $0.rejection = ("PolicyViolation", "bad") }, .pending, "PolicyViolation"),
            ("missing key", inputs { $0.credentialsProblem = ("KeySecretNotFound", "no") }, .pending, "KeySecretNotFound"),
            ("foreign pod", inputs { $0.podProblem = ("PodConflict", "taken") }, .error, "PodConflict"),
            ("suspending", inputs(pod: makePod()) { $0.stop = .suspended }, .stopping, "Suspended"),
            ("suspended", inputs { $0.stop = .suspended }, .stopped, "Suspended"),
            ("finished ok", inputs { $0.stop = .finished(reason: "IdleTimeout", message: "idle", failed: false) }, .stopped, "IdleTimeout"),
            ("finished failed", inputs { $0.stop = .finished(reason: "Failed", message: "exit 1", failed: true) }, .error, "Failed"),
        ]
        for (name, i, expected, reason) in cases {
            let (p, r) = phase(i)
            XCTAssertEqual(p, expected, name)
            XCTAssertEqual(r, reason, name)
        }
        var deleting = session
        deleting.metadata.deletionTimestamp = .now
        XCTAssertEqual(phase(StatusInputs(session: deleting, pod: makePod())).0, .stopping)
    }

    func testReadyStatus() {
        let s = SessionStatusBuilder.build(inputs(pod: makePod(ready: true), supervisor: observation("running"),
                                                  registration: .registered(key: "/parallax/services/agent/team-a.fix-login-bug")))
        XCTAssertEqual(s.phase, "Ready")
        XCTAssertEqual(s.observedGeneration, 1)
        let c = s.conditions ?? []
        XCTAssertEqual(c.map(\.type), ["Admitted", "PodReady", "LoginRequired", "Registered", "Ready"])
        XCTAssertTrue(c.isTrue("Admitted"))
        XCTAssertTrue(c.isTrue("PodReady"))
        XCTAssertFalse(c.isTrue("LoginRequired"))
        XCTAssertTrue(c.isTrue("Registered"))
        XCTAssertTrue(c.isTrue("Ready"))
        XCTAssertTrue(c.allSatisfy { $0.observedGeneration == 1 && $0.lastTransitionTime != nil && !$0.reason.isEmpty })
        XCTAssertEqual(s.agentId, "team-a.fix-login-bug")
        XCTAssertEqual(s.podName, "fix-login-bug")
        XCTAssertEqual(s.podIP, "10.1.2.3")
        XCTAssertEqual(s.endpoint, "http://10.1.2.3:8077")
        XCTAssertEqual(s.registryKey, "/parallax/services/agent/team-a.fix-login-bug")
        XCTAssertNotNil(s.startTime)
        XCTAssertNil(s.login)
    }

    func testReadyWaitsForTheRegistry() {
        let s = SessionStatusBuilder.build(inputs(pod: makePod(ready: true), supervisor: observation("running"),
                                                  registration: .pending("etcd down")))
        XCTAssertEqual(s.phase, "Ready", "the agent runs")
        XCTAssertEqual(s.conditions?.condition("Ready")?.reason, "NotRegistered")
        XCTAssertEqual(s.conditions?.condition("Registered")?.reason, "RegistrationPending")
        let off = SessionStatusBuilder.build(inputs(pod: makePod(ready: true), supervisor: observation("running"), registration: .disabled))
        XCTAssertEqual(off.conditions?.isTrue("Ready"), true, "with the registry disabled, Ready does not wait for it")
    }

    func testLoginStatusHasURLAndCodeButNoSecret() throws {
        let login = SupervisorStatus.Login(url: "https://auth.example/device", code: "ABCD-1234", message: "Sign in", detectedAt: "2026-01-01T00:00:00.000Z")
        let s = SessionStatusBuilder.build(inputs(pod: makePod(), supervisor: observation("login_required", login: login)))
        XCTAssertEqual(s.phase, "Authenticating")
        XCTAssertEqual(s.login, .init(url: "https://auth.example/device", code: "ABCD-1234", message: "Sign in", since: "2026-01-01T00:00:00.000Z"))
        XCTAssertEqual(s.conditions?.isTrue("LoginRequired"), true)
        XCTAssertEqual(s.conditions?.condition("Registered")?.reason, "WaitingForLogin")
        let text = try JSON(encoding: s).serialized()
        XCTAssertFalse(text.lowercased().contains("token"))
    }

    func testTransitionTimesMoveOnlyOnChange() {
        var s1 = session
        s1.status = SessionStatusBuilder.build(inputs(pod: makePod(), supervisor: observation("starting")) { $0.now = Date(timeIntervalSince1970: 1000) })
        var i = StatusInputs(session: s1, effective: eff, pod: makePod(), supervisor: observation("starting"))
        i.now = Date(timeIntervalSince1970: 2000)
        let again = SessionStatusBuilder.build(i)
        XCTAssertEqual(again.conditions, s1.status?.conditions)
        XCTAssertEqual(again.lastHealthCheck, s1.status?.lastHealthCheck, "no change: no new health check time, no write")
        i.pod = makePod(ready: true)
        i.supervisor = observation("running")
        i.registration = .registered(key: "/k")
        let ready = SessionStatusBuilder.build(i)
        XCTAssertEqual(ready.conditions?.condition("Admitted")?.lastTransitionTime, Time(Date(timeIntervalSince1970: 1000)))
        XCTAssertEqual(ready.conditions?.condition("Ready")?.lastTransitionTime, Time(Date(timeIntervalSince1970: 2000)))
    }

    func testStartTimeAndFinishedAtStick() {
        var s1 = session
        var st = AgentSessionStatus()
        st.startTime = "2026-01-01T00:00:00.000Z"
        st.finishedAt = "2026-01-02T00:00:00.000Z"
        s1.status = st
        let out = SessionStatusBuilder.build(StatusInputs(session: s1, effective: eff, finishedAt: Date(), pod: makePod()))
        XCTAssertEqual(out.startTime, "2026-01-01T00:00:00.000Z")
        XCTAssertEqual(out.finishedAt, "2026-01-02T00:00:00.000Z")
    }
}
