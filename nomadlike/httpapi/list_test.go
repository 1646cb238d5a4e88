package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// TestListAnswerIsEncodingJSON: a streamed list is byte for byte what
// encoding/json writes for the whole slice, compact and indented.
func TestListAnswerIsEncodingJSON(t *testing.T) {
	job, node := fixture.Job(), fixture.Node()
	var allocs []*nomadlike.Allocation
	var stubs []*nomadlike.AllocListStub
	for i := range 50 {
		a := fixture.Alloc(job, node, i)
		a.ClientDescription = "<&>"
		allocs = append(allocs, a)
		stubs = append(stubs, a.Stub())
	}
	stub := func(a *nomadlike.Allocation) any { return a.Stub() }
	cases := []struct {
		name   string
		ans    streamedList
		want   any
		pretty bool
	}{
		{"stubs", &listAnswer[*nomadlike.Allocation]{items: allocs, wire: stub}, stubs, false},
		{"stubs pretty", &listAnswer[*nomadlike.Allocation]{items: allocs, wire: stub}, stubs, true},
		{"whole", &listAnswer[*nomadlike.Allocation]{items: allocs[:3]}, allocs[:3], false},
		{"one pretty", &listAnswer[*nomadlike.Allocation]{items: allocs[:1]}, allocs[:1], true},
		{"empty", &listAnswer[*nomadlike.Allocation]{}, []int{}, false},
		{"empty pretty", &listAnswer[*nomadlike.Allocation]{}, []int{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got, want bytes.Buffer
			if err := tc.ans.writeTo(&got, tc.pretty); err != nil {
				t.Fatal(err)
			}
			enc := json.NewEncoder(&want)
			if tc.pretty {
				enc.SetIndent("", "    ")
			}
			if err := enc.Encode(tc.want); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("writeTo =\n%.2000s\nwant\n%.2000s", got.String(), want.String())
			}
		})
	}
}

// writeSizes is a ResponseWriter that keeps the size of the largest
// single write and the total.
type writeSizes struct {
	header       http.Header
	code         int
	largest, sum int
	writes       int
}

func (w *writeSizes) Header() http.Header  { return w.header }
func (w *writeSizes) WriteHeader(code int) { w.code = code }
func (w *writeSizes) Write(p []byte) (int, error) {
	w.largest = max(w.largest, len(p))
	w.sum += len(p)
	w.writes++
	return len(p), nil
}

// stubBackend is a Backend over a real store, for the list handlers.
type stubBackend struct {
	Backend
	st *state.StateStore
}

func (b stubBackend) State() Store             { return b.st }
func (b stubBackend) IsLeader() bool           { return true }
func (b stubBackend) Leader() (string, string) { return "", "" }
func (stubBackend) LastContact() time.Duration { return 0 }

// TestListAnswersAreStreamed lists thousands of allocations through the
// handler: the answer reaches the response in pieces of at most the stream
// buffer and one element, never as one buffer of the whole answer.
func TestListAnswersAreStreamed(t *testing.T) {
	st, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	job, node := fixture.Job(), fixture.Node()
	if err := st.UpsertNode(1, node); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertJob(2, job); err != nil {
		t.Fatal(err)
	}
	var allocs []*nomadlike.Allocation
	for i := range 3000 {
		allocs = append(allocs, fixture.Alloc(job, node, i))
	}
	if err := st.UpsertAllocs(3, allocs); err != nil {
		t.Fatal(err)
	}
	h := New(Config{Server: stubBackend{st: st}})
	for _, path := range []string{"/v1/allocations", "/v1/allocations?pretty", "/v1/node/" + node.ID + "/allocations", "/v1/job/" + job.ID + "/allocations"} {
		t.Run(path, func(t *testing.T) {
			w := &writeSizes{header: http.Header{}, code: 200}
			h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
			if w.code != 200 || w.sum < 8*streamBuffer {
				t.Fatalf("GET %s = %d, %d bytes; want 200 and more than %d bytes", path, w.code, w.sum, 8*streamBuffer)
			}
			if w.largest > 2*streamBuffer || w.largest*4 > w.sum {
				t.Errorf("GET %s: largest write %d bytes of %d in %d writes; want pieces of at most %d", path, w.largest, w.sum, w.writes, 2*streamBuffer)
			}
		})
	}
}
