// Package logs reads a task's rotated log files (<task>.stdout.0, .1, ...
// in the allocation's alloc/logs directory) as one stream: from an offset
// relative to the start or the end, and, when following, on through new
// data and new rotated files until the caller cancels.
//
// The agent reads as root, so it reads only what a driver plugin wrote: each
// file is opened beneath the log directory's descriptor without following a
// link, and only if it is a regular file of the agent's user with one hard
// link (package drivers/beneath); anything else is skipped or refused with
// ErrRefusedFile.
package logs
