package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/simnode"
)

// The cluster-scale benchmarks: a real server agent process (on-disk raft)
// on loopback, simulated client nodes in this process talking to it over
// the HTTP API, and jobs submitted through the API. Each runs its workload
// once per iteration; run them with -benchtime 1x (make bench does). Sizes
// scale with NOMADLIKE_BENCH_SCALE; NOMADLIKE_BENCH_WATCH_INTERVAL sets the
// simulated nodes' least time between allocation queries (0 by default, as
// a client agent); NOMADLIKE_BENCH_MAX_BATCH caps the allocations
// per status update call; NOMADLIKE_BENCH_CPUPROFILE=path writes a CPU
// profile of the server agent (it runs with enable_debug), and
// NOMADLIKE_BENCH_HEAPPROFILE=path a heap profile right after it.

// benchAPI returns an API client with a connection pool for thousands of
// concurrent blocking queries.
func benchAPI(tb testing.TB, addr string) *api.Client {
	tb.Helper()
	c, err := api.NewClient(api.Config{Address: addr, HTTPClient: &http.Client{Transport: &http.Transport{
		MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: 90 * time.Second, DisableCompression: true,
	}}})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// benchServer starts one server agent process and returns it.
func benchServer(tb testing.TB) *faultAgent {
	tb.Helper()
	level := os.Getenv("NOMADLIKE_BENCH_LOG_LEVEL")
	if level == "" {
		level = "WARN"
	}
	// NOMADLIKE_BENCH_SERVER_CONFIG is extra agent HCL for the server, e.g.
	// "server { num_schedulers = 4 }", to compare settings.
	// The simulated nodes all come from 127.0.0.1, two connections each:
	// far over the default limits.http_max_conns_per_client of 100.
	serverConfig := "enable_debug = true\nlimits {\n  http_max_conns_per_client = 0\n}\n"
	if extra := os.Getenv("NOMADLIKE_BENCH_SERVER_CONFIG"); extra != "" {
		serverConfig += extra + "\n"
	}
	c := newFaultCluster(tb, clusterOptions{servers: 1, logLevel: level, serverConfig: serverConfig})
	srv := c.servers[0]
	if path := os.Getenv("NOMADLIKE_BENCH_CPUPROFILE"); path != "" {
		go serverProfile(tb, srv.HTTPAddr(), path)
	}
	if path := os.Getenv("NOMADLIKE_BENCH_TRACE"); path != "" {
		go serverTrace(tb, srv.HTTPAddr(), path)
	}
	return srv
}

// serverTrace writes a runtime trace of the server agent to path: 5 s
// (NOMADLIKE_BENCH_TRACE_SECONDS) from NOMADLIKE_BENCH_CPUPROFILE_DELAY
// (5 s) after it started. `go tool trace -pprof=sync path` then says where
// its goroutines waited (the plan applier, workers, raft).
func serverTrace(tb testing.TB, addr, path string) {
	time.Sleep(profileDelay())
	fetchTo(tb, "server trace", "http://"+addr+"/debug/pprof/trace?seconds="+envOr("NOMADLIKE_BENCH_TRACE_SECONDS", "5"), path)
}

// serverProfile writes a CPU profile of the server agent to path: 30 s
// (NOMADLIKE_BENCH_CPUPROFILE_SECONDS) from 5 s
// (NOMADLIKE_BENCH_CPUPROFILE_DELAY) after it started.
func serverProfile(tb testing.TB, addr, path string) {
	time.Sleep(profileDelay())
	if !fetchTo(tb, "server CPU profile", "http://"+addr+"/debug/pprof/profile?seconds="+envOr("NOMADLIKE_BENCH_CPUPROFILE_SECONDS", "30"), path) {
		return
	}
	if heap := os.Getenv("NOMADLIKE_BENCH_HEAPPROFILE"); heap != "" {
		fetchTo(tb, "server heap profile", "http://"+addr+"/debug/pprof/heap", heap)
	}
}

// profileDelay is NOMADLIKE_BENCH_CPUPROFILE_DELAY, 5 s by default.
func profileDelay() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("NOMADLIKE_BENCH_CPUPROFILE_DELAY")); err == nil {
		return d
	}
	return 5 * time.Second
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// fetchTo writes the body of url to path; it logs what failed and reports
// whether all went well.
func fetchTo(tb testing.TB, what, url, path string) bool {
	resp, err := http.Get(url)
	if err != nil {
		tb.Logf("%s: %v", what, err)
		return false
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		tb.Logf("%s: %v", what, err)
		return false
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		tb.Logf("%s: %v", what, err)
		return false
	}
	return true
}

