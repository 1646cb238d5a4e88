package jsonx

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

type inner struct {
	A int
	B string `json:"b,omitempty"`
}

type withMethod struct {
	Items []*inner
}

func (withMethod) MarshalJSON() ([]byte, error) { return []byte(`"custom"`), nil }

type embedded struct {
	inner
	Items []*inner
}

type long struct {
	Name    string                  `json:"Name"`
	Allocs  []*nomadlike.Allocation `json:"Allocs"`
	Stopped []*nomadlike.Allocation `json:"Stopped,omitempty"`
	Values  []inner
	Ints    []int
	Skip    string `json:"-"`
	hidden  int
	Count   int               `json:"Count,omitempty"`
	Meta    map[string]string `json:"Meta,omitempty"`
	Tail    *inner
}

func allocs(n int) []*nomadlike.Allocation {
	job, node := fixture.Job(), fixture.Node()
	out := make([]*nomadlike.Allocation, n)
	for i := range out {
		out[i] = fixture.Alloc(job, node, i)
		out[i].Job = nil
		out[i].Metrics = &nomadlike.AllocMetric{ScoreMetaData: []*nomadlike.NodeScoreMeta{{NodeID: node.ID, Scores: map[string]float64{"binpack": float64(i) / 7}}}}
		if i%5 == 0 {
			out[i].ClientDescription = "<" + strconv.Itoa(i) + "> & \u2028"
		}
	}
	return out
}

func TestAppendIsMarshal(t *testing.T) {
	many := allocs(100)
	many[3] = nil
	values := make([]inner, 50)
	for i := range values {
		values[i] = inner{A: i, B: strconv.Itoa(i % 2)}
	}
	cases := []struct {
		name string
		v    any
	}{
		{"long slices", &long{Name: "x", Allocs: many, Values: values, Ints: []int{1, 2}, Skip: "no", hidden: 1, Tail: &inner{A: 1}}},
		{"omitempty set", &long{Allocs: many, Stopped: allocs(40), Count: 3, Meta: map[string]string{"b": "1", "a": "2"}}},
		{"empty slice", &long{Allocs: []*nomadlike.Allocation{}, Values: values}},
		{"short slices", &long{Allocs: allocs(3)}},
		{"nil", (*long)(nil)},
		{"value struct", long{Allocs: many}},
		{"own MarshalJSON", &withMethod{Items: make([]*inner, 100)}},
		{"embedded field", &embedded{inner: inner{A: 1}, Items: make([]*inner, 100)}},
		{"not a struct", many},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Append([]byte("prefix"), tc.v)
			if err != nil {
				t.Fatalf("Append error = %v", err)
			}
			if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[len("prefix"):], want) {
				t.Errorf("Append =\n%s\nwant prefix +\n%s", got, want)
			}
		})
	}
}

func TestAppendError(t *testing.T) {
	type bad struct {
		Items []*nomadlike.NodeScoreMeta
	}
	items := make([]*nomadlike.NodeScoreMeta, 40)
	items[39] = &nomadlike.NodeScoreMeta{NormScore: math.NaN()}
	if _, err := json.Marshal(&bad{Items: items}); err == nil {
		t.Fatal("json.Marshal of NaN = nil error")
	}
	got, err := Append([]byte("p"), &bad{Items: items})
	if err == nil {
		t.Fatalf("Append of NaN = %s, nil error; want an error", got)
	}
	if string(got) != "p" {
		t.Errorf("Append on error = %q, want dst %q", got, "p")
	}
}
