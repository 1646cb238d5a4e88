// Command sleepy-driver is an example third-party task driver for
// nomadlike, built out of tree: its module requires only the driver SDK,
// github.com/nomadlike/nomadlike/drivers (and go-hclog for its logger).
//
// A sleepy task runs no process: it writes one line to its stdout log,
// "sleeps" for a number of seconds and exits, 0 or (fail = true) 1:
//
//	task "nap" {
//	  driver = "sleepy"
//	  config {
//	    seconds = 2
//	    line    = "good morning"
//	    fail    = false
//	  }
//	}
//
// Install: build it into the client's plugin_dir (the file name is the
// driver name) and enable it:
//
//	plugin_dir = "/opt/nomadlike/plugins"
//	plugin "sleepy" { config { enabled = true } }
//
// Its tasks survive a restart of the plugin or of the agent: the handle
// records when the task started and how long it sleeps, so a new plugin
// process recovers the task and ends it at the same moment with the same
// exit code.
package main

import "github.com/nomadlike/nomadlike/drivers"

func main() {
	drivers.Serve(newDriver(drivers.NewPluginLogger(driverName)))
}
