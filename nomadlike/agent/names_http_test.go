package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestRegisterRefusesBadNames: PUT /v1/jobs on a real agent with IDs and
// names that would steer a client's paths or an operator's terminal gets
// 400 naming the field, and nothing is stored.
func TestRegisterRefusesBadNames(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, c := devServer(t)
	waitLeader(ctx, t, c)
	cases := []struct {
		name   string
		mutate func(j *nomadlike.Job)
		field  string
	}{
		{"dot-dot", func(j *nomadlike.Job) { j.ID = ".." }, "ID: "},
		{"slash", func(j *nomadlike.Job) { j.ID = "a/b" }, "ID: "},
		{"bidi override", func(j *nomadlike.Job) { j.ID = "\u202eabc" }, "ID: "},
		{"carriage return", func(j *nomadlike.Job) { j.ID = "ok\rbad" }, "ID: "},
		{"escape", func(j *nomadlike.Job) { j.ID = "x\x1b[31m" }, "ID: "},
		{"task path", func(j *nomadlike.Job) { j.TaskGroups[0].Tasks[0].Name = "../../x" }, "TaskGroups[web].Tasks[0].Name: "},
		{"group escape", func(j *nomadlike.Job) { j.TaskGroups[0].Name = "g\x1b" }, "TaskGroups[0].Name: "},
		{"namespace", func(j *nomadlike.Job) { j.Namespace = "../ns" }, "Namespace: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := fixture.Job()
			tc.mutate(job)
			body, err := json.Marshal(map[string]any{"Job": job})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+a.HTTPAddr()+"/v1/jobs", bytes.NewReader(body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			text, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(text), tc.field) {
				t.Fatalf("PUT /v1/jobs = %d %q, want 400 naming %q", resp.StatusCode, text, tc.field)
			}
			for _, r := range string(text) {
				if nomadlike.UnsafeRune(r) && r != '\n' {
					t.Fatalf("the error %q carries U+%04X", text, r)
				}
			}
			jobs, _, err := c.Jobs().List(ctx, nil)
			if err != nil || len(jobs) != 0 {
				t.Fatalf("jobs after a refused register = %v, %v; want none", jobs, err)
			}
		})
	}
}
