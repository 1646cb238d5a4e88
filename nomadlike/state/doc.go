// Package state is the replicated state store: jobs and their versions, job
// summaries, evaluations, allocations and nodes, held in go-memdb and indexed
// by the raft index of the entry that last wrote them.
//
// Only the FSM writes, passing the raft index of the committed entry; each
// write is one memdb transaction that stamps Create/ModifyIndex on what it
// changes and raises the "index" table entry of every table it touches.
// Stored objects are immutable: a write inserts a copy, never changes an
// object in place, so readers may share what they get but must not modify it.
//
// Readers use the store directly (each call sees the latest committed state)
// or take a Snapshot, an immutable point-in-time view that implements
// scheduler.State. Every read takes a WatchSet (nil when not needed)
// that it fills with the watch channels of what it read, plus the store's
// AbandonCh. A blocking query reads, then waits with ws.WatchCtx(ctx) and
// reads again when it returns nil.
//
// The store never reads the clock: CreateTime and ModifyTime come from the
// request (the FSM stamps them from the raft entry), so replicas agree.
//
// WriteTo and RestoreFrom dump and rebuild a store for raft snapshots.
//
// The ACL store (acl.go) keeps policies by name and tokens by accessor ID
// and by the SHA-256 of their secret: a token's secret is never stored.
// The index entry "acl_token_bootstrap" records the last ACL bootstrap.
package state
