package feasible

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestMatch(t *testing.T) {
	node := fixture.Node()
	node.Name = "n1"
	node.NodeClass = "large"
	node.Attributes["cpu.numcores"] = "8"
	node.Attributes["tags"] = "ssd, gpu,fast"
	node.Meta["zone"] = "b"
	cases := []struct {
		name    string
		l, op   string
		r       string
		want    bool
		wantErr bool
	}{
		{"equal", "${attr.kernel.name}", "=", "linux", true, false},
		{"equal alt", "${attr.kernel.name}", "==", "linux", true, false},
		{"is", "${attr.kernel.name}", "is", "windows", false, false},
		{"equal missing attr", "${attr.nope}", "=", "", false, false},
		{"not equal", "${attr.kernel.name}", "!=", "windows", true, false},
		{"not equal same", "${attr.kernel.name}", "not", "linux", false, false},
		{"not equal missing attr passes", "${attr.nope}", "!=", "x", true, false},
		{"numeric less", "${attr.cpu.numcores}", "<", "10", true, false},
		{"numeric not lexical", "${attr.cpu.numcores}", ">", "10", false, false},
		{"numeric >=", "${attr.cpu.numcores}", ">=", "8", true, false},
		{"numeric <=", "${attr.cpu.numcores}", "<=", "7.5", false, false},
		{"lexical", "${meta.zone}", ">", "a", true, false},
		{"regexp", "${attr.os.name}", "regexp", "^deb", true, false},
		{"regexp no match", "${attr.os.name}", "regexp", "^ubu", false, false},
		{"bad regexp fails", "${attr.os.name}", "regexp", "(", false, false},
		{"version", "${attr.kernel.version}", "version", ">= 5.10, < 7", true, false},
		{"version fails", "${attr.kernel.version}", "version", "< 6.0", false, false},
		{"semver pessimistic", "${attr.nomad.version}", "semver", "~> 0.1", true, false},
		{"set_contains", "${attr.tags}", "set_contains", "gpu,ssd", true, false},
		{"set_contains missing one", "${attr.tags}", "set_contains_all", "gpu,nvme", false, false},
		{"set_contains_any", "${attr.tags}", "set_contains_any", "nvme,fast", true, false},
		{"set_contains_any none", "${attr.tags}", "set_contains_any", "nvme", false, false},
		{"is_set", "${attr.tags}", "is_set", "", true, false},
		{"is_set missing", "${attr.nope}", "is_set", "", false, false},
		{"is_not_set", "${attr.nope}", "is_not_set", "", true, false},
		{"unique id", "${node.unique.id}", "=", node.ID, true, false},
		{"unique name", "${node.unique.name}", "=", "n1", true, false},
		{"datacenter", "${node.datacenter}", "=", "dc1", true, false},
		{"class", "${node.class}", "=", "large", true, false},
		{"pool", "${node.pool}", "=", "default", true, false},
		{"literal both sides", "a", "=", "a", true, false},
		{"unknown operand", "a", "~~", "a", false, false},
	}
	c := NewChecker()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Match(node, tc.l, tc.op, tc.r); got != tc.want {
				t.Errorf("Match(%q %s %q) = %v, want %v", tc.l, tc.op, tc.r, got, tc.want)
			}
		})
	}
	if len(c.regexps) != 3 {
		t.Errorf("cached %d regexps, want 3", len(c.regexps))
	}
}

func TestStatic(t *testing.T) {
	cases := []struct {
		name   string
		node   func(n *nomadlike.Node)
		job    func(j *nomadlike.Job)
		want   bool
		reason string
	}{
		{"fits", func(*nomadlike.Node) {}, func(*nomadlike.Job) {}, true, ""},
		{"down", func(n *nomadlike.Node) { n.Status = nomadlike.NodeStatusDown }, func(*nomadlike.Job) {}, false, ReasonNodeNotReady},
		{"draining", func(n *nomadlike.Node) { n.DrainStrategy = &nomadlike.DrainStrategy{} }, func(*nomadlike.Job) {}, false, ReasonNodeDraining},
		{"ineligible", func(n *nomadlike.Node) { n.SchedulingEligibility = nomadlike.NodeSchedulingIneligible }, func(*nomadlike.Job) {}, false, ReasonNodeIneligible},
		{"other dc", func(*nomadlike.Node) {}, func(j *nomadlike.Job) { j.Datacenters = []string{"dc2"} }, false, ReasonDatacenter},
		{"dc glob", func(n *nomadlike.Node) { n.Datacenter = "dc-east" }, func(j *nomadlike.Job) { j.Datacenters = []string{"dc-*"} }, true, ""},
		{"dc star", func(n *nomadlike.Node) { n.Datacenter = "anything" }, func(j *nomadlike.Job) { j.Datacenters = []string{"*"} }, true, ""},
		{"other pool", func(n *nomadlike.Node) { n.NodePool = "gpu" }, func(*nomadlike.Job) {}, false, ReasonNodePool},
		{"pool all", func(n *nomadlike.Node) { n.NodePool = "gpu" }, func(j *nomadlike.Job) { j.NodePool = "all" }, true, ""},
		{"missing driver", func(*nomadlike.Node) {}, func(j *nomadlike.Job) { j.TaskGroups[0].Tasks[0].Driver = "docker" }, false, ReasonMissingDrivers},
		{"unhealthy driver", func(n *nomadlike.Node) { n.Drivers["exec"].Healthy = false }, func(*nomadlike.Job) {}, false, ReasonMissingDrivers},
		{"driver by attribute", func(n *nomadlike.Node) { n.Drivers = nil }, func(*nomadlike.Job) {}, true, ""},
		{"job constraint", func(*nomadlike.Node) {}, func(j *nomadlike.Job) {
			j.Constraints = []*nomadlike.Constraint{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "windows"}}
		}, false, "constraint ${attr.kernel.name} = windows"},
		{"task constraint", func(*nomadlike.Node) {}, func(j *nomadlike.Job) {
			j.TaskGroups[0].Tasks[0].Constraints = []*nomadlike.Constraint{{LTarget: "${meta.rack}", Operand: "!=", RTarget: "r1"}}
		}, false, "constraint ${meta.rack} != r1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, j := fixture.Node(), fixture.Job()
			tc.node(n)
			tc.job(j)
			ok, why := NewChecker().Static(n, j, j.TaskGroups[0])
			if ok != tc.want || why != tc.reason {
				t.Errorf("Static = %v, %q, want %v, %q", ok, why, tc.want, tc.reason)
			}
		})
	}
}

