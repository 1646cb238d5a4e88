// Package drivers is the task driver contract and its go-plugin glue.
//
// A driver runs tasks: it fingerprints the host, starts a task from a
// TaskConfig, waits for it, stops it with a signal and a timeout, destroys it,
// and recovers it from a TaskHandle after the client or the plugin process
// restarts. Signal and exec are optional capabilities (Signaler, Execer, and
// ExecStreamer for interactive exec with a TTY, stdin and resize).
//
// The package imports nothing from nomadlike/, so a third-party driver depends
// on this package and go-plugin only. A driver's own task config crosses the
// plugin boundary as JSON that the driver decodes and validates.
package drivers
