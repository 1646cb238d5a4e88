package autoscaler

import (
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// MaxSampleAge is how long a usage sample counts: an allocation whose
// client has not reported for this long has no value.
const MaxSampleAge = 30 * time.Second

// MaxSamples bounds the samples kept (one per allocation): past it, the
// oldest is dropped first.
const MaxSamples = 100_000

// Usage keeps the latest usage sample of each allocation, as client agents
// push them. Safe for concurrent use.
type Usage struct {
	mu      sync.Mutex
	samples map[string]sample
}

type sample struct {
	nomadlike.AllocUsage
	at time.Time
}

// NewUsage returns an empty store.
func NewUsage() *Usage { return &Usage{samples: map[string]sample{}} }

// Put records samples received at now.
func (u *Usage) Put(now time.Time, samples []nomadlike.AllocUsage) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, s := range samples {
		u.samples[s.AllocID] = sample{AllocUsage: s, at: now}
	}
	if len(u.samples) > MaxSamples {
		u.pruneLocked(now)
	}
}

// Get returns the allocation's latest sample if it is newer than
// MaxSampleAge.
func (u *Usage) Get(now time.Time, allocID string) (nomadlike.AllocUsage, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s, ok := u.samples[allocID]
	if !ok || now.Sub(s.at) > MaxSampleAge {
		return nomadlike.AllocUsage{}, false
	}
	return s.AllocUsage, true
}

// Prune drops the samples older than MaxSampleAge.
func (u *Usage) Prune(now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.pruneLocked(now)
}

func (u *Usage) pruneLocked(now time.Time) {
	for id, s := range u.samples {
		if now.Sub(s.at) > MaxSampleAge {
			delete(u.samples, id)
		}
	}
	for id := range u.samples { // still over: drop any (map order)
		if len(u.samples) <= MaxSamples {
			break
		}
		delete(u.samples, id)
	}
}
