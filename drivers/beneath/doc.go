// Package beneath opens, creates and changes files below a directory without
// ever following a symbolic link or leaving that directory, for the agent
// and driver plugins, which run as root and work inside directories a task
// can write to (an allocation's alloc/, local/ and tmp/ directories).
//
// A Dir holds an open file descriptor of its directory; every operation
// resolves its name relative to that descriptor with openat2(2) and
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS (on kernels
// without openat2, one O_NOFOLLOW openat(2) per component). A name is a
// relative, slash-separated path; an absolute name, a ".." component and a
// symbolic link anywhere in the name, last component included, are refused
// with ErrOutside or ErrLink. Only the path given to Open is resolved
// normally, apart from its last component, which must not be a link either:
// that path must be one the task cannot change.
//
// OpenExisting goes further for files the caller reads or appends to on
// someone else's behalf: it looks at the file through an O_PATH descriptor
// first and opens it only if it has the wanted type (so no device or FIFO is
// ever opened by mistake), exactly one hard link and, if asked, the wanted
// owner. The one-link rule covers hard links to files outside the directory,
// which fs.protected_hardlinks=1 (the default of most distributions) already
// forbids a task to make to a file it cannot both read and write.
//
// Names are resolved at the time of each call; a Dir is safe for concurrent
// use, but Close must not race its other methods. OpenExisting and, before
// Linux 6.6, Chmod reopen a file through /proc/self/fd, so /proc must be
// mounted. Linux only.
package beneath
