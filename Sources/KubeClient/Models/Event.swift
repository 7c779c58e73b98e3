import Foundation

/// core/v1 Event: the classic event type `kubectl describe` shows.
public struct Event: Resource, PreservesUnknownFields, Hashable {
    /// `events` in the core group, namespaced.
    public static let resource = DynamicResource(group: "", version: "v1", plural: "events", kind: "Event")

    /// `v1`.
    public var apiVersion: String?
    /// `Event`.
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// The object the event is about.
    public var involvedObject: ObjectReference
    /// A short CamelCase reason, such as `Created`.
    public var reason: String?
    /// A human-readable description.
    public var message: String?
    /// The component that reported it.
    public var source: EventSource?
    /// When the event was first seen.
    public var firstTimestamp: Time?
    /// When it was last seen.
    public var lastTimestamp: Time?
    /// How often it occurred.
    public var count: Int?
    /// `Normal` or `Warning`.
    public var type: String?
    /// When it was first observed, with microseconds.
    public var eventTime: MicroTime?
    /// The action taken, such as `Binding`.
    public var action: String?
    /// A second object involved.
    public var related: ObjectReference?
    /// The controller that emitted it, such as `agent-operator`.
    public var reportingComponent: String?
    /// The instance of that controller (pod name).
    public var reportingInstance: String?
    /// Series data for repeated events.
    public var series: CoreEventSeries?

    /// Fields of the server's object this model does not represent; sent back on update.
    public var unknownFields = UnknownFields()

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, involvedObject, reason, message, source, firstTimestamp, lastTimestamp, count, type
        case eventTime, action, related, reportingComponent, reportingInstance, series
    }

    /// Creates an event.
    public init(metadata: ObjectMeta, involvedObject: ObjectReference, reason: String? = nil, message: String? = nil,
                type: String? = nil, source: EventSource? = nil, firstTimestamp: Time? = nil,
                lastTimestamp: Time? = nil, count: Int? = nil, eventTime: MicroTime? = nil, action: String? = nil,
                reportingComponent: String? = nil, reportingInstance: String? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
        self.source = source
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.count = count
        self.eventTime = eventTime
        self.action = action
        self.reportingComponent = reportingComponent
        self.reportingInstance = reportingInstance
    }
}

/// core/v1 EventSource.
public struct EventSource: Codable, Hashable, Sendable {
    /// The reporting component.
    public var component: String?
    /// The node it runs on.
    public var host: String?

    /// Creates a source.
    public init(component: String? = nil, host: String? = nil) {
        self.component = component
        self.host = host
    }
}

/// core/v1 EventSeries.
public struct CoreEventSeries: Codable, Hashable, Sendable {
    /// Occurrences in the series.
    public var count: Int?
    /// When the last one was seen.
    public var lastObservedTime: MicroTime?

    /// Creates a series.
    public init(count: Int? = nil, lastObservedTime: MicroTime? = nil) {
        self.count = count
        self.lastObservedTime = lastObservedTime
    }
}

/// events.k8s.io/v1 Event: the newer event API (what client-go's event recorder writes today).
public struct EventsV1Event: Resource, PreservesUnknownFields, Hashable {
    /// `events` in `events.k8s.io/v1`, namespaced.
    public static let resource = DynamicResource(group: "events.k8s.io", version: "v1", plural: "events", kind: "Event")

    /// `events.k8s.io/v1`.
    public var apiVersion: String?
    /// `Event`.
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// When the event was first observed (required).
    public var eventTime: MicroTime
    /// Series data for repeated events.
    public var series: CoreEventSeries?
    /// The controller that emitted it, such as `parallax.ai/agent-operator`.
    public var reportingController: String?
    /// The instance of that controller.
    public var reportingInstance: String?
    /// What was done, such as `Reconcile`.
    public var action: String?
    /// Why, such as `PodCreated`.
    public var reason: String?
    /// The object the event is about.
    public var regarding: ObjectReference?
    /// A second object involved.
    public var related: ObjectReference?
    /// A human-readable description.
    public var note: String?
    /// `Normal` or `Warning`.
    public var type: String?
    /// core/v1 `source`, for old readers.
    public var deprecatedSource: EventSource?
    /// core/v1 `firstTimestamp`, for old readers.
    public var deprecatedFirstTimestamp: Time?
    /// core/v1 `lastTimestamp`, for old readers.
    public var deprecatedLastTimestamp: Time?
    /// core/v1 `count`, for old readers.
    public var deprecatedCount: Int?

    /// Fields of the server's object this model does not represent; sent back on update.
    public var unknownFields = UnknownFields()

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, eventTime, series, reportingController, reportingInstance, action, reason, regarding
        case related, note, type, deprecatedSource, deprecatedFirstTimestamp, deprecatedLastTimestamp, deprecatedCount
    }

    /// Creates an event.
    public init(metadata: ObjectMeta, eventTime: MicroTime = .now, reportingController: String? = nil,
                reportingInstance: String? = nil, action: String? = nil, reason: String? = nil,
                regarding: ObjectReference? = nil, related: ObjectReference? = nil, note: String? = nil,
                type: String? = nil, series: CoreEventSeries? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        self.eventTime = eventTime
        self.reportingController = reportingController
        self.reportingInstance = reportingInstance
        self.action = action
        self.reason = reason
        self.regarding = regarding
        self.related = related
        self.note = note
        self.type = type
        self.series = series
    }
}
