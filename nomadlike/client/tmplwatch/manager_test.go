package tmplwatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/render"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

const bound = 10 * time.Second

type rig struct {
	t      *testing.T
	fake   *fakeNomad
	ctl    *fakeControl
	events *events
	timers *manualTimers
	env    *taskenv.Env
	td     allocdir.TaskDir
	logs   *bytes.Buffer
	m      *Manager
}

type rigOpt func(*Config)

// newRig builds a task directory and a manager of tmpls reading fake.
func newRig(t *testing.T, fake *fakeNomad, tmpls []*nomadlike.Template, opts ...rigOpt) *rig {
	t.Helper()
	job := fixture.Job()
	node := fixture.Node()
	alloc := fixture.Alloc(job, node, 0)
	ad := allocdir.New(t.TempDir(), alloc.ID)
	if err := ad.Build(); err != nil {
		t.Fatal(err)
	}
	td, err := ad.BuildTask("app")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, fake: fake, ctl: &fakeControl{}, events: &events{}, timers: &manualTimers{}, td: td, logs: &bytes.Buffer{}}
	r.env = taskenv.Build(node, alloc, job.TaskGroups[0].Tasks[0], taskenv.Paths{AllocDir: ad.SharedDir(), TaskDir: td.LocalDir, SecretsDir: td.SecretsDir})
	cfg := Config{
		Templates: tmpls, AllocDir: ad, TaskDir: td.Dir, Namespace: "default",
		Token:   func() string { return "task-identity" },
		Control: r.ctl, Emit: r.events.emit, Seed: 42, After: r.timers.after,
		Logger:   hclog.New(&hclog.LoggerOptions{Output: &syncWriter{b: r.logs}, Level: hclog.Trace}),
		RetryMin: time.Millisecond, RetryMax: 20 * time.Millisecond,
	}
	if fake != nil {
		cfg.Source = APISource{Servers: fake.client(), Wait: 2 * time.Second}
	}
	for _, o := range opts {
		o(&cfg)
	}
	r.m = New(cfg)
	t.Cleanup(r.m.Stop)
	return r
}

func (r *rig) render() map[string]string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	env, err := r.m.Render(ctx, r.env)
	if err != nil {
		r.t.Fatalf("Render() error = %v (events: %s)", err, r.events.all())
	}
	return env
}

func (r *rig) read(rel string) string {
	b, _ := os.ReadFile(filepath.Join(r.td.Dir, rel))
	return string(b)
}

// waitFile waits until the rendered file reads want.
func (r *rig) waitFile(rel, want string) {
	r.t.Helper()
	poll.Until(r.t, bound, "the rendered file", func() (bool, string) {
		got := r.read(rel)
		return got == want, fmt.Sprintf("%s = %q, want %q", rel, got, want)
	})
}

type syncWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func tmpl(data, dest, mode string) *nomadlike.Template {
	return &nomadlike.Template{EmbeddedTmpl: data, DestPath: dest, ChangeMode: mode, Perms: "0644"}
}

