import Foundation
import RuntimeCore

/// ClusterIP and NodePort allocation: 10.96.0.0/12 (first address 10.96.0.1, taken by `default/kubernetes`)
/// and ports 30000-32767, handed out in order and released when the Service goes.
struct ServiceAllocator {
    static let base: UInt32 = (10 << 24) | (96 << 16)
    static let size: UInt32 = 1 << 20
    private var usedIPs = Set<UInt32>()
    private var usedPorts = Set<Int64>()
    private var nextIP: UInt32 = 1
    private var nextPort: Int64 = 30000

    static func parse(_ ip: String) -> UInt32? {
        let parts = ip.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 < 256 }) else { return nil }
        return parts.reduce(0) { $0 << 8 | $1 }
    }

    static func format(_ v: UInt32) -> String { "\(v >> 24).\((v >> 16) & 255).\((v >> 8) & 255).\(v & 255)" }

    static func inRange(_ v: UInt32) -> Bool { v > base && v < base + size - 1 }

    func isFree(_ ip: String) -> Bool { Self.parse(ip).map { !usedIPs.contains($0) } ?? false }

    /// The next free address; recorded only when `commit`.
    mutating func allocateIP(commit: Bool) -> String? {
        for step in 0..<(Self.size - 2) {
            let offset = (nextIP - 1 + step) % (Self.size - 2) + 1
            let v = Self.base + offset
            if !usedIPs.contains(v) {
                if commit { usedIPs.insert(v); nextIP = offset + 1 }
                return Self.format(v)
            }
        }
        return nil
    }

    mutating func reserve(_ ip: String) { if let v = Self.parse(ip) { usedIPs.insert(v) } }
    mutating func releaseIP(_ ip: String) { if let v = Self.parse(ip) { usedIPs.remove(v) } }

    mutating func allocatePort(commit: Bool) -> Int64? {
        for step in 0..<Int64(2768) {
            let p = 30000 + (nextPort - 30000 + step) % 2768
            if !usedPorts.contains(p) {
                if commit { usedPorts.insert(p); nextPort = p + 1 }
                return p
            }
        }
        return nil
    }

    mutating func reservePort(_ p: Int64) { usedPorts.insert(p) }
    mutating func releasePort(_ p: Int64) { usedPorts.remove(p) }
}

