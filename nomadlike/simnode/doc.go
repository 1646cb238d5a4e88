// Package simnode simulates many client nodes in one process for scale tests
// and benchmarks. Each simulated node registers with the servers over the
// real HTTP API, heartbeats at the TTL the server returns, watches its
// allocations with blocking queries and reports their status back like a
// client agent would: a new allocation goes pending, then running, then (for
// batch and sysbatch jobs, after a configurable pretend run time) complete;
// an allocation the server stops is reported complete after a pretend kill.
// Tasks never run: only their states and events are reported.
//
// Status updates of all nodes go through one batcher that coalesces the
// transitions of an allocation and sends them in batched
// PUT /v1/client/allocations/update calls, as a client agent batches its own:
// one node's allocations per call, with that node's SecretID, which the
// servers require.
//
// The simulator is safe for concurrent use once started; Stats may be read
// at any time.
package simnode
