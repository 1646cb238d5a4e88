// Package network gives an allocation whose group network mode is bridge,
// none or cni/NAME its own network namespace, as Nomad's client does: a
// namespace bind-mounted at <netns_dir>/<alloc ID>, configured through real
// CNI plugins (libcni ADD of the "nomad" bridge conflist, or of a user
// conflist from cni_config_dir), with the allocation's reserved host ports
// mapped to their "to" ports by the portmap plugin. Manager.Teardown runs
// CNI DEL and removes the namespace; Manager.Reconcile, at agent start,
// does the same for every namespace a previous agent left behind for an
// allocation it no longer runs. What the manager made is recorded under
// its state directory, so an agent killed at any point leaks nothing the
// next one cannot find.
package network
