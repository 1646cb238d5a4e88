// Package feasible holds the node filters: each returns (ok bool, reason
// string), where reason is a constant (or, for constraints, the constraint
// as the user wrote it) that reaches the user in
// AllocMetric.ConstraintFiltered. Static checks depend only on the node and
// the job; JobChecks (distinct_hosts, distinct_property) also look at the
// job's other proposed allocations. Nothing here reads state.
package feasible
