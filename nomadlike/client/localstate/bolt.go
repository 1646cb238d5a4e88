package localstate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Layout of the bolt file:
//
//	node/      id, secret
//	allocs/    <alloc id>/ alloc, task_runner/<task>, task_state/<task>
//	plugins/   <name> = reattach config JSON
var (
	nodeBucket    = []byte("node")
	allocsBucket  = []byte("allocs")
	pluginsBucket = []byte("plugins")
	allocKey      = []byte("alloc")
	runnerBucket  = []byte("task_runner")
	stateBucket   = []byte("task_state")
)

// BoltDB is the on-disk DB. Writes are group-committed: a write that
// finds none in progress commits at once; writes made while a commit (and
// its fsync) is in progress wait for it and then commit together in one
// transaction, so many task runners persisting at once share fsyncs
// instead of queueing for one each. Every write is durable when it returns.
type BoltDB struct {
	db *bolt.DB

	mu    sync.Mutex
	queue []*boltWrite
	busy  bool // the committer goroutine runs
}

// boltWrite is one caller's part of a group commit.
type boltWrite struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// update runs fn in a write transaction shared with concurrent writers and
// returns once it is committed.
func (b *BoltDB) update(fn func(*bolt.Tx) error) error {
	w := &boltWrite{fn: fn, done: make(chan error, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, w)
	if !b.busy {
		b.busy = true
		go b.commitQueued()
	}
	b.mu.Unlock()
	return <-w.done
}

// commitQueued commits queued writes until none is left.
func (b *BoltDB) commitQueued() {
	for {
		b.mu.Lock()
		ws := b.queue
		b.queue = nil
		if len(ws) == 0 {
			b.busy = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.commit(ws)
	}
}

// commit runs ws in one transaction. When one of them fails the whole
// transaction is rolled back and each is run again on its own, so that a
// bad write fails alone.
func (b *BoltDB) commit(ws []*boltWrite) {
	err := b.db.Update(func(tx *bolt.Tx) error {
		for _, w := range ws {
			if err := w.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(ws) == 1 {
		for _, w := range ws {
			w.done <- err
		}
		return
	}
	for _, w := range ws {
		w.done <- b.db.Update(w.fn)
	}
}

// OpenBolt opens (creating when needed) the state file at path. It fails
// after a few seconds when another process holds the file.
func OpenBolt(path string) (*BoltDB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("local state dir: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open local state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{nodeBucket, allocsBucket, pluginsBucket} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init local state: %w", err)
	}
	return &BoltDB{db: db}, nil
}

// NodeIdentity implements DB.
func (b *BoltDB) NodeIdentity() (id, secret string, err error) {
	err = b.db.View(func(tx *bolt.Tx) error {
		nb := tx.Bucket(nodeBucket)
		id = string(nb.Get([]byte("id")))
		secret = string(nb.Get([]byte("secret")))
		return nil
	})
	return id, secret, err
}

// PutNodeIdentity implements DB.
func (b *BoltDB) PutNodeIdentity(id, secret string) error {
	return b.update(func(tx *bolt.Tx) error {
		nb := tx.Bucket(nodeBucket)
		if err := nb.Put([]byte("id"), []byte(id)); err != nil {
			return err
		}
		return nb.Put([]byte("secret"), []byte(secret))
	})
}

// Allocs implements DB. An allocation whose record cannot be decoded is
// skipped with its error returned alongside the others.
func (b *BoltDB) Allocs() ([]*AllocState, error) {
	var out []*AllocState
	var bad error
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(allocsBucket).ForEachBucket(func(k []byte) error {
			ab := tx.Bucket(allocsBucket).Bucket(k)
			as := &AllocState{Tasks: map[string]*TaskRunnerState{}, TaskStates: map[string]*nomadlike.TaskState{}}
			raw := ab.Get(allocKey)
			if raw == nil {
				return nil
			}
			if err := json.Unmarshal(raw, &as.Alloc); err != nil {
				bad = fmt.Errorf("decode alloc %s: %w", k, err)
				return nil
			}
			if rb := ab.Bucket(runnerBucket); rb != nil {
				_ = rb.ForEach(func(task, v []byte) error {
					var s TaskRunnerState
					if err := json.Unmarshal(v, &s); err == nil {
						as.Tasks[string(task)] = &s
					}
					return nil
				})
			}
			if sb := ab.Bucket(stateBucket); sb != nil {
				_ = sb.ForEach(func(task, v []byte) error {
					var s nomadlike.TaskState
					if err := json.Unmarshal(v, &s); err == nil {
						as.TaskStates[string(task)] = &s
					}
					return nil
				})
			}
			out = append(out, as)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, bad
}

// allocValue is one value below an allocation's bucket: key in the
// sub-bucket sub (nil: the allocation's bucket itself).
type allocValue struct {
	sub, key []byte
	v        any
}

// putAllocValues writes vals below the allocation's bucket in one
// transaction.
func (b *BoltDB) putAllocValues(allocID string, vals ...allocValue) error {
	raws := make([][]byte, len(vals))
	for i, val := range vals {
		raw, err := json.Marshal(val.v)
		if err != nil {
			return fmt.Errorf("encode local state: %w", err)
		}
		raws[i] = raw
	}
	return b.update(func(tx *bolt.Tx) error {
		ab, err := tx.Bucket(allocsBucket).CreateBucketIfNotExists([]byte(allocID))
		if err != nil {
			return err
		}
		for i, val := range vals {
			bk := ab
			if val.sub != nil {
				if bk, err = ab.CreateBucketIfNotExists(val.sub); err != nil {
					return err
				}
			}
			if err := bk.Put(val.key, raws[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutAlloc implements DB.
func (b *BoltDB) PutAlloc(a *nomadlike.Allocation) error {
	return b.putAllocValues(a.ID, allocValue{nil, allocKey, a})
}

// PutTaskRunnerState implements DB.
func (b *BoltDB) PutTaskRunnerState(allocID, task string, s *TaskRunnerState) error {
	return b.putAllocValues(allocID, allocValue{runnerBucket, []byte(task), s})
}

// PutTaskState implements DB.
func (b *BoltDB) PutTaskState(allocID, task string, s *nomadlike.TaskState) error {
	return b.putAllocValues(allocID, allocValue{stateBucket, []byte(task), s})
}

// PutTask implements DB.
func (b *BoltDB) PutTask(allocID, task string, state *nomadlike.TaskState, runner *TaskRunnerState) error {
	return b.putAllocValues(allocID, allocValue{stateBucket, []byte(task), state}, allocValue{runnerBucket, []byte(task), runner})
}

// DeleteAlloc implements DB.
func (b *BoltDB) DeleteAlloc(allocID string) error {
	return b.update(func(tx *bolt.Tx) error {
		err := tx.Bucket(allocsBucket).DeleteBucket([]byte(allocID))
		if err == bolt.ErrBucketNotFound {
			return nil
		}
		return err
	})
}

// DriverPlugins implements DB.
func (b *BoltDB) DriverPlugins() (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(pluginsBucket).ForEach(func(k, v []byte) error {
			out[string(k)] = append(json.RawMessage(nil), v...)
			return nil
		})
	})
	return out, err
}

// PutDriverPlugin implements DB.
func (b *BoltDB) PutDriverPlugin(name string, reattach json.RawMessage) error {
	return b.update(func(tx *bolt.Tx) error {
		return tx.Bucket(pluginsBucket).Put([]byte(name), reattach)
	})
}

// DeleteDriverPlugin implements DB.
func (b *BoltDB) DeleteDriverPlugin(name string) error {
	return b.update(func(tx *bolt.Tx) error {
		return tx.Bucket(pluginsBucket).Delete([]byte(name))
	})
}

// Close implements DB.
func (b *BoltDB) Close() error { return b.db.Close() }
