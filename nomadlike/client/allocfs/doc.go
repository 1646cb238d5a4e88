// Package allocfs reads an allocation directory for the client's file
// system API (/v1/client/fs/{ls,stat,cat,readat,stream}): it lists, stats,
// reads and follows files below the directory without ever following a
// symbolic link or leaving it. Every lookup goes through drivers/beneath on
// a descriptor of the allocation directory, so a link a task planted (to
// /etc/shadow, to another allocation) is reported as a link by List and
// Stat and refused by Open, never read through.
//
// A path is relative to the allocation directory; a leading "/" is
// dropped, as Nomad's API takes "/alloc/logs" and "alloc/logs" alike. A
// ".." component is refused, and so is anything below a task's secrets
// directory (Nomad refuses it too). Only regular files with one hard link
// are opened (no FIFO, device or hard link to a file elsewhere).
//
// Work is bounded: List fails with ErrTooManyEntries past MaxListEntries
// instead of holding a huge directory in memory; reads go through a
// caller's buffer and ReadAt callers cap their length (MaxReadAt).
package allocfs
