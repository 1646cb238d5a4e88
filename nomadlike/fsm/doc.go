// Package fsm is the raft finite state machine of the servers: it decodes
// each committed log entry (a one-byte MessageType followed by the JSON of
// the request) and applies it to the state store with the entry's raft
// index.
//
// Apply is deterministic: every replica reaches the same state. Times it
// stamps (ModifyTime, CreateTime of new objects) come from the entry's
// AppendedAt, set once by the leader. An entry that cannot be decoded makes
// Apply panic, since replicas must not diverge; a request the store rejects
// is returned as the entry's response (an error), which raft hands to the
// caller of Apply through ApplyFuture.Response. A successful entry responds
// nil.
//
// Snapshots are the store's dump (state.Reader.WriteTo); Restore builds a
// new store, swaps it in and abandons the old one so blocking queries re-run.
package fsm
