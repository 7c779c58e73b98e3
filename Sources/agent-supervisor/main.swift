// agent-supervisor: the PTY supervisor that runs inside every agent pod. Everything lives in the Pod library
// (see Sources/Pod/SupervisorProgram.swift and docs/supervisor.md).
import Pod

await SupervisorProgram.main()
