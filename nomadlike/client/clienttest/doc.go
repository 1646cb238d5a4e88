// Package clienttest holds fakes for testing the client agent without
// processes, disks or servers: a scripted fake driver whose "processes" live
// in a FakeHost that outlives any one driver instance (so a new client can
// recover them), a launcher that serves it as in-process plugins, and an
// in-memory fake of the servers' client-facing API with blocking queries.
// Only tests import it.
package clienttest
