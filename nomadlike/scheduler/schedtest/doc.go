// Package schedtest runs schedulers against a real in-memory state store
// with a recording Planner that applies plans the way the plan applier
// does: every node's proposed allocations are re-checked with
// nomadlike.AllocsFit on the newest state, and a plan whose placements do
// not fit on some node is committed partially. Only tests import it.
package schedtest
