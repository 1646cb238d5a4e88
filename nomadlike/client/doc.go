// Package client is the client agent: it fingerprints the host and its
// drivers into a Node, registers it with the servers and heartbeats, watches
// the node's allocations with blocking queries, runs each one through an
// alloc runner (package allocrunner), sends their status back in batches,
// and serves the /v1/client/... HTTP endpoints (logs, stats, restart,
// signal, exec) for the allocations it runs.
//
// It talks to servers only through the ServerAPI interface (satisfied by
// *api.Client) and to drivers only through plugin processes managed by
// package drivermanager. Everything needed to resume — node identity,
// allocations, task states and handles, plugin reattach configs — is kept
// in <data_dir>/client/state.db, so an agent that is killed and restarted
// reattaches to running tasks instead of starting them again.
package client
