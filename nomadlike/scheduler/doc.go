// Package scheduler decides placements. A Scheduler processes one evaluation:
// it reads the cluster through a read-only State snapshot and writes only
// through a Planner, so it runs the same under the leader's workers, under
// `job plan`, and in tests with a recording planner on an in-memory store.
//
// Subpackages: reconcile (pure diff of spec vs allocations), feasible (node
// filters that return why), rank (fit and scores). This package imports only
// nomadlike and its own subpackages.
package scheduler
