// Package autoscaler is nomadlike's built-in autoscaler (issue #17): a loop
// on the leader that runs the policy of every enabled group scaling block,
// written in the Nomad Autoscaler's syntax for its nomad-apm source, and
// scales the group through the server's job scale (so min, max and
// job_max_count hold), recording each decision as a scaling event with its
// reason.
//
// Metrics come from the usage samples client agents push for the
// allocations of groups that have an enabled policy (Usage, kept in memory
// on the leader: latest sample per allocation, dropped after MaxSampleAge).
// Decisions are pure (Decide); the loop only gathers inputs and acts.
package autoscaler
