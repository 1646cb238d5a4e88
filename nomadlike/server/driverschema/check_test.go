package driverschema

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func node(id string, schemas map[string]string) *nomadlike.Node {
	n := &nomadlike.Node{ID: id, Drivers: map[string]*nomadlike.DriverInfo{}}
	for d, s := range schemas {
		n.Drivers[d] = &nomadlike.DriverInfo{Detected: true, ConfigSchema: json.RawMessage(s)}
	}
	return n
}

func job(driver string, config map[string]any) *nomadlike.Job {
	return &nomadlike.Job{ID: "j", TaskGroups: []*nomadlike.TaskGroup{{Name: "g", Tasks: []*nomadlike.Task{{Name: "t", Driver: driver, Config: config}}}}}
}

const (
	v1 = `{"Fields":[{"Name":"seconds","Kind":"int","Required":true}]}`
	v2 = `{"Fields":[{"Name":"seconds","Kind":"int","Required":true},{"Name":"fail","Kind":"bool"}]}`
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name    string
		nodes   []*nomadlike.Node
		driver  string
		config  map[string]any
		err     string
		warning string
	}{
		{name: "valid", nodes: []*nomadlike.Node{node("a", map[string]string{"sleepy": v1})}, driver: "sleepy", config: map[string]any{"seconds": 3}},
		{name: "json number float64 is an int", nodes: []*nomadlike.Node{node("a", map[string]string{"sleepy": v1})}, driver: "sleepy", config: map[string]any{"seconds": float64(3)}},
		{name: "string for number", nodes: []*nomadlike.Node{node("a", map[string]string{"sleepy": v1})}, driver: "sleepy", config: map[string]any{"seconds": "ten"},
			err: `group "g" task "t" config.seconds: must be a number, got "ten"`},
		{name: "accepted by a newer node's schema", nodes: []*nomadlike.Node{node("a", map[string]string{"sleepy": v1}), node("b", map[string]string{"sleepy": v2})}, driver: "sleepy", config: map[string]any{"seconds": 1, "fail": true}},
		{name: "refused by every schema reports the first", nodes: []*nomadlike.Node{node("b", map[string]string{"sleepy": v2}), node("a", map[string]string{"sleepy": v1})}, driver: "sleepy", config: map[string]any{"secs": 1},
			err: `group "g" task "t" config.seconds: required`},
		{name: "no schema warns", nodes: []*nomadlike.Node{node("a", map[string]string{"other": v1})}, driver: "sleepy", config: map[string]any{"x": 1},
			warning: `group "g" task "t": config could not be checked: no node has published a config schema for driver "sleepy"`},
		{name: "undecodable schema is skipped", nodes: []*nomadlike.Node{node("a", map[string]string{"sleepy": `{"Fields":7}`})}, driver: "sleepy", config: map[string]any{"x": 1},
			warning: `config could not be checked`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			warnings, err := Check(job(tc.driver, tc.config), FromNodes(tc.nodes))
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("Check() error = %v, want %q", err, tc.err)
			}
			got := strings.Join(warnings, "\n")
			if tc.warning == "" && got != "" || !strings.Contains(got, tc.warning) {
				t.Errorf("Check() warnings = %q, want %q", got, tc.warning)
			}
		})
	}
}

// BenchmarkCheck10kNodes: the work a job register adds on a cluster of
// 10,000 nodes with the three built-in drivers' schemas.
func BenchmarkCheck10kNodes(b *testing.B) {
	nodes := make([]*nomadlike.Node, 10_000)
	for i := range nodes {
		nodes[i] = node(fmt.Sprintf("node-%05d", i), map[string]string{"sleepy": v1, "exec": v2, "raw_exec": v1})
	}
	j := job("sleepy", map[string]any{"seconds": 3})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(j, FromNodes(nodes)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCacheReadsNodesOnlyWhenTheTableChanged(t *testing.T) {
	var c Cache
	reads := 0
	nodes := func() ([]*nomadlike.Node, error) {
		reads++
		return []*nomadlike.Node{node("a", map[string]string{"sleepy": v1})}, nil
	}
	for _, step := range []struct {
		index uint64
		reads int
	}{{5, 1}, {5, 1}, {6, 2}, {0, 3}, {0, 4}} {
		s, err := c.Get(step.index, nodes)
		if err != nil || len(s["sleepy"]) != 1 || reads != step.reads {
			t.Fatalf("Get(%d) = %v, %v after %d reads, want the schema after %d", step.index, s, err, reads, step.reads)
		}
	}
}
