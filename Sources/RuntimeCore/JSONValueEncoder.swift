import FoundationEssentials

/// Encodes `Encodable` values straight into ``JSON`` values: no Foundation `JSONEncoder`, no text in
/// between. `JSON(encoding:)` goes through it, so encoding a typed model (a pod to create, a spec to hash)
/// costs one walk of the model instead of Foundation's encode, its text output and our parse of it.
///
/// The result is what Foundation's default `JSONEncoder` would write, parsed back: `Data` as base64,
/// `Date` as seconds since 2001 (Foundation's `deferredToDate`), `URL` as its absolute string, integers
/// as `.int` (`UInt64` above `Int64.max` as `.double`), non-finite floating-point values rejected with
/// `EncodingError.invalidValue`. `JSON` values nested in a model are taken as they are.
public struct JSONValueEncoder {
    /// An encoder.
    public init() {}

    /// The JSON value of `value`.
    public func encode<T: Encodable>(_ value: T) throws -> JSON {
        try ValueEncoder.encode(value, path: [])
    }
}

/// Where a container being filled keeps its members. A class, because containers are handed out as
/// structs and filled after the call that created them returned (nested containers, `superEncoder`).
private final class Slot {
    enum Content {
        case value(JSON)
        case object([String: Slot])
        case array([Slot])
    }

    var content: Content

    init(_ content: Content) { self.content = content }

    /// The finished value (members written directly are already `.value`; only nested containers recurse).
    var json: JSON {
        switch content {
        case .value(let v): return v
        case .object(let members):
            var o: [String: JSON] = [:]
            o.reserveCapacity(members.count)
            for (k, s) in members { o[k] = s.json }
            return .object(o)
        case .array(let items): return .array(items.map(\.json))
        }
    }
}

private final class ValueEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var root: Slot?

    init(path: [any CodingKey]) { codingPath = path }

    /// Encodes one value, with the special cases Foundation's encoder has.
    static func encode<T: Encodable>(_ value: T, path: [any CodingKey]) throws -> JSON {
        // Type comparisons, not `as?` casts: this runs for every member of every model.
        if T.self == String.self { return .string(value as! String) }
        if T.self == JSON.self { return value as! JSON }
        if T.self == Int.self { return .int(Int64(value as! Int)) }
        if T.self == Bool.self { return .bool(value as! Bool) }
        if T.self == Int64.self { return .int(value as! Int64) }
        if T.self == Int32.self { return .int(Int64(value as! Int32)) }
        if T.self == Double.self { return try double(value as! Double, path) }
        if T.self == Data.self { return .string((value as! Data).base64EncodedString()) }
        if T.self == Date.self { return try double((value as! Date).timeIntervalSinceReferenceDate, path) }
        if T.self == URL.self { return .string((value as! URL).absoluteString) }
        do {
            let e = ValueEncoder(path: path)
            try value.encode(to: e)
            // A type that encodes nothing is an empty object, as with Foundation.
            return e.root?.json ?? .object([:])
        }
    }

    static func double(_ d: Double, _ path: [any CodingKey]) throws -> JSON {
        guard d.isFinite else {
            throw EncodingError.invalidValue(d, .init(codingPath: path, debugDescription: "Unable to encode \(d) directly in JSON."))
        }
        return .double(d)
    }

    static func integer<I: BinaryInteger>(_ i: I) -> JSON {
        if let v = Int64(exactly: i) { return .int(v) }
        return .double(Double(i))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let slot: Slot
        if let r = root, case .object = r.content { slot = r } else { slot = Slot(.object([:])); root = slot }
        return KeyedEncodingContainer(KeyedContainer<Key>(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let slot: Slot
        if let r = root, case .array = r.content { slot = r } else { slot = Slot(.array([])); root = slot }
        return UnkeyedContainer(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    let codingPath: [any CodingKey]

    private func set(_ v: JSON, _ key: Key) {
        guard case .object(var m) = slot.content else { return }
        slot.content = .value(.null)  // drop the reference so the dictionary is mutated in place
        m[key.stringValue] = Slot(.value(v))
        slot.content = .object(m)
    }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(try ValueEncoder.double(value, codingPath + [key]), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(try ValueEncoder.double(Double(value), codingPath + [key]), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.int(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(ValueEncoder.integer(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(ValueEncoder.integer(value), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        set(try ValueEncoder.encode(value, path: codingPath + [key]), key)
    }

    private func child(_ key: Key, _ content: Slot.Content) -> Slot {
        let s = Slot(content)
        guard case .object(var m) = slot.content else { return s }
        slot.content = .value(.null)
        m[key.stringValue] = s
        slot.content = .object(m)
        return s
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(KeyedContainer<NestedKey>(slot: child(key, .object([:])), codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        UnkeyedContainer(slot: child(key, .array([])), codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let e = ValueEncoder(path: codingPath + [key])
        e.root = child(key, .object([:]))
        return e
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]
    var count: Int {
        if case .array(let a) = slot.content { return a.count }
        return 0
    }

    private func append(_ s: Slot) {
        guard case .array(var a) = slot.content else { return }
        slot.content = .value(.null)  // drop the reference so the array is appended in place
        a.append(s)
        slot.content = .array(a)
    }

    private var nextKey: AnyKey { AnyKey(intValue: count) }

    mutating func encodeNil() throws { append(Slot(.value(.null))) }
    mutating func encode(_ value: Bool) throws { append(Slot(.value(.bool(value)))) }
    mutating func encode(_ value: String) throws { append(Slot(.value(.string(value)))) }
    mutating func encode(_ value: Double) throws { append(Slot(.value(try ValueEncoder.double(value, codingPath + [nextKey])))) }
    mutating func encode(_ value: Int) throws { append(Slot(.value(.int(Int64(value))))) }
    mutating func encode(_ value: Int64) throws { append(Slot(.value(.int(value)))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        append(Slot(.value(try ValueEncoder.encode(value, path: codingPath + [nextKey]))))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let s = Slot(.object([:]))
        let path = codingPath + [nextKey]
        append(s)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(slot: s, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let s = Slot(.array([]))
        let path = codingPath + [nextKey]
        append(s)
        return UnkeyedContainer(slot: s, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let e = ValueEncoder(path: codingPath + [nextKey])
        let s = Slot(.object([:]))
        append(s)
        e.root = s
        return e
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let encoder: ValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ v: JSON) { encoder.root = Slot(.value(v)) }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { set(try ValueEncoder.double(value, codingPath)) }
    mutating func encode(_ value: Float) throws { set(try ValueEncoder.double(Double(value), codingPath)) }
    mutating func encode(_ value: Int) throws { set(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { set(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { set(.int(value)) }
    mutating func encode(_ value: UInt64) throws { set(ValueEncoder.integer(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { set(try ValueEncoder.encode(value, path: codingPath)) }
}