func TestRenderFunctions(t *testing.T) {
	fake := newFakeNomad(t)
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "s3cret", "user": "dba"})
	fake.putVar("default", "nomad/jobs/app/web", map[string]string{"k": "v"})
	fake.putVar("other", "shared/db", map[string]string{"host": "db.other"})
	fake.putService("default", "web",
		&nomadapi.ServiceRegistration{ID: "b", Address: "10.0.0.2", Port: 8080, Tags: []string{"blue"}, AllocID: "a2", NodeID: "n2", JobID: "web", Datacenter: "dc1"},
		&nomadapi.ServiceRegistration{ID: "a", Address: "10.0.0.1", Port: 8080, Tags: []string{"green"}, AllocID: "a1", NodeID: "n1", JobID: "web", Datacenter: "dc1"},
		&nomadapi.ServiceRegistration{ID: "c", Address: "10.0.0.3", Port: 8081, Tags: []string{"green"}, AllocID: "a3", NodeID: "n3", JobID: "web", Datacenter: "dc1"})
	cases := []struct {
		name, data, want string
	}{
		{"with nomadVar", `{{ with nomadVar "nomad/jobs/app" }}{{ .password }}/{{ .user.Value }}/{{ .missing }}{{ end }}`, "s3cret/dba/"},
		{"range nomadVar", `{{ range $k, $v := nomadVar "nomad/jobs/app" }}{{ $k }}={{ $v }};{{ end }}`, "password=s3cret;user=dba;"},
		{"keys", `{{ (nomadVar "nomad/jobs/app").Keys }}`, "[password user]"},
		{"namespace suffix", `{{ with nomadVar "shared/db@other" }}{{ .host }}{{ end }}`, "db.other"},
		{"exists", `{{ nomadVarExists "nomad/jobs/app" }} {{ nomadVarExists "nope/nope" }}`, "true false"},
		{"list", `{{ range nomadVarList "nomad/jobs" }}{{ .Path }} {{ end }}`, "nomad/jobs/app nomad/jobs/app/web "},
		{"service", `{{ range nomadService "web" }}{{ .Address }}:{{ .Port }} {{ end }}`, "10.0.0.1:8080 10.0.0.2:8080 10.0.0.3:8081 "},
		{"service tag", `{{ range nomadService "green.web" }}{{ .ID }}{{ end }}`, "ac"},
		{"service choose", `{{ len (nomadService 2 "key-1" "web") }}`, "2"},
		{"services", `{{ range nomadServices }}{{ .Name }} {{ .Tags }}{{ end }}`, "web [blue]"},
	}
	var tmpls []*nomadlike.Template
	for i, tc := range cases {
		tmpls = append(tmpls, tmpl(tc.data, fmt.Sprintf("local/%d.txt", i), "noop"))
	}
	r := newRig(t, fake, tmpls)
	r.render()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.read(fmt.Sprintf("local/%d.txt", i)); got != tc.want {
				t.Errorf("rendered %q, want %q", got, tc.want)
			}
		})
	}
	if !fake.sawToken("task-identity") {
		t.Errorf("requests did not carry the task's token")
	}
	// choose is consistent: the same key picks the same instances.
	a := mustExec(t, r, `{{ range nomadService 2 "key-1" "web" }}{{ .ID }}{{ end }}`)
	b := mustExec(t, r, `{{ range nomadService 2 "key-1" "web" }}{{ .ID }}{{ end }}`)
	if a != b || len(a) != 2 {
		t.Errorf("choose picked %q then %q, want the same two", a, b)
	}
}

