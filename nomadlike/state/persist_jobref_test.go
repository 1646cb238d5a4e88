package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// dumpRecords splits a dump into its header and records.
func dumpRecords(t *testing.T, dump []byte) (dumpHeader, []dumpRecord) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(dump))
	sc.Buffer(nil, 1<<24)
	var h dumpHeader
	var recs []dumpRecord
	for first := true; sc.Scan(); first = false {
		if first {
			must(t, json.Unmarshal(sc.Bytes(), &h))
			continue
		}
		var r dumpRecord
		must(t, json.Unmarshal(sc.Bytes(), &r))
		recs = append(recs, r)
	}
	must(t, sc.Err())
	return h, recs
}

// asVersion1 rewrites a version 2 dump as version 1 wrote it: every
// allocation with its Job in full.
func asVersion1(t *testing.T, s *StateStore, dump []byte) []byte {
	t.Helper()
	_, recs := dumpRecords(t, dump)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	must(t, enc.Encode(dumpHeader{Format: dumpFormat, Version: 1}))
	for _, r := range recs {
		if r.JobRef != nil {
			var a struct{ ID string }
			must(t, json.Unmarshal(r.Object, &a))
			stored, err := s.AllocByID(nil, a.ID)
			must(t, err)
			r.Object, err = json.Marshal(stored)
			must(t, err)
			r.JobRef = nil
		}
		must(t, enc.Encode(r))
	}
	return out.Bytes()
}

// A version 2 dump names each allocation's stored job version instead of
// carrying the job; it restores the same store, and so do version 1 dumps.
func TestDumpAllocJobRefs(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			s := randomState(t, seed)
			var buf bytes.Buffer
			_, err := s.WriteTo(&buf)
			must(t, err)
			h, recs := dumpRecords(t, buf.Bytes())
			if h.Version != 2 {
				t.Fatalf("dump version %d, want 2", h.Version)
			}
			for _, r := range recs {
				if r.Table != TableAllocs {
					continue
				}
				var a struct{ Job json.RawMessage }
				must(t, json.Unmarshal(r.Object, &a))
				hasJob := len(a.Job) > 0 && string(a.Job) != "null"
				if hasJob == (r.JobRef != nil) {
					t.Errorf("allocation record with Job %v and JobRef %v: want exactly one", hasJob, r.JobRef)
				}
			}
			v1 := asVersion1(t, s, buf.Bytes())
			if len(v1) < buf.Len() {
				t.Errorf("version 1 dump %d bytes, version 2 %d: want version 2 no bigger", len(v1), buf.Len())
			}
			want := tables(t, s)
			for name, dump := range map[string][]byte{"version 2": buf.Bytes(), "version 1": v1} {
				restored, err := RestoreFrom(bytes.NewReader(dump))
				must(t, err)
				got := tables(t, restored)
				for table := range want {
					if !reflect.DeepEqual(got[table], want[table]) {
						t.Errorf("%s: table %q differs after restore", name, table)
					}
				}
				allocs, err := restored.Allocs(nil, "")
				must(t, err)
				for _, a := range allocs {
					v, err := restored.JobByIDAndVersion(nil, a.Namespace, a.JobID, a.Job.Version)
					must(t, err)
					if v != nil && v.JobModifyIndex == a.Job.JobModifyIndex && v != a.Job {
						t.Errorf("%s: alloc %s does not share its stored job version", name, a.ID)
					}
				}
			}
		})
	}
}

// A JobRef to a job version the dump does not hold is a corrupt dump.
func TestRestoreRejectsDanglingJobRef(t *testing.T) {
	s := randomState(t, 3)
	var buf bytes.Buffer
	_, err := s.WriteTo(&buf)
	must(t, err)
	h, recs := dumpRecords(t, buf.Bytes())
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	must(t, enc.Encode(h))
	broken := false
	for _, r := range recs {
		if r.JobRef != nil && !broken {
			r.JobRef.JobModifyIndex += 1000
			broken = true
		}
		must(t, enc.Encode(r))
	}
	if !broken {
		t.Fatal("no allocation with a JobRef in the dump")
	}
	_, err = RestoreFrom(strings.NewReader(out.String()))
	if !errors.Is(err, ErrCorruptSnapshot) {
		t.Fatalf("RestoreFrom(dangling JobRef) = %v, want ErrCorruptSnapshot", err)
	}
}
