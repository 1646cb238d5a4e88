// Package plan holds the leader's plan queue and its single applier.
//
// Scheduler workers run in parallel on snapshots that are already a little
// old when their plans arrive, so two plans may both count on the same free
// capacity. The Applier serialises them: it takes one plan at a time, checks
// every node the plan touches against the newest state (the node exists, is
// ready for new placements, and nomadlike.AllocsFit accepts its non-terminal
// allocations after the plan's stops and with the plan's placements), keeps
// of a node that fails only the placements that still fit (nothing of a
// missing or not-ready node, and nothing at all of an AllAtOnce plan with a
// failure), commits what is
// left through a Committer (raft, on the leader) and answers the submitter
// with the nomadlike.PlanResult. A partial result carries RefreshIndex so the
// scheduler retries against a state that shows why.
//
// The package does not depend on the state store or raft: it reads through
// scheduler.State snapshots from a SnapshotFunc and writes through a
// Committer. It is leader-only: SetEnabled(false) stops the applier and fails
// queued plans with an error wrapping nomadlike.ErrNotLeader.
package plan
