// Package drainer is the leader's node drainer, Nomad's: it moves the
// allocations off draining nodes at the pace of each group's migrate
// block instead of all at once. For every service group with allocations
// on a draining node it marks at most max_parallel of them for migration
// (Allocation.DesiredTransition.Migrate, through raft, with an evaluation
// of the job); the scheduler stops each marked allocation and places its
// replacement, and the next one is marked only when the replacements
// have a health verdict from their clients (Allocation.DeploymentStatus,
// after the migrate block's min_healthy_time, or unhealthy at its
// healthy_deadline). Batch and sysbatch allocations are left to finish;
// system allocations are marked last, once nothing else is left (unless
// the drain ignores system jobs). When the drain's deadline passes,
// everything left is marked at once. A node whose allocations are all
// gone has its drain strategy cleared and stays ineligible.
//
// All its state is in the state store, so a new leader's drainer resumes
// where the old one stopped. Decide is the pure decision; Drainer applies
// it through a Writer.
package drainer
