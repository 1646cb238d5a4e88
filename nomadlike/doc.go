// Package nomadlike holds the domain types of the scheduler (jobs, task groups,
// tasks, nodes, allocations, evaluations, plans) and the rules that apply to them:
// defaults (Canonicalize), validation with field paths (Validate), deep copies and
// resource arithmetic.
//
// The same structs are the wire format of the HTTP API, so JSON field names and
// shapes follow Nomad's API: PascalCase names and durations as integer nanoseconds.
// This package imports only the standard library.
package nomadlike
