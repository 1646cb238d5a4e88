package httpapi

import "github.com/nomadlike/nomadlike/nomadlike"

// IdentitySigner is the optional capability of a Backend that signs
// workload identities (*server.Server has it). With ACLs on, the
// allocations a client node fetches (POST /v1/client/allocations/fetch,
// authenticated by the node's SecretID) carry each task's identity token
// in SignedIdentities; the tokens are signed on each fetch and never
// stored in Raft.
type IdentitySigner interface {
	SignIdentities(a *nomadlike.Allocation) (map[string]string, error)
}
