// Package identity hands a task its workload identity: the JWT the
// servers signed for it (Allocation.SignedIdentities, see
// httpapi.IdentitySigner) goes to secrets/nomad_token, or the identity's
// filepath (mode 0600, written beneath the allocation directory's
// descriptor, package drivers/beneath), when the task's identity block
// says file = true, and to NOMAD_TOKEN when it says env = true. A task
// without an identity block gets neither (as Nomad's default identity),
// but the token stays available to the client (Token) for template
// rendering. A token with a ttl is renewed at half its life (Renewer,
// renew.go); the alloc runner's identity hook installs it and applies the
// identity's change_mode.
package identity