// startSim registers count simulated nodes with the server and returns the
// simulator (stopped when the benchmark ends) and the registration time.
func startSim(tb testing.TB, addr string, cfg simnode.Config) (*simnode.Simulator, time.Duration) {
	tb.Helper()
	cfg.Servers = []string{addr}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if s := os.Getenv("NOMADLIKE_BENCH_WATCH_INTERVAL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			tb.Fatalf("NOMADLIKE_BENCH_WATCH_INTERVAL=%q: %v", s, err)
		}
		cfg.MinWatchInterval = d
	}
	if s := os.Getenv("NOMADLIKE_BENCH_MAX_BATCH"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			tb.Fatalf("NOMADLIKE_BENCH_MAX_BATCH=%q: %v", s, err)
		}
		cfg.MaxBatch = n
	}
	sim, err := simnode.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(sim.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	if err := sim.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	return sim, time.Since(start)
}

// waitSim polls the simulator until cond holds or timeout.
func waitSim(tb testing.TB, sim *simnode.Simulator, timeout time.Duration, what string, cond func(simnode.Stats) bool) time.Time {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := sim.Stats()
		if cond(st) {
			return time.Now()
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s: %+v", timeout, what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// placementReport is what a placement workload measured.
type placementReport struct {
	name               string
	nodes, placements  int
	register, wall     time.Duration
	p50, p99           time.Duration
	nodesSaw, running  time.Duration // from the first submit
	serverHWMKB        int64
	simWatches, simGot uint64
	plan               map[string]float64 // the server's nomad.nomad.plan.* gauges
}

func (r placementReport) report(b *testing.B) {
	b.ReportMetric(r.wall.Seconds(), "wall_s")
	b.ReportMetric(float64(r.placements)/r.wall.Seconds(), "placements/s")
	b.ReportMetric(float64(r.p50.Milliseconds()), "p50_ms")
	b.ReportMetric(float64(r.p99.Milliseconds()), "p99_ms")
	b.ReportMetric(float64(r.serverHWMKB)/1024, "server_MiB")
	b.Logf("%s: %d nodes registered in %v; %d placements in %v (%.0f/s); submit→placed p50 %v p99 %v; "+
		"all seen by the nodes after %v, all reported running/complete after %v; server peak RSS %s; "+
		"%d node allocation queries carried %d allocations; plans: %v applied in full, %v in part (%v node rejections)",
		r.name, r.nodes, r.register.Round(time.Millisecond), r.placements, r.wall.Round(time.Millisecond),
		float64(r.placements)/r.wall.Seconds(), r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond),
		r.nodesSaw.Round(time.Millisecond), r.running.Round(time.Millisecond), mib(r.serverHWMKB), r.simWatches, r.simGot,
		r.plan["applied"], r.plan["partial"], r.plan["rejected_nodes"])
}

// planGauges reads the server's plan applier counters from /v1/metrics.
func planGauges(ctx context.Context, c *api.Client) map[string]float64 {
	var ms struct {
		Gauges []struct {
			Name  string
			Value float64
		}
	}
	out := map[string]float64{}
	if _, err := c.Query(ctx, "/v1/metrics", &ms, nil); err != nil {
		return out
	}
	for _, g := range ms.Gauges {
		// "nomad.nomad.plan.applied", or "nomad.<host>.nomad.plan.applied"
		// unless telemetry.disable_hostname is set.
		const sub = "nomad.plan."
		if i := strings.LastIndex(g.Name, sub); i >= 0 {
			out[g.Name[i+len(sub):]] = g.Value
		}
	}
	return out
}

// runPlacement runs one placement workload: nodes simulated nodes, the jobs
// submitted by workers writers, and waits until every allocation is placed
// and the nodes reported all of them.
func runPlacement(b *testing.B, name string, nodes int, simCfg simnode.Config, jobs []*nomadlike.Job, workers int) placementReport {
	srv := benchServer(b)
	addr := srv.HTTPAddr()
	simCfg.Count = nodes
	sim, reg := startSim(b, addr, simCfg)
	c := benchAPI(b, addr)
	total := 0
	for _, j := range jobs {
		total += j.TotalCount()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start := time.Now()
	runs, err := submitAll(ctx, c, jobs, workers)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	var last time.Time
	for _, r := range runs {
		if r.placed.After(last) {
			last = r.placed
		}
	}
	lat := latencies(runs)
	saw := waitSim(b, sim, 20*time.Minute, "nodes to see every allocation", func(s simnode.Stats) bool {
		return s.AllocsSeen >= uint64(total)
	})
	reported := waitSim(b, sim, 20*time.Minute, "nodes to report every allocation", func(s simnode.Stats) bool {
		return s.Running+s.Complete >= uint64(total) && s.QueuedUpdates == 0
	})
	hwm, err := procStatusKB(srv.PID(), "VmHWM")
	if err != nil {
		b.Fatalf("server memory: %v", err)
	}
	st := sim.Stats()
	return placementReport{
		name: name, nodes: nodes, placements: total, register: reg, wall: last.Sub(start),
		p50: percentile(lat, 50), p99: percentile(lat, 99),
		nodesSaw: saw.Sub(start), running: reported.Sub(start), serverHWMKB: hwm,
		simWatches: st.Watches, simGot: st.AllocsReceived, plan: planGauges(ctx, c),
	}
}

// c1mNodeConfig is the node shape of workloads 1 and 2: big enough that a
// thousand small allocations fit on a fifth of the nodes of one class.
func c1mNodeConfig() simnode.Config {
	return simnode.Config{CPU: 10000, MemoryMB: 16384, DiskMB: 100 * 1024, Classes: []string{"c1", "c2"}}
}

// BenchmarkClusterC1M is workload 1: Nomad's C1M shape scaled to this
// machine: 5,000 nodes, 1,000 jobs of 1,000 allocations (cpu 20, memory
// 10), with and without a node-class constraint (half the nodes are c1).
func BenchmarkClusterC1M(b *testing.B) {
	scale := benchScale(b)
	nodes, jobs := scaled(5000, scale), scaled(1000, scale)
	for _, class := range []string{"", "c1"} {
		name := "no-constraint"
		if class != "" {
			name = "class-constraint"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var js []*nomadlike.Job
				for j := 0; j < jobs; j++ {
					js = append(js, benchJob(fmt.Sprintf("c1m-%d", j), nomadlike.JobTypeService, 1000, 20, 10, class))
				}
				runPlacement(b, "C1M "+name, nodes, c1mNodeConfig(), js, 16).report(b)
			}
		})
	}
}

