// Package rawexec is the raw_exec driver: it runs a command directly on the
// host as the agent's user, with no isolation. It is disabled unless the
// agent enables it (plugin "raw_exec" { config { enabled = true } }).
// Tasks are tracked by process group, their output goes through
// drivers/logging, and they survive the driver plugin process restarting.
package rawexec
