import Foundation

// agentctl: see Commands.swift for the dispatch table and each command's file for its flags.
let status = await Agentctl.main(Array(CommandLine.arguments.dropFirst()))
exit(status)