/// Service defaulting, validation and IP allocation.
enum ServiceRules {
    static let types = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]

    /// Defaults applied on every write.
    static func applyDefaults(_ svc: inout JSON) {
        var spec = svc["spec"].objectValue ?? [:]
        if spec["type"] == nil { spec["type"] = "ClusterIP" }
        if spec["sessionAffinity"] == nil { spec["sessionAffinity"] = "None" }
        if spec["type"]?.stringValue != "ExternalName" {
            if spec["ipFamilies"] == nil { spec["ipFamilies"] = ["IPv4"] }
            if spec["ipFamilyPolicy"] == nil { spec["ipFamilyPolicy"] = "SingleStack" }
            if spec["internalTrafficPolicy"] == nil { spec["internalTrafficPolicy"] = "Cluster" }
        }
        if let ports = spec["ports"]?.arrayValue {
            spec["ports"] = .array(ports.map { p in
                guard var o = p.objectValue else { return p }
                if o["protocol"] == nil { o["protocol"] = "TCP" }
                if o["targetPort"] == nil, let port = o["port"] { o["targetPort"] = port }
                return .object(o)
            })
        }
        svc["spec"] = .object(spec)
    }

    /// Create-time preparation; allocates addresses (recorded only when `commit`).
    static func prepareForCreate(_ svc: inout JSON, allocator: inout ServiceAllocator, commit: Bool) throws(APIError) {
        applyDefaults(&svc)
        let type = svc["spec"]["type"].stringValue ?? "ClusterIP"
        if type != "ExternalName" {
            let requested = svc["spec"]["clusterIP"].stringValue ?? ""
            var ip = requested
            if requested.isEmpty {
                guard let allocated = allocator.allocateIP(commit: commit) else {
                    throw .internalError("failed to allocate a serviceIP: range is full")
                }
                ip = allocated
            } else if requested != "None" {
                guard let v = ServiceAllocator.parse(requested), ServiceAllocator.inRange(v) else {
                    throw invalid(svc, FieldError(.invalid, "spec.clusterIPs", value: .string(requested),
                                                  detail: "failed to allocate IP \(requested): the provided IP (\(requested)) is not in the valid range. The range of valid IPs is 10.96.0.0/12"))
                }
                guard allocator.isFree(requested) else {
                    throw invalid(svc, FieldError(.invalid, "spec.clusterIPs", value: .string(requested),
                                                  detail: "failed to allocate IP \(requested): provided IP is already allocated"))
                }
                if commit { allocator.reserve(requested) }
            }
            svc["spec"]["clusterIP"] = .string(ip)
            svc["spec"]["clusterIPs"] = [.string(ip)]
        }
        if type == "NodePort" || type == "LoadBalancer", var ports = svc["spec"]["ports"].arrayValue {
            for i in ports.indices where ports[i]["nodePort"].isNull {
                ports[i]["nodePort"] = allocator.allocatePort(commit: commit).map(JSON.int) ?? .null
            }
            if commit { for p in ports { if let n = p["nodePort"].intValue { allocator.reservePort(n) } } }
            svc["spec"]["ports"] = .array(ports)
        }
        svc["status"] = ["loadBalancer": [:]]
    }

    private static func invalid(_ svc: JSON, _ e: FieldError) -> APIError {
        .invalid(BuiltinResources.core[4], name: svc.name, [e])
    }

    /// Update rules: allocated addresses carried over when omitted, immutable once set.
    static func prepareForUpdate(_ svc: inout JSON, old: JSON) {
        applyDefaults(&svc)
        if (svc["spec"]["clusterIP"].stringValue ?? "").isEmpty, let ip = old["spec"]["clusterIP"].stringValue {
            svc["spec"]["clusterIP"] = .string(ip)
            svc["spec"]["clusterIPs"] = old["spec"]["clusterIPs"]
        }
        if var ports = svc["spec"]["ports"].arrayValue, let before = old["spec"]["ports"].arrayValue {
            for i in ports.indices where ports[i]["nodePort"].isNull {
                if let match = before.first(where: { $0["port"] == ports[i]["port"] }) { ports[i]["nodePort"] = match["nodePort"] }
            }
            svc["spec"]["ports"] = .array(ports)
        }
    }

    /// Field validation.
    static func validate(_ svc: JSON, old: JSON?) -> [FieldError] {
        var errs: [FieldError] = []
        let type = svc["spec"]["type"].stringValue ?? "ClusterIP"
        if !types.contains(type) { errs.append(.notSupported("spec.type", .string(type), types)) }
        let ports = svc["spec"]["ports"].arrayValue ?? []
        if ports.isEmpty && type != "ExternalName" && svc["spec"]["clusterIP"].stringValue != "None" {
            errs.append(FieldError(.required, "spec.ports"))
        }
        for (i, p) in ports.enumerated() {
            let port = p["port"].intValue ?? 0
            if !(1...65535).contains(port) {
                errs.append(FieldError(.invalid, "spec.ports[\(i)].port", value: .int(port), detail: "must be between 1 and 65535, inclusive"))
            }
            if ports.count > 1 && (p["name"].stringValue ?? "").isEmpty {
                errs.append(FieldError(.required, "spec.ports[\(i)].name"))
            }
        }
        if let old, let before = old["spec"]["clusterIP"].stringValue, !before.isEmpty,
           let after = svc["spec"]["clusterIP"].stringValue, after != before {
            errs.append(FieldError(.invalid, "spec.clusterIPs[0]", value: .string(after), detail: "may not change once set"))
        }
        return errs
    }

    /// Returns a removed Service's addresses to the pools.
    static func release(_ svc: JSON, allocator: inout ServiceAllocator) {
        if let ip = svc["spec"]["clusterIP"].stringValue, ip != "None" { allocator.releaseIP(ip) }
        for p in svc["spec"]["ports"].arrayValue ?? [] { if let n = p["nodePort"].intValue { allocator.releasePort(n) } }
    }
}
