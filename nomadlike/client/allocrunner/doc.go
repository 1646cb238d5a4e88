// Package allocrunner runs one allocation on the client: an AllocRunner per
// allocation builds the allocation directory and coordinates the lifecycle
// of its tasks (prestart, main, poststart, poststop, sidecars, leader), and
// a TaskRunner per task drives it through a driver: prestart hooks
// (directories, artifacts, templates, config validation), start, wait,
// restart policy, kill. Both persist what they learn to localstate after
// every change, so a new agent can resume them (RecoverTask) instead of
// starting the tasks again.
//
// Task runners report every state change to their alloc runner, which
// derives the allocation's client status and hands it to a StateUpdater
// (the client's batching sender).
package allocrunner