// BenchmarkClusterBigJob is workload 2: 5,000 nodes, one job of count
// 100,000.
func BenchmarkClusterBigJob(b *testing.B) {
	scale := benchScale(b)
	nodes, count := scaled(5000, scale), scaled(100000, scale)
	for i := 0; i < b.N; i++ {
		js := []*nomadlike.Job{benchJob("big", nomadlike.JobTypeService, count, 20, 10, "")}
		runPlacement(b, "one big job", nodes, c1mNodeConfig(), js, 1).report(b)
	}
}

// BenchmarkClusterBatchStream is workload 3: 10,000 short batch jobs of
// count 1 submitted as fast as the API takes them (32 writers), timed until
// every allocation is reported complete by the simulated nodes.
func BenchmarkClusterBatchStream(b *testing.B) {
	scale := benchScale(b)
	nodes, jobs := scaled(1000, scale), scaled(10000, scale)
	for i := 0; i < b.N; i++ {
		srv := benchServer(b)
		addr := srv.HTTPAddr()
		completed := newCompletionObserver()
		sim, _ := startSim(b, addr, simnode.Config{Count: nodes, Observer: completed})
		c := benchAPI(b, addr)
		var js []*nomadlike.Job
		for j := 0; j < jobs; j++ {
			js = append(js, benchJob(fmt.Sprintf("short-%d", j), nomadlike.JobTypeBatch, 1, 20, 10, ""))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		start := time.Now()
		submitted := make(map[string]time.Time, len(js))
		runs, err := submitOnly(ctx, c, js, 32)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		acceptedIn := time.Since(start)
		for _, r := range runs {
			submitted[r.job.ID] = r.submit
		}
		done := waitSim(b, sim, 20*time.Minute, "every batch allocation complete", func(s simnode.Stats) bool {
			return s.Complete >= uint64(jobs)
		})
		wall := done.Sub(start)
		lat := completed.latencies(submitted)
		hwm, err := procStatusKB(srv.PID(), "VmHWM")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(wall.Seconds(), "wall_s")
		b.ReportMetric(float64(jobs)/wall.Seconds(), "jobs/s")
		b.ReportMetric(float64(percentile(lat, 50).Milliseconds()), "p50_ms")
		b.ReportMetric(float64(percentile(lat, 99).Milliseconds()), "p99_ms")
		b.ReportMetric(float64(hwm)/1024, "server_MiB")
		gctx, gcancel := context.WithTimeout(context.Background(), 10*time.Second)
		plan := planGauges(gctx, c)
		gcancel()
		b.Logf("batch stream: %d jobs accepted in %v (%.0f/s), all complete after %v (%.0f jobs/s); "+
			"submit→complete p50 %v p99 %v; server peak RSS %s; plans: %v applied in full, %v in part, in %v raft writes",
			jobs, acceptedIn.Round(time.Millisecond), float64(jobs)/acceptedIn.Seconds(), wall.Round(time.Millisecond),
			float64(jobs)/wall.Seconds(), percentile(lat, 50).Round(time.Millisecond),
			percentile(lat, 99).Round(time.Millisecond), mib(hwm), plan["applied"], plan["partial"], plan["commits"])
	}
}

// BenchmarkClusterPacking is workload 4: a fixed, seeded mix of task sizes
// on 4,000 MHz / 8 GiB nodes, submitted one job at a time (each job ten
// copies of one size); nodes used against best-fit-decreasing, and the
// share of the used nodes' capacity left free but too small for any size.
func BenchmarkClusterPacking(b *testing.B) {
	scale := benchScale(b)
	jobs := scaled(200, scale)
	node := item{4000, 8192}
	for _, order := range []string{"random", "decreasing"} {
		b.Run(order, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r := rand.New(rand.NewPCG(7, 11))
				shapes := packingMix(7, jobs)
				var items []item
				var js []*nomadlike.Job
				for j, s := range shapes {
					js = append(js, benchJob(fmt.Sprintf("pack-%d", j), nomadlike.JobTypeService, 10, int(s.cpu), int(s.mem), ""))
					for k := 0; k < 10; k++ {
						items = append(items, s)
					}
				}
				if order == "decreasing" {
					sortJobsDecreasing(js, node)
				} else {
					r.Shuffle(len(js), func(x, y int) { js[x], js[y] = js[y], js[x] })
				}
				bfd := bestFitDecreasing(items, node)
				nodes := bfd + bfd/4 + 1 // room to spread, so packing is a choice
				rep := runPacking(b, js, nodes, node)
				smallest := item{100, 128}
				cpuLeft, memLeft := stranded(rep.free, node, smallest)
				b.ReportMetric(float64(len(rep.free)), "nodes_used")
				b.ReportMetric(float64(bfd), "nodes_bfd")
				b.ReportMetric(100*(float64(len(rep.free))/float64(bfd)-1), "pct_over_bfd")
				b.ReportMetric(100*cpuLeft, "pct_cpu_stranded")
				b.ReportMetric(100*memLeft, "pct_mem_stranded")
				b.Logf("packing (%s order): %d allocations on %d of %d nodes; best-fit-decreasing %d, volume bound %d "+
					"(%.1f%% over BFD); unusable free capacity on used nodes: cpu %.1f%%, memory %.1f%%",
					order, len(items), len(rep.free), nodes, bfd, lowerBound(items, node),
					100*(float64(len(rep.free))/float64(bfd)-1), 100*cpuLeft, 100*memLeft)
			}
		})
	}
}

