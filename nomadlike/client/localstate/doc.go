// Package localstate is the client agent's durable memory: the node's
// identity, every allocation it runs with its task states and driver task
// handles, and the reattach configuration of each driver plugin process.
//
// It is what lets an agent killed with -9 come back, reattach to its plugins
// and recover its running tasks instead of starting them again. BoltDB stores
// it on disk (<data_dir>/client/state.db); MemDB is the in-memory version for
// tests. Both are safe for concurrent use.
package localstate
