// Package server is a nomadlike server: a raft replica of the cluster state
// (hashicorp/raft with raft-boltdb/v2 and file snapshots under DataDir, the
// TCP transport on the RPC port) and, while it leads, the cluster's brain:
// the eval broker and blocked evals, the plan applier, one scheduler worker
// per core, client heartbeat timers, the node drainer and the periodic
// launcher (periodic jobs' children, launched once across leader changes).
//
// Its exported methods are the contract httpapi and agent code against (see
// website/internals.md). Writes return after raft has committed and applied
// them, with their index; on a follower they fail with an error wrapping
// nomadlike.ErrNotLeader and the HTTP layer forwards them to the leader,
// whose HTTP address Leader reports (servers learn each other's through the
// join service on the RPC port). README.md draws the pipeline.
//
// The ACL store (acl*.go) writes policies and tokens through raft, keeping
// only the SHA-256 of token secrets, and ResolveToken turns a secret into
// its compiled ACL (httpapi.ACLResolver), cached until the ACL tables
// change; the leader deletes long-expired tokens.
package server
