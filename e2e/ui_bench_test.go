package e2e

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// uiBenchJobs is how many jobs BenchmarkUIJobs10k registers.
const uiBenchJobs = 10000

// uiBenchJob is a parameterized batch job (registered, never run: no
// evaluation, no allocation) or, pending, a service job no node can take.
func uiBenchJob(tb testing.TB, i int) *nomadlike.Job {
	if i%20 == 0 {
		return parseJob(tb, fmt.Sprintf(`job "svc-%05d" {
  datacenters = ["*"]
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "plan9"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
    }
  }
}`, i))
	}
	return parseJob(tb, fmt.Sprintf(`job "job-%05d" {
  type        = "batch"
  datacenters = ["*"]
  parameterized {}
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
    }
  }
}`, i))
}

// BenchmarkUIJobs10k times the jobs page in headless Chromium with 10,000
// jobs registered on a dev agent: the first render, and each filter change
// (a form submit) to the next page's load event, from the browser's own
// navigation timing. Run it with `make bench-ui`; it is not part of `make
// test`. Nomad's UI is not measured here.
func BenchmarkUIJobs10k(b *testing.B) {
	ctx := newBrowser(b, 25*time.Minute)
	a := startDevAgent(b, devAgentOptions{logLevel: "WARN"})
	base := "http://" + a.HTTPAddr()
	registerUIBenchJobs(b, a)
	b.ResetTimer()
	for range b.N {
		first := uiNavMillis(b, ctx, "first render", chromedp.Navigate(base+"/ui/jobs"))
		b.ReportMetric(first, "first-render-ms")
		var changes []float64
		for _, f := range []struct{ name, sel, value string }{
			{"status dead", "#f-status", "dead"},
			{"type service", "#f-type", "service"},
			{"status any", "#f-status", ""},
			{"name prefix", "#f-prefix", "job-07"},
			{"type any", "#f-type", ""},
			{"outcome failed", "#f-outcome", "failed"},
		} {
			ms := uiNavMillis(b, ctx, "filter "+f.name,
				chromedp.SetValue(chromedp.CSS(f.sel), f.value),
				chromedp.Submit(chromedp.CSS(`form.filters`)))
			b.Logf("filter change %-13s %6.1f ms", f.name, ms)
			changes = append(changes, ms)
		}
		sort.Float64s(changes)
		b.Logf("first render %.1f ms; filter changes median %.1f ms, max %.1f ms", first, changes[len(changes)/2], changes[len(changes)-1])
		b.ReportMetric(changes[len(changes)/2], "filter-median-ms")
		b.ReportMetric(changes[len(changes)-1], "filter-max-ms")
	}
}

// registerUIBenchJobs registers uiBenchJobs jobs through the API, eight at
// a time.
func registerUIBenchJobs(b *testing.B, a *devAgent) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start := time.Now()
	next := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if _, _, err := a.api().Jobs().Register(ctx, uiBenchJob(b, i), nil); err != nil {
					errs <- fmt.Errorf("register job %d: %w", i, err)
					return
				}
			}
		}()
	}
	for i := range uiBenchJobs {
		select {
		case next <- i:
		case err := <-errs:
			b.Fatal(err)
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	b.Logf("registered %d jobs in %v", uiBenchJobs, time.Since(start).Round(time.Millisecond))
}

// uiNavMillis runs actions that navigate, waits for the new page's load
// event, and returns the page's loadEventEnd (navigation start to load
// event end, in ms) from the browser's navigation timing.
func uiNavMillis(b *testing.B, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) float64 {
	b.Helper()
	// A mark the next page does not have tells it apart from this one.
	browse(b, ctx, what+": mark", chromedp.Evaluate[chromedp.Void](`window.uiBenchOld = true`))
	browse(b, ctx, what, actions...)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(function () {
  if (window.uiBenchOld) return -1;
  var n = performance.getEntriesByType('navigation')[0];
  return n && n.loadEventEnd > 0 ? n.loadEventEnd : -1;
})()`))
		if err == nil && ms > 0 {
			return ms
		}
		sleepCtx(ctx, 20*time.Millisecond)
	}
	b.Fatalf("%s: the page did not load", what)
	return 0
}
