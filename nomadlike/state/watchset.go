package state

import memdb "github.com/hashicorp/go-memdb"

// WatchSet collects the watch channels of what reads saw: pass one to any
// read, then ws.WatchCtx(ctx) returns nil as soon as a result may have
// changed (or ctx's error first). It is the state package's name for the
// blocking-query watch, so that its consumers (httpapi, server and its
// leader duties) need not import the store's implementation (go-memdb is
// imported by this package only; scripts/layercheck.sh checks it). A nil
// WatchSet watches nothing. Not safe for concurrent use.
type WatchSet = memdb.WatchSet

// NewWatchSet returns an empty WatchSet.
func NewWatchSet() WatchSet { return memdb.NewWatchSet() }
