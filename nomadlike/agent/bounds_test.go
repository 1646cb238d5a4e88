package agent

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestJobMaxCount registers and plans jobs over the limit
// against a real dev agent: each is refused with the group's Count path
// and nothing is written (no job, no evaluation, no index moved).
func TestJobMaxCount(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := DevConfig()
	cfg.Name = "test-" + t.Name()
	cfg.Client.Enabled = false
	cfg.Ports.HTTP, cfg.Ports.RPC = 0, 0
	if err := ParseConfigFile(cfg, "agent.hcl", []byte("server {\n  job_max_count = 500\n}\n")); err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}}))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { a.Shutdown() })
	c, err := api.NewClient(api.Config{Address: a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	waitLeader(ctx, t, c)

	// A job at the limit is accepted.
	atLimit := fixture.BatchJob(500)
	atLimit.ID, atLimit.Name = "at-limit", "at-limit"
	if _, _, err := c.Jobs().Register(ctx, atLimit, nil); err != nil {
		t.Fatalf("register a job at the limit: %v", err)
	}
	before, _, err := c.Jobs().List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}

	huge := fixture.Job()
	huge.ID, huge.Name = "huge", "huge"
	huge.TaskGroups[0].Count = 10_000_000
	two := fixture.Job()
	two.ID, two.Name = "two", "two"
	second := two.TaskGroups[0].Copy()
	second.Name = "more"
	two.TaskGroups[0].Count, second.Count = 300, 300
	two.TaskGroups = append(two.TaskGroups, second)
	group := huge.TaskGroups[0].Name

	cases := []struct {
		name string
		do   func() error
		want string
	}{
		{"register", func() error { _, _, err := c.Jobs().Register(ctx, huge, nil); return err },
			"TaskGroups[" + group + "].Count: 10000000 exceeds the server's job_max_count of 500"},
		{"plan", func() error { _, _, err := c.Jobs().Plan(ctx, huge, true, nil); return err },
			"TaskGroups[" + group + "].Count: 10000000 exceeds the server's job_max_count of 500"},
		{"groups add up", func() error { _, _, err := c.Jobs().Register(ctx, two, nil); return err },
			"TaskGroups: the groups' counts add up to 600, more than the server's job_max_count of 500"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "400") {
				t.Errorf("%s = %v, want a 400 with %q", tc.name, err, tc.want)
			}
		})
	}

	// The at-limit job's own evaluation goes on (the scheduler blocks or
	// places it meanwhile), so the check is that nothing of the refused
	// jobs was written, not that the index stood still.
	after, _, err := c.Jobs().List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	evalsAfter, _, err := c.Evaluations().List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("refused writes changed the jobs: %d -> %d", len(before), len(after))
	}
	for _, e := range evalsAfter {
		if e.JobID == huge.ID || e.JobID == two.ID {
			t.Errorf("a refused job has an evaluation: %s for %s", e.ID, e.JobID)
		}
	}
}

// TestBadConfigJobMaxCount names the file position of a bad value.
func TestBadConfigJobMaxCount(t *testing.T) {
	err := ParseConfigFile(DefaultConfig(), "agent.hcl", []byte("server {\n  job_max_count = 0\n}\n"))
	if err == nil || !strings.Contains(err.Error(), "agent.hcl:2") || !strings.Contains(err.Error(), "job_max_count") {
		t.Errorf("job_max_count = 0: %v, want an error at agent.hcl:2", err)
	}
}

// TestAgentBodyLimit sends an over-limit job over a real agent's HTTP
// listener: 413 naming the limit, and no job.
func TestAgentBodyLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, c := devServer(t)
	waitLeader(ctx, t, c)
	body := `{"Job":{"ID":"big","Meta":{"pad":"` + strings.Repeat("x", 9<<20) + `"}}}`
	resp, err := http.Post("http://"+a.HTTPAddr()+"/v1/jobs", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "8 MiB") {
		t.Errorf("PUT /v1/jobs (9 MiB) = %d %.200q, want 413 naming 8 MiB", resp.StatusCode, b)
	}
	if jobs, _, err := c.Jobs().List(ctx, nil); err != nil || len(jobs) != 0 {
		t.Errorf("jobs after the refused register = %v, %v; want none", jobs, err)
	}
}
