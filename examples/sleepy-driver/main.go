// Command hello-driver is an example third-party task driver for nomadlike,
// built out of tree: it depends on github.com/nomadlike/nomadlike/drivers
// (and go-plugin through it) only. Drop the binary into the client's
// plugin_dir and enable it with
//
//	plugin "hello-driver" { config { enabled = true } }
//
// A task { driver = "hello-driver" config { message = "world" sleep = "5s" } }
// writes "hello, world" to its stdout log, stays running for sleep, and exits 0.
package main

import "github.com/nomadlike/nomadlike/drivers"

func main() {
	drivers.Serve(newDriver(drivers.NewPluginLogger("hello-driver")))
}