type fakeAllocs struct {
	nodes  map[string]*nomadlike.Node
	allocs []*nomadlike.Allocation
}

func (f *fakeAllocs) OnNode(id string) []*nomadlike.Allocation {
	var out []*nomadlike.Allocation
	for _, a := range f.allocs {
		if a.NodeID == id {
			out = append(out, a)
		}
	}
	return out
}

func (f *fakeAllocs) Each(fn func(*nomadlike.Allocation, *nomadlike.Node)) {
	for _, a := range f.allocs {
		fn(a, f.nodes[a.NodeID])
	}
}

func TestJobChecks(t *testing.T) {
	n1, n2, n3 := fixture.Node(), fixture.Node(), fixture.Node()
	n1.Meta["rack"], n2.Meta["rack"], n3.Meta["rack"] = "r1", "r1", "r2"
	job := fixture.Job()
	existing := &fakeAllocs{
		nodes:  map[string]*nomadlike.Node{n1.ID: n1, n2.ID: n2, n3.ID: n3},
		allocs: []*nomadlike.Allocation{fixture.Alloc(job, n1, 0)},
	}
	cases := []struct {
		name   string
		cons   []*nomadlike.Constraint
		node   *nomadlike.Node
		want   bool
		reason string
	}{
		{"no job constraints", nil, n1, true, ""},
		{"distinct_hosts taken", []*nomadlike.Constraint{{Operand: "distinct_hosts"}}, n1, false, ReasonDistinctHosts},
		{"distinct_hosts free", []*nomadlike.Constraint{{Operand: "distinct_hosts"}}, n2, true, ""},
		{"distinct_property used", []*nomadlike.Constraint{{Operand: "distinct_property", LTarget: "${meta.rack}"}}, n2, false, ReasonDistinctProperty},
		{"distinct_property other value", []*nomadlike.Constraint{{Operand: "distinct_property", LTarget: "${meta.rack}"}}, n3, true, ""},
		{"distinct_property limit 2", []*nomadlike.Constraint{{Operand: "distinct_property", LTarget: "${meta.rack}", RTarget: "2"}}, n2, true, ""},
		{"distinct_property missing", []*nomadlike.Constraint{{Operand: "distinct_property", LTarget: "${meta.nope}"}}, n3, false, ReasonMissingProperty},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := job.Copy()
			j.Constraints = tc.cons
			check := JobChecks(j, j.TaskGroups[0], existing)
			if check == nil {
				if !tc.want {
					t.Fatalf("JobChecks = nil, want a check")
				}
				return
			}
			if ok, why := check(tc.node); ok != tc.want || why != tc.reason {
				t.Errorf("check = %v, %q, want %v, %q", ok, why, tc.want, tc.reason)
			}
		})
	}
}

func TestComputedClass(t *testing.T) {
	a, b := fixture.Node(), fixture.Node()
	if ComputedClass(a) != ComputedClass(b) {
		t.Fatalf("nodes differing only in unique values have different classes")
	}
	b.Attributes["kernel.name"] = "darwin"
	if ComputedClass(a) == ComputedClass(b) {
		t.Fatalf("nodes with different kernels share a class")
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"dc*", "dc1", true}, {"dc*", "xdc1", false}, {"d?1", "dc1", true},
		{"*-east", "us-east", true}, {"*-east", "us-west", false}, {"dc1", "dc1", true}, {"dc1", "dc10", false},
	}
	for _, tc := range cases {
		if got := Glob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
