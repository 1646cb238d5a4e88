package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// uiWebJob prints marker lines, the second one after the log view may
// already be following, then sleeps.
func uiWebJob(id, marker string) string {
	return fmt.Sprintf(`job %q {
  datacenters = ["*"]
  group "web" {
    task "server" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo %s-first; sleep 2; echo %s-later; exec sleep 600"]
      }
      resources {
        cpu    = 200
        memory = 64
      }
    }
  }
}
`, id, marker, marker)
}

// TestUIJobLifecycle drives the web UI in a real Chromium against a real
// agent: a job submitted through the API is in the jobs list; its page
// lists its allocation; the allocation's page follows the task's stdout
// (a line printed after the page opened shows up); the job's Stop button
// stops it and the page shows the status change without a reload.
func TestUIJobLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("raw_exec and the client need root")
	}
	ctx := newBrowser(t, 3*time.Minute)
	a := startDevAgent(t, devAgentOptions{logLevel: "INFO"}, "raw_exec")
	base := "http://" + a.HTTPAddr()
	actx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The jobs page is open before the job exists: the job appears in it
	// without a reload (the live fragment), and the page's window keeps a
	// mark that a reload would lose.
	browse(t, ctx, "open / (redirects to the jobs list)",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#jobs-table`)))
	if title, _ := chromedp.Run(ctx, chromedp.Title()); !strings.Contains(title, "Jobs") {
		t.Errorf("title of / = %q, want the jobs page", title)
	}
	browse(t, ctx, "mark the window", chromedp.Evaluate[chromedp.Void](`window.uiNoReload = true`))
	job := parseJob(t, uiWebJob("uiweb", "ui-marker"))
	if _, _, err := a.api().Jobs().Register(actx, job, nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	ci := parseJob(t, pipelineCIJob("ci", "sleep 1; echo lint failed; exit 1"))
	if _, _, err := a.api().Jobs().Register(actx, ci, nil); err != nil {
		t.Fatalf("register ci: %v", err)
	}
	gpu := parseJob(t, uiWebJob("gpu-train", "gpu"))
	gpu.Constraints = append(gpu.Constraints, &nomadlike.Constraint{LTarget: "${attr.kernel.name}", RTarget: "plan9", Operand: "="})
	if _, _, err := a.api().Jobs().Register(actx, gpu, nil); err != nil {
		t.Fatalf("register gpu-train: %v", err)
	}
	for _, other := range []string{"uiweb-batch", "nightly"} { // a fuller list for the screenshot
		j := parseJob(t, uiWebJob(other, other))
		j.Type = "batch"
		if _, _, err := a.api().Jobs().Register(actx, j, nil); err != nil {
			t.Fatalf("register %s: %v", other, err)
		}
	}
	browse(t, ctx, "see the new job appear live",
		waitJS(`document.querySelector('#jobs-table a[href*="id=uiweb&"]') !== null && window.uiNoReload === true`))
	browse(t, ctx, "see every job registered", waitJS(`document.querySelectorAll('#jobs-table tbody a').length === 5`))
	uiShot(t, ctx, "jobs")
	checkA11y(t, ctx, "jobs")

	browse(t, ctx, "open the job and wait for its running allocation",
		clickJS(`#jobs-table a[href*="id=uiweb&"]`),
		chromedp.WaitVisible(chromedp.CSS(`#job-status`)),
		waitJS(`[...document.querySelectorAll('#allocs-table .st')].some(e => e.textContent === 'running')`))
	uiShot(t, ctx, "job")
	checkA11y(t, ctx, "job")

	browse(t, ctx, "open the allocation and see the task's line in the live log",
		clickJS(`#allocs-table tbody a`),
		chromedp.WaitVisible(chromedp.CSS(`#log`)),
		waitJS(`document.getElementById('log').textContent.includes('ui-marker-later')`))
	logText, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`#log`)))
	if !strings.Contains(logText, "ui-marker-first") {
		t.Errorf("log view = %q, want the first line too", logText)
	}
	uiShot(t, ctx, "allocation")
	checkA11y(t, ctx, "allocation")

	browse(t, ctx, "back to the job, press Stop and see the status change live",
		clickJS(`#alloc-job`),
		chromedp.WaitVisible(chromedp.CSS(`#stop-job`)),
		clickJS(`#stop-job`))
	waitJSNav(t, ctx, "the job's status after Stop",
		`document.getElementById('job-status') && document.getElementById('job-status').textContent === 'dead'`)
	got, _, err := a.api().Jobs().Info(actx, "uiweb", nil)
	if err != nil || !got.Stop {
		t.Errorf("after the UI's Stop: job = %+v, %v; want stopped", got, err)
	}

	// A pipeline's stages: lint fails, so package is skipped; the page
	// follows the stages as they finish.
	browse(t, ctx, "open the pipeline job and see its stages finish",
		chromedp.Navigate(base+"/ui/job?id=ci&namespace=default"),
		chromedp.WaitVisible(chromedp.CSS(`ol.pipeline`)),
		waitJS(`[...document.querySelectorAll('ol.pipeline li')].some(li => li.textContent.includes('package') && li.textContent.includes('skipped'))`))
	uiShot(t, ctx, "pipeline")
	browse(t, ctx, "filter the jobs by outcome failed",
		chromedp.Navigate(base+"/ui/jobs"),
		chromedp.WaitVisible(chromedp.CSS(`#f-outcome`)),
		chromedp.SetValue(chromedp.CSS(`#f-outcome`), "failed"),
		chromedp.Submit(chromedp.CSS(`form.filters`)))
	waitJSNav(t, ctx, "the failed pipeline listed by outcome",
		`location.search.includes('outcome=failed') && document.querySelector('#jobs-table a[href*="id=ci&"]') !== null && document.querySelectorAll('#jobs-table tbody tr').length === 1`)

	// The cluster pages render with the agent's node and server.
	for _, p := range []struct{ path, sel, shot string }{
		{"/ui/nodes", `#nodes-table meter`, "nodes"},
		{"/ui/topology", `.topo-node svg`, "topology"},
		{"/ui/evaluations?failed=1", `ul.why`, "evaluations"}, // gpu-train's placement failure
		{"/ui/servers", `#leader`, "servers"},
	} {
		browse(t, ctx, "open "+p.path, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.sel)))
		uiShot(t, ctx, p.shot)
		checkA11y(t, ctx, p.path)
	}
}
