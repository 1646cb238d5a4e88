package client

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
)

// fakeFS is a file system whose usage drops by a fixed amount per
// destroyed allocation.
type fakeFS struct {
	mu           sync.Mutex
	disk, inodes float64
	perAlloc     float64
}

func (f *fakeFS) usage() (Usage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Usage{DiskPercent: f.disk, InodePercent: f.inodes}, nil
}

func (f *fakeFS) destroyed() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disk -= f.perAlloc
	f.inodes -= f.perAlloc
}

// fsStart is a fakeFS's first usage and how much each destroy frees.
type fsStart struct{ disk, inodes, perAlloc float64 }

func TestGCPlan(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Candidates out of order: c finished first, then a, then b, then d.
	cands := func() []gcCandidate {
		return []gcCandidate{
			{"a", t0.Add(2 * time.Minute)}, {"b", t0.Add(3 * time.Minute)},
			{"c", t0.Add(time.Minute)}, {"d", t0.Add(4 * time.Minute)},
		}
	}
	tests := []struct {
		name  string
		cfg   GCConfig
		total int
		fs    fsStart
		want  []string
	}{
		{"under every bound", GCConfig{MaxAllocs: 10}, 6, fsStart{disk: 50, inodes: 50}, nil},
		{"over max allocs, oldest first", GCConfig{MaxAllocs: 4}, 6, fsStart{disk: 10, inodes: 10}, []string{"c", "a"}},
		{"over max allocs with few terminal", GCConfig{MaxAllocs: 1}, 10, fsStart{}, []string{"c", "a", "b", "d"}},
		{"disk over threshold until under", GCConfig{MaxAllocs: 50}, 6, fsStart{disk: 90, inodes: 10, perAlloc: 6}, []string{"c", "a"}},
		{"inodes over threshold", GCConfig{MaxAllocs: 50}, 6, fsStart{disk: 10, inodes: 75, perAlloc: 4}, []string{"c", "a"}},
		{"full disk takes every terminal one", GCConfig{MaxAllocs: 50}, 6, fsStart{disk: 99, inodes: 10}, []string{"c", "a", "b", "d"}},
		{"count then disk", GCConfig{MaxAllocs: 5}, 6, fsStart{disk: 85, inodes: 10, perAlloc: 4}, []string{"c", "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.setDefaults()
			fs := &fakeFS{disk: tc.fs.disk, inodes: tc.fs.inodes, perAlloc: tc.fs.perAlloc}
			var mu sync.Mutex
			var got []string
			done, err := cfg.plan(cands(), tc.total, fs.usage, func(id string) {
				mu.Lock()
				got = append(got, id)
				mu.Unlock()
				fs.destroyed()
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(done, tc.want) {
				t.Fatalf("collected %v, want %v", done, tc.want)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("destroyed %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGCPlanUsageError(t *testing.T) {
	cfg := GCConfig{}
	cfg.setDefaults()
	boom := errors.New("statfs failed")
	done, err := cfg.plan([]gcCandidate{{"a", time.Now()}}, 1, func() (Usage, error) { return Usage{}, boom }, func(string) { t.Fatal("destroyed without a measure") })
	if !errors.Is(err, boom) || len(done) != 0 {
		t.Fatalf("plan = %v, %v", done, err)
	}
}

func TestGCConfigValidate(t *testing.T) {
	for _, g := range []GCConfig{{DiskUsageThreshold: 101}, {InodeUsageThreshold: 300}} {
		if err := g.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: %v", g, err)
		}
	}
}

const testAllocID = "0b5b3c9e-8f6a-4c1d-9e2f-3a4b5c6d7e8f"

// allocWithLogs builds an alloc dir with log files of task "t".
func allocWithLogs(t *testing.T, files map[string]string) *allocdir.AllocDir {
	t.Helper()
	ad := allocdir.New(t.TempDir(), testAllocID)
	if err := ad.Build(); err != nil {
		t.Fatal(err)
	}
	for n, data := range files {
		if err := os.WriteFile(filepath.Join(ad.LogDir(), n), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ad
}

func TestRetainKeepsNewestWithinBound(t *testing.T) {
	ad := allocWithLogs(t, map[string]string{"t.stdout.0": "old-old-", "t.stdout.1": "new", "t.stderr.0": "err", "junk": "x"})
	root := filepath.Join(t.TempDir(), "retained")
	s, err := openRetained(root, time.Hour, 7, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	a := &nomadlike.Allocation{ID: testAllocID, Namespace: "ns1"}
	if err := s.Retain(a, []string{"t"}, time.Now(), ad); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	entries, _ := os.ReadDir(s.Dir(testAllocID))
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(s.Dir(testAllocID), e.Name()))
		got[e.Name()] = string(b)
	}
	delete(got, retainedMeta)
	// Newest first within 7 bytes: stdout.1 (3), then stderr.0 (3), then
	// the last byte of stdout.0.
	want := map[string]string{"t.stdout.1": "new", "t.stderr.0": "err", "t.stdout.0": "-"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("retained %v, want %v", got, want)
	}
	// A new agent finds it again.
	s2, err := openRetained(root, time.Hour, 7, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	ra, ok := s2.Lookup(testAllocID[:8])
	if !ok || ra.Namespace != "ns1" || ra.Bytes != 7 {
		t.Fatalf("after reopen: %+v %v", ra, ok)
	}
}

// A task that could write to alloc/logs (or to any directory of the alloc
// dir) plants links to a host file: the retained copy never holds the host
// file's contents.
func TestRetainRefusesPlantedLinks(t *testing.T) {
	host := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(host, []byte("root:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ad := allocWithLogs(t, map[string]string{"t.stdout.0": "mine"})
	if err := os.Symlink(host, filepath.Join(ad.LogDir(), "t.stdout.1")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(host, filepath.Join(ad.LogDir(), "t.stderr.0")); err != nil {
		t.Fatal(err)
	}
	s, err := openRetained(filepath.Join(t.TempDir(), "retained"), time.Hour, 1<<20, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Retain(&nomadlike.Allocation{ID: testAllocID}, []string{"t"}, time.Now(), ad); err != nil {
		t.Fatal(err)
	}
	err = filepath.Walk(s.Dir(testAllocID), func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b, _ := os.ReadFile(p)
		if fi.Mode().IsRegular() && strings.Contains(string(b), "secret") {
			t.Errorf("%s holds the host file's contents", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRetainedPrune(t *testing.T) {
	s, err := openRetained(filepath.Join(t.TempDir(), "retained"), time.Hour, 10, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	ids := []string{
		"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002",
		"00000000-0000-4000-8000-000000000003", "00000000-0000-4000-8000-000000000004",
	}
	finished := []time.Time{now.Add(-2 * time.Hour), now.Add(-30 * time.Minute), now.Add(-20 * time.Minute), now.Add(-time.Minute)}
	for i, id := range ids {
		ad := allocWithLogsID(t, id, "12345")
		if err := s.Retain(&nomadlike.Allocation{ID: id}, []string{"t"}, finished[i], ad); err != nil {
			t.Fatal(err)
		}
	}
	// 1 is past the period; 2 is the oldest of 5+5+5 > 10 bytes.
	for i, want := range []bool{false, false, true, true} {
		if _, ok := s.Lookup(ids[i]); ok != want {
			t.Errorf("%s kept = %v, want %v", ids[i], ok, want)
		}
		if _, err := os.Stat(s.Dir(ids[i])); (err == nil) != want {
			t.Errorf("%s directory there = %v, want %v", ids[i], err == nil, want)
		}
	}
}

func allocWithLogsID(t *testing.T, id, data string) *allocdir.AllocDir {
	t.Helper()
	ad := allocdir.New(t.TempDir(), id)
	if err := ad.Build(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ad.LogDir(), "t.stdout.0"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return ad
}