func mustExec(t *testing.T, r *rig, data string) string {
	t.Helper()
	p, err := render.Prepare(tmpl(data, "local/x", "noop"), r.env, r.m.cfg.AllocDir, r.td.Dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Execute(r.m, "default")
	if err != nil || len(out.Missing) > 0 {
		t.Fatalf("Execute() = %v, missing %v", err, out.Missing)
	}
	return string(out.Content)
}

func TestBadQueries(t *testing.T) {
	fake := newFakeNomad(t)
	for _, data := range []string{`{{ nomadVar "" }}`, `{{ nomadService 1 2 3 }}`, `{{ nomadVarList "a" "b" }}`, `{{ nomadService "@ns" }}`} {
		r := newRig(t, fake, []*nomadlike.Template{tmpl(data, "local/x", "noop")})
		_, err := r.m.Render(context.Background(), r.env)
		var te *TemplateError
		if !errors.As(err, &te) || !errors.Is(err, render.ErrBadQuery) {
			t.Errorf("Render(%s) error = %v, want a TemplateError wrapping ErrBadQuery", data, err)
		}
	}
}

func TestNoSource(t *testing.T) {
	r := newRig(t, nil, []*nomadlike.Template{tmpl(`{{ nomadVar "a" }}`, "local/x", "noop")})
	if _, err := r.m.Render(context.Background(), r.env); !errors.Is(err, ErrNoSource) {
		t.Fatalf("Render() error = %v, want ErrNoSource", err)
	}
	// Templates that read no Nomad data render without a source.
	r = newRig(t, nil, []*nomadlike.Template{tmpl(`plain {{ env "NOMAD_TASK_NAME" }}`, "local/x", "noop")})
	r.render()
	if got := r.read("local/x"); !strings.HasPrefix(got, "plain ") || len(got) == len("plain ") {
		t.Errorf("rendered %q", got)
	}
}

func TestMissingBlocksFirstRender(t *testing.T) {
	fake := newFakeNomad(t)
	r := newRig(t, fake, []*nomadlike.Template{tmpl(`pw={{ with nomadVar "nomad/jobs/app" }}{{ .password }}{{ end }}`, "secrets/app.env", "noop")})
	done := make(chan error, 1)
	go func() {
		_, err := r.m.Render(context.Background(), r.env)
		done <- err
	}()
	poll.Until(t, bound, "a Missing event", func() (bool, string) {
		return r.events.find("Missing: nomad.var.block(nomad/jobs/app@default)") != nil, "no Missing event: " + r.events.all()
	})
	select {
	case err := <-done:
		t.Fatalf("Render() returned %v before the variable existed", err)
	default:
	}
	if _, err := os.Stat(filepath.Join(r.td.Dir, "secrets/app.env")); err == nil {
		t.Errorf("an incomplete render was written")
	}
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "s3cret"})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Render() error = %v", err)
		}
	case <-time.After(bound):
		t.Fatal("Render() still blocked after the variable was written")
	}
	if got := r.read("secrets/app.env"); got != "pw=s3cret" {
		t.Errorf("rendered %q", got)
	}
	// Secrets never reach the logs or events.
	if strings.Contains(r.logs.String(), "s3cret") || strings.Contains(r.events.all(), "s3cret") {
		t.Errorf("the secret leaked into logs or events:\n%s\n%s", r.logs.String(), r.events.all())
	}
}

func TestMissingSaysWhyAndRetries(t *testing.T) {
	fake := newFakeNomad(t)
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "s3cret"})
	fake.fail("/v1/var/nomad/jobs/app", 403)
	r := newRig(t, fake, []*nomadlike.Template{tmpl(`{{ with nomadVar "nomad/jobs/app" }}{{ .password }}{{ end }}`, "local/x", "noop")})
	done := make(chan error, 1)
	go func() {
		_, err := r.m.Render(context.Background(), r.env)
		done <- err
	}()
	poll.Until(t, bound, "a Missing event with the 403", func() (bool, string) {
		ev := r.events.find("Missing: nomad.var.block(nomad/jobs/app@default) (Unexpected response code: 403")
		return ev != nil, "no Missing event with the 403: " + r.events.all()
	})
	fake.fail("/v1/var/nomad/jobs/app", 0)
	if err := <-done; err != nil {
		t.Fatalf("Render() error = %v", err)
	}
	if got := r.read("local/x"); got != "s3cret" {
		t.Errorf("rendered %q after the error went away", got)
	}
}

func TestRenderEndsWithContextAndStop(t *testing.T) {
	fake := newFakeNomad(t)
	r := newRig(t, fake, []*nomadlike.Template{tmpl(`{{ nomadVar "never" }}`, "local/x", "noop")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.m.Render(ctx, r.env); !errors.Is(err, context.Canceled) {
		t.Errorf("Render(cancelled) error = %v", err)
	}
	r.m.Stop()
	if _, err := r.m.Render(context.Background(), r.env); !errors.Is(err, ErrStopped) {
		t.Errorf("Render() after Stop error = %v, want ErrStopped", err)
	}
}