// sortJobsDecreasing orders jobs by their allocations' dominant share.
func sortJobsDecreasing(js []*nomadlike.Job, node item) {
	size := func(j *nomadlike.Job) float64 {
		res := j.TaskGroups[0].Tasks[0].Resources
		return dominant(item{int64(res.CPU), int64(res.MemoryMB)}, node)
	}
	for i := 1; i < len(js); i++ {
		for k := i; k > 0 && size(js[k]) > size(js[k-1]); k-- {
			js[k], js[k-1] = js[k-1], js[k]
		}
	}
}

// packingResult is the free capacity of every used node after placement.
type packingResult struct{ free []item }

// runPacking places the jobs one after the other (each waits for the one
// before to be placed) and reads back where every allocation went.
func runPacking(b *testing.B, js []*nomadlike.Job, nodes int, node item) packingResult {
	srv := benchServer(b)
	addr := srv.HTTPAddr()
	startSim(b, addr, simnode.Config{Count: nodes, CPU: node.cpu, MemoryMB: node.mem})
	c := benchAPI(b, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	size := map[string]item{}
	for _, j := range js {
		if _, err := submitAll(ctx, c, []*nomadlike.Job{j}, 1); err != nil {
			b.Fatal(err)
		}
		res := j.TaskGroups[0].Tasks[0].Resources
		size[j.ID] = item{int64(res.CPU), int64(res.MemoryMB)}
	}
	var allocs []*nomadlike.AllocListStub
	if _, err := c.Query(ctx, "/v1/allocations", &allocs, nil); err != nil {
		b.Fatal(err)
	}
	used := map[string]item{}
	for _, a := range allocs {
		if a.DesiredStatus != nomadlike.AllocDesiredStatusRun {
			continue
		}
		f, ok := used[a.NodeID]
		if !ok {
			f = node
		}
		s := size[a.JobID]
		f.cpu -= s.cpu
		f.mem -= s.mem
		if f.cpu < 0 || f.mem < 0 {
			b.Fatalf("node %s over-committed: %+v", a.NodeID, f)
		}
		used[a.NodeID] = f
	}
	var out packingResult
	for _, f := range used {
		out.free = append(out.free, f)
	}
	return out
}
