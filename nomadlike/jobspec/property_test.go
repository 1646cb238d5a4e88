package jobspec_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

// genTask is what the generator put in one task, to compare with the result.
type genTask struct {
	name        string
	cpu, memory int
	killTimeout time.Duration
	env         map[string]string
}

type genGroup struct {
	name  string
	count int
	tasks []genTask
}

var runtimeRefs = []string{
	"${node.unique.name}", "${attr.kernel.name}", "${meta.rack}", "${NOMAD_ALLOC_INDEX}",
	`${env["HOME"]}`, "${NOMAD_PORT_http}", "${attr.unique.network.ip-address}",
}

// genJob renders a random valid job file and returns what it should parse to.
func genJob(r *rand.Rand, groups int) (string, []genGroup) {
	var b strings.Builder
	var want []genGroup
	b.WriteString("job \"gen\" {\n  datacenters = [\"dc1\"]\n")
	for g := range groups {
		gg := genGroup{name: fmt.Sprintf("g%d", g), count: r.Intn(11)}
		fmt.Fprintf(&b, "  group %q {\n    count = %d\n", gg.name, gg.count)
		for t := range 1 + r.Intn(3) {
			gt := genTask{
				name:        fmt.Sprintf("t%d", t),
				cpu:         1 + r.Intn(4000),
				memory:      10 + r.Intn(4096),
				killTimeout: time.Duration(1+r.Intn(600)) * time.Second,
				env:         map[string]string{},
			}
			fmt.Fprintf(&b, "    task %q {\n      driver = \"exec\"\n      kill_timeout = %q\n", gt.name, gt.killTimeout)
			b.WriteString("      config {\n        command = \"/bin/true\"\n      }\n      env {\n")
			for e := range r.Intn(4) {
				key := fmt.Sprintf("K%d", e)
				val := fmt.Sprintf("v%d-%s-%d", r.Intn(100), runtimeRefs[r.Intn(len(runtimeRefs))], r.Intn(100))
				gt.env[key] = val
				// Not %q: quotes inside ${...} are HCL expression syntax, not escapes.
				fmt.Fprintf(&b, "        %s = \"%s\"\n", key, val)
			}
			fmt.Fprintf(&b, "      }\n      resources {\n        cpu = %d\n        memory = %d\n      }\n    }\n", gt.cpu, gt.memory)
			gg.tasks = append(gg.tasks, gt)
		}
		b.WriteString("  }\n")
		want = append(want, gg)
	}
	b.WriteString("}\n")
	return b.String(), want
}

// TestParseProperty checks, on seeded random jobs, that every group, task,
// resource, duration and env value (with runtime interpolations) survives
// parsing unchanged.
func TestParseProperty(t *testing.T) {
	r := rand.New(rand.NewSource(42))
	for i := range 200 {
		src, want := genJob(r, 1+r.Intn(5))
		job, err := jobspec.Parse("gen.nomad.hcl", []byte(src), &jobspec.ParseOptions{Environ: []string{}})
		if err != nil {
			t.Fatalf("case %d: Parse() error: %v\n%s", i, err, src)
		}
		if len(job.TaskGroups) != len(want) {
			t.Fatalf("case %d: %d groups, want %d", i, len(job.TaskGroups), len(want))
		}
		for gi, wg := range want {
			tg := job.TaskGroups[gi]
			if tg.Name != wg.name || tg.Count != wg.count || len(tg.Tasks) != len(wg.tasks) {
				t.Fatalf("case %d: group %d = %s count %d with %d tasks, want %s count %d with %d tasks",
					i, gi, tg.Name, tg.Count, len(tg.Tasks), wg.name, wg.count, len(wg.tasks))
			}
			for ti, wt := range wg.tasks {
				task := tg.Tasks[ti]
				if task.Name != wt.name || task.Resources.CPU != wt.cpu || task.Resources.MemoryMB != wt.memory || task.KillTimeout != wt.killTimeout {
					t.Fatalf("case %d: task %s = cpu %d mem %d kill %s, want %s cpu %d mem %d kill %s", i,
						task.Name, task.Resources.CPU, task.Resources.MemoryMB, task.KillTimeout,
						wt.name, wt.cpu, wt.memory, wt.killTimeout)
				}
				for k, v := range wt.env {
					if task.Env[k] != v {
						t.Fatalf("case %d: env %s = %q, want %q", i, k, task.Env[k], v)
					}
				}
				if len(task.Env) != len(wt.env) {
					t.Fatalf("case %d: env has %d keys, want %d", i, len(task.Env), len(wt.env))
				}
			}
		}
	}
}

// BenchmarkParse50Groups parses a job of 50 groups of up to 3 tasks each.
func BenchmarkParse50Groups(b *testing.B) {
	src, _ := genJob(rand.New(rand.NewSource(1)), 50)
	opts := &jobspec.ParseOptions{Environ: []string{}}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	tasks := 0
	for b.Loop() {
		job, err := jobspec.Parse("bench.nomad.hcl", []byte(src), opts)
		if err != nil {
			b.Fatal(err)
		}
		tasks = 0
		for _, tg := range job.TaskGroups {
			tasks += len(tg.Tasks)
		}
	}
	b.ReportMetric(float64(strings.Count(src, "\n")), "lines")
	b.ReportMetric(float64(tasks), "tasks")
}

// TestParseConcurrent parses the same files from several goroutines; run
// with -race it shows Parse shares no mutable state.
func TestParseConcurrent(t *testing.T) {
	src, _ := genJob(rand.New(rand.NewSource(7)), 3)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := jobspec.Parse("c.nomad.hcl", []byte(src), &jobspec.ParseOptions{Environ: []string{}})
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
