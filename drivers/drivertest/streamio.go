package drivertest

import (
	"bytes"
	"io"
	"sync"
)

// Helpers for tests of interactive exec, here and in e2e/.

// SyncBuffer is a bytes.Buffer safe for one writer and polling readers.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Feeder is a stdin a test writes to without blocking: writes queue (a
// full queue of 1024 drops them), reads take them in order, Close ends it.
type Feeder struct {
	ch   chan []byte
	once sync.Once
	rest []byte
}

// NewFeeder returns an empty Feeder.
func NewFeeder() *Feeder { return &Feeder{ch: make(chan []byte, 1024)} }

// Send queues s.
func (f *Feeder) Send(s string) {
	select {
	case f.ch <- []byte(s):
	default:
	}
}

// Close ends the input: Read returns io.EOF after what was queued.
func (f *Feeder) Close() error { f.once.Do(func() { close(f.ch) }); return nil }

func (f *Feeder) Read(p []byte) (int, error) {
	if len(f.rest) == 0 {
		b, ok := <-f.ch
		if !ok {
			return 0, io.EOF
		}
		f.rest = b
	}
	n := copy(p, f.rest)
	f.rest = f.rest[n:]
	return n, nil
}
