// Package agent wires a nomadlike agent process: it loads the agent
// configuration (HCL files and directories merged in order, then command-line
// flags), validates it, and starts the server (raft, scheduler workers), the
// HTTP API listener and, when enabled, the client that runs allocations.
// Shutdown stops them in reverse order; the client leaves its tasks running
// so a restarted agent can recover them.
package agent
