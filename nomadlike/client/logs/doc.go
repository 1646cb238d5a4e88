// Package logs reads a task's rotated log files (<task>.stdout.0, .1, ...
// in the allocation's alloc/logs directory) as one stream: from an offset
// relative to the start or the end, and, when following, on through new
// data and new rotated files until the caller cancels.
package logs
