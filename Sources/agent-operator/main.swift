// agent-operator: the AgentSession controller (CONTRACT.md §1, §8). Everything lives in the Operator library
// (see Sources/Operator/OperatorProgram.swift and docs/operator.md).
import Operator

await OperatorProgram.main()
