import Foundation
import RuntimeCore

/// The parts of a server object that a typed model could not represent: fields added in newer
/// Kubernetes versions, rarely used fields, server defaults the model does not list.
///
/// When the client decodes a typed object it records them here; when it sends the object back
/// (update, updateStatus) it puts them back, so a read-modify-write through a typed model does not
/// silently clear them. Fields the model knows are never resurrected: clearing a modelled field in
/// Swift clears it on the server.
public struct UnknownFields: Hashable, Sendable {
    /// One recorded difference.
    indirect enum Node: Hashable, Sendable {
        /// A member the model does not know at all: re-added when absent.
        case value(JSON)
        /// A modelled object with unknown members inside: applied only if the object is still present.
        case object([String: Node])
        /// A modelled array whose elements have unknown members: applied to the matching elements.
        case array(count: Int, elements: [Element])
    }

    /// The unknown part of one array element, with what identifies it.
    struct Element: Hashable, Sendable {
        /// The element's `name` member, when it has one (containers, volumes, env, ports...).
        var name: String?
        /// Its position when read.
        var index: Int
        /// What the model missed in it.
        var node: Node
    }

    var members: [String: Node]

    /// Nothing unknown.
    public init() { members = [:] }

    /// True when the model represented everything.
    public var isEmpty: Bool { members.isEmpty }

    /// The unknown parts of `raw` (the server's JSON) given `typed` (the model re-encoded).
    public init(raw: JSON, typed: JSON) {
        var r = raw
        // managedFields are deliberately not modelled and never sent back.
        if case .object(var meta) = r["metadata"], meta.removeValue(forKey: "managedFields") != nil {
            r["metadata"] = .object(meta)
        }
        if case .object(let m)? = Self.diffNode(r, typed) { members = m } else { members = [:] }
    }

    /// The member names the model did not know at the top level (for diagnostics and tests).
    public var topLevelKeys: [String] { members.keys.sorted() }

    static func diffNode(_ raw: JSON, _ typed: JSON) -> Node? {
        switch (raw, typed) {
        case (.object(let r), .object(let t)):
            var out: [String: Node] = [:]
            for (k, rv) in r {
                if let tv = t[k] {
                    if let d = diffNode(rv, tv) { out[k] = d }
                } else if !rv.isNull {
                    out[k] = .value(rv)
                }
            }
            return out.isEmpty ? nil : .object(out)
        case (.array(let r), .array(let t)):
            var elements: [Element] = []
            for (i, rv) in r.enumerated() where i < t.count {
                if let d = diffNode(rv, t[i]) { elements.append(Element(name: rv["name"].stringValue, index: i, node: d)) }
            }
            return elements.isEmpty ? nil : .array(count: r.count, elements: elements)
        default:
            // Scalars, and shape mismatches: what the model encodes wins.
            return nil
        }
    }

    /// Puts the recorded unknown parts back into an encoded object.
    public func apply(to json: inout JSON) {
        guard !members.isEmpty, case .object(var o) = json else { return }
        Self.apply(members, to: &o)
        json = .object(o)
    }

    private static func apply(_ members: [String: Node], to o: inout [String: JSON]) {
        for (k, node) in members {
            switch node {
            case .value(let v):
                if o[k] == nil { o[k] = v }
            case .object(let sub):
                guard case .object(var child)? = o[k] else { continue }
                apply(sub, to: &child)
                o[k] = .object(child)
            case .array(let count, let elements):
                guard case .array(var items)? = o[k] else { continue }
                for e in elements {
                    let target: Int?
                    if let n = e.name {
                        target = items.firstIndex { $0["name"].stringValue == n }
                    } else {
                        // Without names, positions only mean something if the list kept its length.
                        target = items.count == count && e.index < items.count ? e.index : nil
                    }
                    guard let i = target else { continue }
                    var item = items[i]
                    switch e.node {
                    case .object(let sub):
                        guard case .object(var io) = item else { continue }
                        apply(sub, to: &io)
                        item = .object(io)
                    case .array, .value:
                        continue
                    }
                    items[i] = item
                }
                o[k] = .array(items)
            }
        }
    }
}

/// A typed model that keeps the fields it does not model across a read-modify-write.
///
/// All typed models in this module conform; the client fills ``unknownFields`` when decoding server
/// answers (get, list, watch) and re-applies it when encoding (create, update).
public protocol PreservesUnknownFields {
    /// What the model could not represent of the object it was decoded from.
    var unknownFields: UnknownFields { get set }
}

/// Lists whose items may preserve unknown fields.
protocol UnknownFieldsList {
    /// Whether the item type keeps unknown fields (decoding then needs the raw JSON).
    static var itemsPreserveUnknownFields: Bool { get }
    /// The list with every item's unknown fields recorded from `raw`.
    func attachingUnknownFields(raw: JSON) -> Self
}

extension ObjectList: UnknownFieldsList {
    static var itemsPreserveUnknownFields: Bool { Item.self is any PreservesUnknownFields.Type }

    func attachingUnknownFields(raw: JSON) -> ObjectList<Item> {
        guard let rawItems = raw["items"].arrayValue, rawItems.count == items.count else { return self }
        var out = self
        out.items = zip(items, rawItems).map { UnknownFieldsCodec.attach($0, raw: $1) }
        return out
    }
}

enum UnknownFieldsCodec {
    /// Records the unknown fields of `value` decoded from `raw`; other values pass through.
    static func attach<T>(_ value: T, raw: JSON) -> T {
        guard var p = value as? any PreservesUnknownFields, let encodable = value as? any Encodable,
              let typed = try? JSON(encoding: encodable)
        else { return value }
        p.unknownFields = UnknownFields(raw: raw, typed: typed)
        return (p as? T) ?? value
    }

    /// ``attach(_:raw:)`` for a decoded response body (`raw` is the body as parsed for the decode: no
    /// second parse); values and lists of types that do not keep unknown fields pass through untouched.
    static func attachIfWanted<T>(_ value: T, raw: JSON) -> T {
        if let list = value as? any UnknownFieldsList {
            guard type(of: list).itemsPreserveUnknownFields else { return value }
            return (list.attachingUnknownFields(raw: raw) as? T) ?? value
        }
        guard value is any PreservesUnknownFields else { return value }
        return attach(value, raw: raw)
    }

    /// Re-applies recorded unknown fields to an encoded object.
    static func restore<T>(_ value: T, into json: inout JSON) {
        guard let p = value as? any PreservesUnknownFields else { return }
        p.unknownFields.apply(to: &json)
    }
}
