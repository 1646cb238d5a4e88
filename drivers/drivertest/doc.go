// Package drivertest is the conformance suite every task driver passes
// through a real plugin connection: the driver runs in its own process,
// launched with drivers.Launch, and every case talks to it over gRPC. Run
// it from a driver's tests with Run and a Harness; SelfPlugin and
// ServeIfPlugin let the test binary itself be the plugin.
package drivertest
