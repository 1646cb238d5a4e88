package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// DefaultBufferSize is how many raft entries' events a Broker keeps
// (Nomad's event_buffer_size default). A subscriber can resume from any
// index still in the buffer; one that falls further behind is closed.
const DefaultBufferSize = 100

// MaxBufferedEvents caps the events the buffer holds across its entries:
// older entries are dropped first, so that a run of huge plan results
// (thousands of allocations each) cannot pin a hundred times that many
// objects. The newest entry is always kept, whatever its size.
const MaxBufferedEvents = 20000

// ErrSubscriberBehind is returned by Subscription.Next when the buffer has
// dropped events the subscriber had not read: the stream ends, and the
// client resumes with ?index= (from the last index it saw).
var ErrSubscriberBehind = errors.New("event subscriber fell behind the event buffer and was closed; resume with ?index=")

// ErrClosed is returned by Subscription.Next once the broker is closed.
var ErrClosed = errors.New("event broker closed")

// Broker keeps the events of the last BufferSize entries and hands them to
// subscribers. It implements fsm.ChangeSink. Safe for concurrent use.
type Broker struct {
	mu     sync.Mutex
	ring   []*Events // ring[seq % len(ring)] for first <= seq < next
	first  uint64    // sequence number of the oldest buffered entry
	next   uint64    // sequence number of the next published entry
	events int       // events buffered, at most MaxBufferedEvents but for the newest entry
	wakeCh chan struct{}
	closed bool
}

// NewBroker returns a broker keeping size entries (DefaultBufferSize when
// size <= 0).
func NewBroker(size int) *Broker {
	if size <= 0 {
		size = DefaultBufferSize
	}
	return &Broker{ring: make([]*Events, size), wakeCh: make(chan struct{})}
}

// Publish turns an applied entry's changes into events and buffers them
// (fsm.ChangeSink). An entry that changed nothing of interest is skipped.
func (b *Broker) Publish(index uint64, msgType string, changes []state.Change) {
	if len(changes) == 0 {
		return
	}
	evs := FromChanges(index, msgType, changes)
	if len(evs) == 0 {
		return
	}
	b.publish(&Events{Index: index, Events: evs})
}

func (b *Broker) publish(es *Events) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	for b.first < b.next && (b.next-b.first == uint64(len(b.ring)) || b.events+len(es.Events) > MaxBufferedEvents) {
		slot := b.first % uint64(len(b.ring))
		b.events -= len(b.ring[slot].Events)
		b.ring[slot] = nil
		b.first++
	}
	b.ring[b.next%uint64(len(b.ring))] = es
	b.events += len(es.Events)
	b.next++
	close(b.wakeCh)
	b.wakeCh = make(chan struct{})
}

// Close ends every subscription (their Next returns ErrClosed).
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.wakeCh)
	}
}

// oldestLocked is the sequence number of the oldest buffered entry.
func (b *Broker) oldestLocked() uint64 { return b.first }

// Subscribe starts a subscription after raft index index: from the first
// buffered entry with a larger index (the oldest buffered one when index
// is older than the buffer), or, with index 0, from the next entry
// published.
func (b *Broker) Subscribe(index uint64, f Filter) *Subscription {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &Subscription{b: b, filter: f, cursor: b.next}
	if index > 0 {
		for seq := b.oldestLocked(); seq < b.next; seq++ {
			if b.ring[seq%uint64(len(b.ring))].Index > index {
				s.cursor = seq
				break
			}
		}
	}
	return s
}

// Subscription reads a broker's events in order. Not safe for concurrent
// use.
type Subscription struct {
	b      *Broker
	filter Filter
	cursor uint64
}

// Next returns the next entry's events that the filter lets through,
// waiting for one until ctx ends. It fails with ErrSubscriberBehind when
// the buffer dropped an entry not read yet, with ErrClosed after Close,
// and with ctx's error.
func (s *Subscription) Next(ctx context.Context) (*Events, error) {
	for {
		es, wake, err := s.take()
		if err != nil {
			return nil, err
		}
		if es != nil {
			if out := s.filter.filtered(es); out != nil {
				return out, nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wake:
		}
	}
}

// take returns the entry at the cursor (advancing it), or the channel
// closed by the next publish when there is none yet.
func (s *Subscription) take() (*Events, <-chan struct{}, error) {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, nil, ErrClosed
	}
	if s.cursor < b.oldestLocked() {
		return nil, nil, fmt.Errorf("%w (%d entries behind)", ErrSubscriberBehind, b.next-s.cursor)
	}
	if s.cursor < b.next {
		es := b.ring[s.cursor%uint64(len(b.ring))]
		s.cursor++
		return es, nil, nil
	}
	return nil, b.wakeCh, nil
}
