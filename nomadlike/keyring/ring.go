package keyring

import (
	"fmt"
	"sort"
	"sync"
)

// Ring holds the unwrapped root keys of a server, by KeyID, and which one
// is active. Safe for concurrent use.
type Ring struct {
	mu     sync.RWMutex
	keys   map[string]*Key
	active string
}

// NewRing returns an empty ring.
func NewRing() *Ring { return &Ring{keys: map[string]*Key{}} }

// Put adds or replaces a key; an active key becomes the ring's active key.
func (r *Ring) Put(k *Key) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[k.Meta.KeyID] = k
	if k.Meta.Active() {
		r.active = k.Meta.KeyID
	}
}

// Get returns the key with this ID, or ErrKeyNotFound.
func (r *Ring) Get(id string) (*Key, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.keys[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrKeyNotFound, id)
	}
	return k, nil
}

// Has reports whether the ring holds the key.
func (r *Ring) Has(id string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.keys[id]
	return ok
}

// Active returns the active key, or ErrNoActiveKey.
func (r *Ring) Active() (*Key, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.keys[r.active]
	if !ok {
		return nil, ErrNoActiveKey
	}
	return k, nil
}

// Keys returns every key, oldest first.
func (r *Ring) Keys() []*Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Key, 0, len(r.keys))
	for _, k := range r.keys {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Meta.CreateTime < out[j].Meta.CreateTime })
	return out
}
