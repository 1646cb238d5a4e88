package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestWriteJSONIsEncodingJSON: answers are what encoding/json writes,
// including big fetch answers that jsonx encodes element by element.
func TestWriteJSONIsEncodingJSON(t *testing.T) {
	job, node := fixture.Job(), fixture.Node()
	fetch := &api.ClientAllocsFetchResponse{Jobs: []*nomadlike.Job{job}, Index: 7}
	for i := range 100 {
		a := fixture.Alloc(job, node, i)
		a.Job = nil
		a.ClientDescription = "<&>"
		fetch.Allocs = append(fetch.Allocs, a)
		fetch.JobOf = append(fetch.JobOf, 0)
	}
	cases := []struct {
		name, url string
		v         any
	}{
		{"fetch answer", "/v1/client/allocations/fetch", fetch},
		{"fetch answer pretty", "/v1/client/allocations/fetch?pretty", fetch},
		{"list", "/v1/allocations", fetch.Allocs},
		{"empty fetch", "/v1/client/allocations/fetch", &api.ClientAllocsFetchResponse{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeJSON(rec, httptest.NewRequest("GET", tc.url, nil), tc.v)
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			if httptest.NewRequest("GET", tc.url, nil).URL.Query().Has("pretty") {
				enc.SetIndent("", "    ")
			}
			if err := enc.Encode(tc.v); err != nil {
				t.Fatal(err)
			}
			if got := rec.Body.String(); got != want.String() {
				t.Errorf("writeJSON body =\n%s\nwant\n%s", got, want.String())
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
		})
	}
}
