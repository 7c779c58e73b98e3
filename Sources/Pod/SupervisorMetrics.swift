import RuntimeCore

/// The supervisor's Prometheus metrics (contract §4), read from the supervisor at scrape time so the output
/// path does no metrics work per chunk.
public enum SupervisorMetrics {
    /// Creates a registry with `agent_supervisor_*` and the standard `process_*` metrics.
    public static func registry(for supervisor: Supervisor) -> MetricsRegistry {
        let registry = MetricsRegistry()
        ProcessMetrics.register(in: registry)
        registry.register(collector: { [weak supervisor] in
            guard let supervisor else { return [] }
            return samples(supervisor.status, orphansReaped: supervisor.reaper.orphansReaped,
                           viewers: supervisor.hub.viewerCount) + turnSamples(supervisor.conversation.counts, agentType: supervisor.configuration.agentType)
        })
        return registry
    }

    static func turnSamples(_ counts: ConversationDriver.Counts, agentType: AgentType) -> [MetricFamilySample] {
        let type = ("agent_type", agentType.rawValue)
        let total = counts.byResult.values.reduce(0, +)
        return [
            MetricFamilySample(name: "agent_supervisor_turns_total", help: "Turns (messages sent with POST /message) that ended, by result.",
                               type: .counter, samples: ["completed", "failed", "interrupted"].map { r in
                                   MetricSample(labels: [type, ("result", r)], value: Double(counts.byResult[r] ?? 0))
                               }),
            MetricFamilySample(name: "agent_supervisor_turn_seconds_total", help: "Seconds spent in turns that ended.",
                               type: .counter, samples: [MetricSample(labels: [type], value: counts.seconds)]),
            MetricFamilySample(name: "agent_supervisor_turns_ended_total", help: "Turns that ended (any result), for the mean turn time.",
                               type: .counter, samples: [MetricSample(labels: [type], value: Double(total))]),
        ]
    }

    static func samples(_ status: SupervisorStatus, orphansReaped: Int, viewers: Int) -> [MetricFamilySample] {
        [
            MetricFamilySample(name: "agent_supervisor_restarts_total", help: "Restarts of the agent process.",
                               type: .counter, samples: [MetricSample(value: Double(status.restarts))]),
            MetricFamilySample(name: "agent_supervisor_output_bytes_total", help: "Bytes the agent wrote to its terminal.",
                               type: .counter, samples: [MetricSample(value: Double(status.bytesOut))]),
            MetricFamilySample(name: "agent_supervisor_input_bytes_total", help: "Bytes of input sent to the agent.",
                               type: .counter, samples: [MetricSample(value: Double(status.bytesIn))]),
            MetricFamilySample(name: "agent_supervisor_state", help: "1 for the supervisor's current state, 0 for the others.",
                               type: .gauge, samples: AgentState.allCases.map { s in
                                   MetricSample(labels: [("state", s.rawValue)], value: s == status.state ? 1 : 0)
                               }),
            MetricFamilySample(name: "agent_supervisor_last_activity_timestamp_seconds",
                               help: "Unix time of the last input or output.", type: .gauge,
                               samples: [MetricSample(value: status.lastActivityAt.timeIntervalSince1970)]),
            MetricFamilySample(name: "agent_supervisor_attached_viewers", help: "WebSocket viewers attached.",
                               type: .gauge, samples: [MetricSample(value: Double(viewers))]),
            MetricFamilySample(name: "agent_supervisor_orphans_reaped_total",
                               help: "Orphaned processes reaped (PID 1 / subreaper duty).", type: .counter,
                               samples: [MetricSample(value: Double(orphansReaped))]),
        ]
    }
}
