package allocrunner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nomadlike/nomadlike/drivers/beneath"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestDispatchPayloadReachesTask runs a dispatched job whose task copies its
// payload file to stdout at start: the payload is in local/<file> before the
// task starts.
func TestDispatchPayloadReachesTask(t *testing.T) {
	cases := []struct {
		name, file, read string
	}{
		{"top level", "input.json", "local/input.json"},
		{"nested directory", "in/deep/data.txt", "local/in/deep/data.txt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tk := task("work", map[string]any{"read_file": tc.read})
			tk.DispatchPayload = &nomadlike.DispatchPayloadConfig{File: tc.file}
			a := batchAlloc(tk)
			a.Job.ParameterizedJob = &nomadlike.ParameterizedJobConfig{Payload: nomadlike.DispatchPayloadRequired}
			a.Job.Dispatched = true
			a.Job.Payload = []byte(`{"name": "world"}`)
			ar := h.start(a)
			got := waitStatus(t, ar, nomadlike.AllocClientStatusComplete)
			logb, err := os.ReadFile(filepath.Join(ar.AllocDir().LogDir(), "work.stdout.0"))
			if err != nil || string(logb) != `{"name": "world"}` {
				t.Errorf("task saw %q, %v, want the payload; tasks %s", logb, err, describe(got))
			}
		})
	}
}

func TestDispatchPayloadHook(t *testing.T) {
	cases := []struct {
		name      string
		file      string // dispatch_payload file; "" for no block
		payload   string
		wantFile  string // path under local/ that must hold the payload; "" for none
		wantError bool
	}{
		{name: "written", file: "p.bin", payload: "abc", wantFile: "p.bin"},
		{name: "no payload", file: "p.bin", payload: ""},
		{name: "no block", payload: "abc"},
		{name: "through a link out of the alloc dir", file: "out/p.bin", payload: "abc", wantError: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ad := allocdir.New(t.TempDir(), nomadlike.GenerateUUID())
			if err := ad.Build(); err != nil {
				t.Fatal(err)
			}
			td, err := ad.BuildTask("work")
			if err != nil {
				t.Fatal(err)
			}
			outside := t.TempDir()
			if err := os.Symlink(outside, filepath.Join(td.LocalDir, "out")); err != nil {
				t.Fatal(err)
			}
			job := fixture.BatchJob(1)
			job.Payload = []byte(tc.payload)
			tk := job.TaskGroups[0].Tasks[0]
			if tc.file != "" {
				tk.DispatchPayload = &nomadlike.DispatchPayloadConfig{File: tc.file}
			}
			alloc := fixture.Alloc(job, fixture.Node(), 0)
			req := &TaskPrestartRequest{Alloc: alloc, Task: tk, AllocDir: ad, TaskDir: td, Env: &taskenv.Env{},
				Emit: func(*nomadlike.TaskEvent) {}}
			err = dispatchPayloadHook{}.Prestart(context.Background(), req, &TaskPrestartResponse{})
			var he *HookError
			if tc.wantError {
				if !errors.As(err, &he) || !he.Event.FailsTask || !errors.Is(err, beneath.ErrLink) {
					t.Fatalf("Prestart = %v, want a task-failing HookError wrapping beneath.ErrLink", err)
				}
				if entries, _ := os.ReadDir(outside); len(entries) != 0 {
					t.Errorf("payload written outside the alloc dir: %v", entries)
				}
				return
			}
			if err != nil {
				t.Fatalf("Prestart = %v", err)
			}
			entries, _ := os.ReadDir(td.LocalDir)
			if tc.wantFile == "" {
				if len(entries) != 1 { // only the "out" link
					t.Errorf("local/ holds %v, want no payload file", entries)
				}
				return
			}
			b, err := os.ReadFile(filepath.Join(td.LocalDir, tc.wantFile))
			if err != nil || string(b) != tc.payload {
				t.Errorf("local/%s = %q, %v; want %q", tc.wantFile, b, err, tc.payload)
			}
		})
	}
}
