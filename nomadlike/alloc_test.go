package nomadlike

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/nomadlike/nomadlike/nomadlike/internal/jsonx"
)

// TestTaskStateTimes: task state times encode as RFC 3339 strings (as
// Nomad's time.Time fields do), and a task state written by an older
// nomadlike, with integer unix nanoseconds (raft log entries, snapshots,
// client state), still decodes to the same instants, through both the
// standard decoder and the fast one the FSM uses.
func TestTaskStateTimes(t *testing.T) {
	started := time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.UTC)
	restarted := started.Add(-time.Minute)
	cases := []struct {
		name    string
		in      string
		want    TaskState
		wantErr string
	}{
		{"integer nanoseconds (old entries)",
			`{"State":"dead","Restarts":2,"LastRestart":` + itoa64(restarted.UnixNano()) + `,"StartedAt":` + itoa64(started.UnixNano()) + `,"FinishedAt":0,"Events":[{"Type":"Started","Time":5}]}`,
			TaskState{State: "dead", Restarts: 2, LastRestart: Time{restarted}, StartedAt: Time{started}, Events: []*TaskEvent{{Type: "Started", Time: 5}}}, ""},
		{"RFC 3339 strings",
			`{"State":"running","LastRestart":"0001-01-01T00:00:00Z","StartedAt":"2026-03-04T05:06:07.891011121Z","FinishedAt":null}`,
			TaskState{State: "running", StartedAt: Time{started}}, ""},
		{"missing times", `{"State":"pending"}`, TaskState{State: "pending"}, ""},
		{"a boolean is refused with the field", `{"StartedAt":true}`, TaskState{}, "StartedAt"},
		{"a bad string is refused", `{"FinishedAt":"yesterday"}`, TaskState{}, "yesterday"},
		{"a fraction is refused", `{"LastRestart":1.5}`, TaskState{}, "LastRestart"},
	}
	decoders := map[string]func([]byte, any) error{"encoding/json": json.Unmarshal, "jsonx": jsonx.Unmarshal}
	for _, tc := range cases {
		for dname, dec := range decoders {
			t.Run(tc.name+"/"+dname, func(t *testing.T) {
				var got TaskState
				err := dec([]byte(tc.in), &got)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("decoded %+v, want %+v", got, tc.want)
				}
				// What we write now is strings, and reads back equal.
				b, err := json.Marshal(&got)
				if err != nil {
					t.Fatal(err)
				}
				var m map[string]any
				if err := json.Unmarshal(b, &m); err != nil {
					t.Fatal(err)
				}
				for _, f := range []string{"LastRestart", "StartedAt", "FinishedAt"} {
					if _, ok := m[f].(string); !ok {
						t.Errorf("%s encodes as %T (%v), want an RFC 3339 string", f, m[f], m[f])
					}
				}
				var again TaskState
				if err := dec(b, &again); err != nil || !reflect.DeepEqual(again, got) {
					t.Fatalf("round trip = %+v, %v; want %+v", again, err, got)
				}
			})
		}
	}
}

// TestAllocationOldTaskStatesDecode: an allocation inside an old raft
// entry (a map of task states with integer times) decodes.
func TestAllocationOldTaskStatesDecode(t *testing.T) {
	in := `{"ID":"a","TaskStates":{"web":{"State":"running","StartedAt":1700000000000000000,"LastRestart":0,"FinishedAt":0}},"CreateTime":1700000000000000000}`
	var a Allocation
	if err := jsonx.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	if got := a.TaskStates["web"].StartedAt; !got.Equal(time.Unix(0, 1700000000000000000)) {
		t.Fatalf("StartedAt = %v", got)
	}
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }

// The structs a server stores per allocation stay within their allocation
// size classes (a field added in the wrong place can cost a class: 16 bytes
// and more per allocation, tens of MiB at a million).
func TestStoredStructSizes(t *testing.T) {
	cases := []struct {
		name      string
		size, max uintptr
	}{
		{"Allocation", unsafe.Sizeof(Allocation{}), 384},
		{"TaskEvent", unsafe.Sizeof(TaskEvent{}), 128},
		{"TaskState", unsafe.Sizeof(TaskState{}), 144},
		{"AllocMetric", unsafe.Sizeof(AllocMetric{}), 112},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.size > tc.max {
				t.Fatalf("unsafe.Sizeof(%s{}) = %d, want at most %d", tc.name, tc.size, tc.max)
			}
		})
	}
}
