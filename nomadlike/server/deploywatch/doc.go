// Package deploywatch is the leader's deployment watcher: it follows every
// running deployment and the health of its allocations, and moves it on
// through raft (the Writer): an evaluation when health changes, automatic
// promotion of healthy canaries, success (which marks the job version
// stable), failure on an unhealthy allocation or a passed progress
// deadline, and auto_revert to the latest stable job version. Its state
// is all in the state store, so a new leader's watcher resumes where the
// old one stopped. The operator actions of the deployment API (fail,
// pause, promote, revert) build their requests here too.
package deploywatch
