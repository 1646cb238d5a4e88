package scheduler_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/schedtest"
)

// BenchmarkQueueChecks is BenchmarkPlacements (batch, candidate limit 64,
// 1,000 nodes, 10 jobs × 1,000 allocations; and 1,000 jobs × 1 allocation,
// where the checks run once per placement) with nomadlike's queue checks
// in the way: "plain" jobs, jobs with three job-level depends_on (on
// finished jobs: the check reads them and lets the job through) and
// dispatched children of a parent with max_concurrent = 10 (the check
// reads the head of the parent's line). BENCHMARKS.md ("Queue and dependencies") compares
// the placements per second.
func BenchmarkQueueChecks(b *testing.B) {
	shapes := []struct {
		name           string
		numJobs, count int
	}{
		{"10x1000", 10, 1000}, // BenchmarkPlacements' shape
		{"1000x1", 1000, 1},   // worst case: one check per placement, 1,000 siblings
	}
	const numNodes = 1000
	for _, shape := range shapes {
		for _, variant := range []string{"plain", "depends_on", "max_concurrent"} {
			b.Run(shape.name+"/"+variant, func(b *testing.B) {
				benchQueueChecks(b, variant, numNodes, shape.numJobs, shape.count)
			})
		}
	}
}

func benchQueueChecks(b *testing.B, variant string, numNodes, numJobs, perJob int) {
	cfg := scheduler.DefaultConfig()
	var elapsed time.Duration
	placed := 0
	for b.Loop() {
		b.StopTimer()
		h := schedtest.New(b)
		h.AddNodes(benchNodes(numNodes)...)
		jobs := queueBenchJobs(h, variant, numJobs, perJob)
		b.StartTimer()
		start := time.Now()
		for i, job := range jobs {
			eval := fixture.Eval(job)
			eval.ID = fmt.Sprintf("%08d-1111-4000-8000-000000000000", i)
			if err := h.Process(cfg, eval); err != nil {
				b.Fatalf("Process: %v", err)
			}
		}
		elapsed += time.Since(start)
		b.StopTimer()
		for _, job := range jobs {
			placed += len(h.LiveAllocs(job))
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(placed)/elapsed.Seconds(), "placements/s")
	b.ReportMetric(float64(placed)/float64(b.N), "placed/op")
}

func queueBenchJobs(h *schedtest.Harness, variant string, numJobs, perJob int) []*nomadlike.Job {
	size := func(j *nomadlike.Job) *nomadlike.Job {
		j.TaskGroups[0].Count = perJob
		j.TaskGroups[0].Tasks[0].Resources = &nomadlike.Resources{CPU: 300, MemoryMB: 512}
		return j
	}
	var deps []string
	if variant == "depends_on" {
		for i := range 3 {
			d := namedBatch(fmt.Sprintf("dep-%d", i))
			d.Stop = true // dead: "complete" is met
			h.UpsertJob(d)
			deps = append(deps, d.ID)
		}
	}
	var parent *nomadlike.Job
	if variant == "max_concurrent" {
		parent = namedBatch("parent")
		parent.ParameterizedJob = &nomadlike.ParameterizedJobConfig{Payload: nomadlike.DispatchPayloadOptional, MaxConcurrent: numJobs}
		h.UpsertJob(parent)
	}
	var jobs []*nomadlike.Job
	for j := range numJobs {
		job := size(namedBatch(fmt.Sprintf("bench-%d", j)))
		for _, d := range deps {
			job.DependsOn = append(job.DependsOn, &nomadlike.JobDependency{Job: d, Condition: nomadlike.DependsComplete})
		}
		if parent != nil {
			job.ID = fmt.Sprintf("parent/dispatch-%d", j)
			job.ParentID, job.Dispatched, job.ParameterizedJob = parent.ID, true, parent.ParameterizedJob
		}
		jobs = append(jobs, h.UpsertJob(job))
	}
	return jobs
}

// BenchmarkDependsOnCheck is the job-level depends_on check of a job with
// three dependencies, as the scheduler runs it once per evaluation: three
// reads from a state snapshot, then nomadlike.JobDependencies.
func BenchmarkDependsOnCheck(b *testing.B) {
	h := schedtest.New(b)
	job := queueBenchJobs(h, "depends_on", 1, 1)[0]
	snap := h.Snapshot()
	for b.Loop() {
		st := nomadlike.JobDependencies(job, func(ns, id string) *nomadlike.Job {
			j, _ := snap.JobByID(ns, id)
			return j
		})
		if st.State != nomadlike.JobDepsMet {
			b.Fatalf("state %+v", st)
		}
	}
}
