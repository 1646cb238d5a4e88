// Package services registers a client's service instances in the servers'
// catalog (Nomad's native service discovery, provider "nomad"; nomadlike
// has no Consul, so provider "consul" and the default register here too).
//
// The Manager is level-triggered: every change of an allocation's client
// state (AllocStateUpdated) or of its checks (ChecksChanged, which only
// marks the allocation, for Run to recompute) recomputes the registrations
// the allocation should have (Registrations, a pure function), and one
// goroutine (Run) sends the differences to the servers in batches,
// retrying until they are accepted. Before an allocation's tasks
// are killed, Deregister removes its instances at once and synchronously,
// so that the shutdown_delay that follows drains traffic instead of
// racing it.
//
// Check status comes through the CheckStatus seam (the client check
// runner implements it); without checks every instance is passing.
package services
