// Package logging writes a task's stdout and stderr to rotated files,
// <dir>/<task>.stdout.N and <dir>/<task>.stderr.N (N from 0; Nomad's names),
// from inside the driver process: no helper process per task.
//
// The task writes to a named pipe (FIFO) it holds open read-write, so it
// never gets EPIPE, and is never killed by SIGPIPE, when the driver that
// reads the pipe dies; its writes block once the pipe buffer is full until a
// recovered driver reopens the pipe (Reopen) and drains it again.
package logging
