// Package drivermanager runs the client's driver plugins: it launches each
// one (or reattaches to the process an earlier agent left running, from the
// reattach config it persisted), hands it its configuration, fingerprints it
// periodically into nomadlike.DriverInfo, and relaunches it when the process
// is found dead. Launching is behind the Launcher interface: GoPlugin runs
// real go-plugin processes; tests use in-process fakes.
package drivermanager
