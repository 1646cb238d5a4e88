package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// values are domain objects with what JSON is sensitive to: driver config
// of any type, nil vs empty, escapes, floats, times with zones.
func values() []struct {
	name string
	v    any
} {
	job := fixture.Job()
	job.TaskGroups[0].Tasks[0].Config["port"] = 8080
	job.TaskGroups[0].Tasks[0].Config["floats"] = []any{0.1, 1e21, 1e-7, -0.0, math.MaxFloat64, float32(0.3)}
	job.TaskGroups[0].Tasks[0].Config["nested"] = map[string]any{"b": map[string]any{}, "a": []any{nil, true}}
	job.Meta["s"] = "<a href=\"x\">&</a> \u2028 \xff é"
	job.Datacenters = []string{}
	node := fixture.Node()
	node.Drivers["exec"].UpdateTime = time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", -7200))
	alloc := fixture.Alloc(job, node, 2)
	alloc.TaskStates = map[string]*nomadlike.TaskState{"app": {Events: []*nomadlike.TaskEvent{{Type: "Started", Details: map[string]string{}}}}}
	alloc.Metrics = &nomadlike.AllocMetric{AllocationTime: time.Millisecond, ScoreMetaData: []*nomadlike.NodeScoreMeta{{NodeID: node.ID, Scores: map[string]float64{"binpack": 0.123456789012345678}}}}
	return []struct {
		name string
		v    any
	}{
		{"job", job},
		{"node", node},
		{"alloc", alloc},
		{"allocs", []*nomadlike.Allocation{alloc, nil, {}}},
		{"map of indexes", map[string]uint64{"b": 2, "a": math.MaxUint64}},
		{"any", map[string]any{"x": []any{1.5, "y", nil, map[string]any{}}}},
	}
}

func TestMarshalIsEncodingJSON(t *testing.T) {
	for _, tc := range values() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(tc.v)
			if !bytes.Equal(got, want) {
				t.Errorf("Marshal = %s\nwant %s", got, want)
			}
		})
	}
}

func TestEncoderIsEncodingJSON(t *testing.T) {
	for _, tc := range values() {
		for _, indent := range []string{"", "    "} {
			t.Run(tc.name+"/indent="+indent, func(t *testing.T) {
				var got, want bytes.Buffer
				enc, std := NewEncoder(&got), json.NewEncoder(&want)
				enc.SetIndent("", indent)
				std.SetIndent("", indent)
				if err := enc.Encode(tc.v); err != nil {
					t.Fatal(err)
				}
				_ = std.Encode(tc.v)
				if got.String() != want.String() {
					t.Errorf("Encode = %s\nwant %s", got.String(), want.String())
				}
			})
		}
	}
}

// TestFastUnmarshalAgrees checks the fast decoder alone (without the
// encoding/json fallback) decodes what encoding/json decodes.
func TestFastUnmarshalAgrees(t *testing.T) {
	for _, tc := range values() {
		t.Run(tc.name, func(t *testing.T) {
			data, _ := json.Marshal(tc.v)
			typ := reflect.TypeOf(tc.v)
			want, got := reflect.New(typ), reflect.New(typ)
			if err := json.Unmarshal(data, want.Interface()); err != nil {
				t.Fatal(err)
			}
			if err := gojson.Unmarshal(data, got.Interface()); err != nil {
				t.Fatalf("fast Unmarshal error = %v", err)
			}
			if !reflect.DeepEqual(got.Interface(), want.Interface()) {
				t.Errorf("fast Unmarshal = %+v, want %+v", got.Elem(), want.Elem())
			}
		})
	}
}

// TestUnmarshalErrorsAreEncodingJSONs: httpapi names field paths from
// encoding/json's error types and offsets.
func TestUnmarshalErrorsAreEncodingJSONs(t *testing.T) {
	type body struct {
		Allocs []*nomadlike.Allocation
	}
	cases := []struct {
		name string
		data string
	}{
		{"type", `{"Allocs":[{"ID":"a"},{"ClientStatus":7}]}`},
		{"syntax", `{"Allocs":[{"ID":"a"},]}`},
		{"truncated", `{"Allocs":[`},
		{"empty", ``},
		{"trailing data", `{"Allocs":[]} x`},
		{"duration", `{"Allocs":[{"Metrics":{"AllocationTime":"1s"}}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdErr := json.Unmarshal([]byte(tc.data), new(body))
			err := Unmarshal([]byte(tc.data), new(body))
			if stdErr == nil || err == nil {
				t.Fatalf("Unmarshal(%s) = %v, encoding/json %v; want both errors", tc.data, err, stdErr)
			}
			if reflect.TypeOf(err) != reflect.TypeOf(stdErr) || err.Error() != stdErr.Error() {
				t.Errorf("Unmarshal(%s) = %T %v, want %T %v", tc.data, err, err, stdErr, stdErr)
			}
			var te, stdTe *json.UnmarshalTypeError
			if errors.As(stdErr, &stdTe) && (!errors.As(err, &te) || te.Offset != stdTe.Offset || te.Field != stdTe.Field) {
				t.Errorf("Unmarshal(%s) = %#v, want %#v", tc.data, err, stdErr)
			}
		})
	}
}

func TestDecoder(t *testing.T) {
	dec := NewDecoder(strings.NewReader(`{"A":1} {"A":2}`))
	type v struct{ A int }
	var got []int
	for {
		var x v
		err := dec.Decode(&x)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, x.A)
	}
	if !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("Decode stream = %v, want [1 2]", got)
	}
	strict := NewDecoder(strings.NewReader(`{"A":1,"B":2}`))
	strict.DisallowUnknownFields()
	if err := strict.Decode(new(v)); err == nil {
		t.Error("Decode with DisallowUnknownFields of an unknown field = nil, want an error")
	}
}
