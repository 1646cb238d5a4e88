package tmplwatch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/render"
)

const pwTmpl = `{{ with nomadVar "nomad/jobs/app" }}{{ .password }}{{ end }}`

func TestChangeModes(t *testing.T) {
	cases := []struct {
		name                 string
		tmpls                []*nomadlike.Template
		restarts, signals    int
		wantReason, wantSigs string
	}{
		{name: "restart", tmpls: []*nomadlike.Template{tmpl(pwTmpl, "local/a", "restart")}, restarts: 1, wantReason: ReasonTemplateRestart},
		{name: "signal", tmpls: []*nomadlike.Template{{EmbeddedTmpl: pwTmpl, DestPath: "local/a", ChangeMode: "signal", ChangeSignal: "SIGHUP"}}, signals: 1, wantSigs: "SIGHUP"},
		{name: "noop", tmpls: []*nomadlike.Template{tmpl(pwTmpl, "local/a", "noop")}},
		{name: "restart wins over signal", tmpls: []*nomadlike.Template{
			{EmbeddedTmpl: pwTmpl, DestPath: "local/a", ChangeMode: "signal", ChangeSignal: "SIGHUP"},
			tmpl(pwTmpl, "local/b", "restart"),
		}, restarts: 1, wantReason: ReasonTemplateRestart},
		{name: "signals deduplicated", tmpls: []*nomadlike.Template{
			{EmbeddedTmpl: pwTmpl, DestPath: "local/a", ChangeMode: "signal", ChangeSignal: "SIGHUP"},
			{EmbeddedTmpl: pwTmpl, DestPath: "local/b", ChangeMode: "signal", ChangeSignal: "SIGHUP"},
			{EmbeddedTmpl: pwTmpl, DestPath: "local/c", ChangeMode: "signal", ChangeSignal: "SIGUSR1"},
		}, signals: 2, wantSigs: "SIGHUP SIGUSR1"},
		{name: "env template restarts", tmpls: []*nomadlike.Template{
			{EmbeddedTmpl: "PW=" + pwTmpl, DestPath: "secrets/app.env", ChangeMode: "noop", Envvars: true},
		}, restarts: 1, wantReason: reasonEnvRestart},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeNomad(t)
			fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "one"})
			r := newRig(t, fake, tc.tmpls)
			r.render()
			fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "two"})
			want := "two"
			if tc.tmpls[0].Envvars {
				want = "PW=two"
			}
			r.waitFile(tc.tmpls[0].DestPath, want)
			if tc.restarts+tc.signals > 0 {
				poll.Until(t, bound, "the restarts and signals", func() (bool, string) {
					rs, ss, _, _ := r.ctl.counts()
					return rs == tc.restarts && ss == tc.signals, fmt.Sprintf("restarts %d signals %d, want %d %d", rs, ss, tc.restarts, tc.signals)
				})
			}
			// A change that renders the same content changes nothing.
			fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "two", "unused": "x"})
			fake.putVar("default", "other/var", map[string]string{"k": "v"})
			r.m.Stop() // waits for the loop: every action is done
			r.ctl.mu.Lock()
			defer r.ctl.mu.Unlock()
			if len(r.ctl.restarts) != tc.restarts || len(r.ctl.signals) != tc.signals || len(r.ctl.execs) != 0 {
				t.Fatalf("restarts %v signals %v execs %v, want %d restarts %d signals", r.ctl.restarts, r.ctl.signals, r.ctl.execs, tc.restarts, tc.signals)
			}
			if tc.restarts > 0 && r.ctl.restarts[0] != tc.wantReason {
				t.Errorf("restart reason %q, want %q", r.ctl.restarts[0], tc.wantReason)
			}
			if got := strings.Join(r.ctl.signals, " "); got != tc.wantSigs {
				t.Errorf("signals %q, want %q", got, tc.wantSigs)
			}
		})
	}
}

func TestEnvTemplateFeedsEnvironment(t *testing.T) {
	fake := newFakeNomad(t)
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "one"})
	r := newRig(t, fake, []*nomadlike.Template{{EmbeddedTmpl: "PW=" + pwTmpl + "\n", DestPath: "secrets/app.env", ChangeMode: "restart", Envvars: true}})
	if env := r.render(); env["PW"] != "one" {
		t.Fatalf("env = %v, want PW=one", env)
	}
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "two"})
	poll.Until(t, bound, "a restart", func() (bool, string) {
		rs, _, _, _ := r.ctl.counts()
		return rs == 1, "no restart"
	})
	// The restart's prestart renders again: the new environment.
	if env := r.render(); env["PW"] != "two" {
		t.Fatalf("env after the change = %v, want PW=two", env)
	}
}

func TestChangeScript(t *testing.T) {
	cases := []struct {
		name        string
		script      *nomadlike.ChangeScript
		exitCode    int
		wantTimeout time.Duration
		wantKill    bool
		wantEvent   string
	}{
		{name: "success", script: &nomadlike.ChangeScript{Command: "/bin/reload", Args: []string{"-q"}}, wantTimeout: DefaultScriptTimeout, wantEvent: "Template successfully ran script /bin/reload with arguments: [-q]"},
		{name: "failure is an event", script: &nomadlike.ChangeScript{Command: "/bin/reload", Timeout: time.Second}, exitCode: 3, wantTimeout: time.Second, wantEvent: "Template failed to run script /bin/reload with arguments []: exit code 3"},
		{name: "fail_on_error kills", script: &nomadlike.ChangeScript{Command: "/bin/reload", FailOnError: true}, exitCode: 1, wantTimeout: DefaultScriptTimeout, wantKill: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeNomad(t)
			fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "one"})
			r := newRig(t, fake, []*nomadlike.Template{{EmbeddedTmpl: pwTmpl, DestPath: "local/a", ChangeMode: "script", ChangeScript: tc.script}})
			r.ctl.exitCode = tc.exitCode
			r.render()
			fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "two"})
			poll.Until(t, bound, "the change mode's effect", func() (bool, string) {
				_, _, es, ks := r.ctl.counts()
				done := es == 1 && (!tc.wantKill || ks == 1) && (tc.wantEvent == "" || r.events.find(tc.wantEvent) != nil)
				return done, fmt.Sprintf("execs %d kills %d events %s", es, ks, r.events.all())
			})
			r.m.Stop()
			r.ctl.mu.Lock()
			defer r.ctl.mu.Unlock()
			if got := strings.Join(r.ctl.execs[0], " "); got != strings.Join(append([]string{tc.script.Command}, tc.script.Args...), " ") {
				t.Errorf("exec %q", got)
			}
			if r.ctl.timeouts[0] != tc.wantTimeout {
				t.Errorf("timeout %v, want %v", r.ctl.timeouts[0], tc.wantTimeout)
			}
			if tc.wantKill && !r.ctl.kills[0].FailsTask {
				t.Errorf("kill event %+v does not fail the task", r.ctl.kills[0])
			}
		})
	}
}

func TestDependenciesDeduplicated(t *testing.T) {
	fake := newFakeNomad(t)
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "one"})
	fake.putService("default", "web")
	tmpls := []*nomadlike.Template{
		tmpl(pwTmpl, "local/a", "noop"),
		tmpl(pwTmpl+`{{ nomadVarExists "nomad/jobs/app" }}`, "local/b", "noop"),
		tmpl(`{{ with nomadVar "nomad/jobs/app@default" }}{{ .password }}{{ end }}{{ nomadService "web" }}{{ nomadService "tag.web" }}`, "local/c", "noop"),
	}
	r := newRig(t, fake, tmpls)
	r.render()
	var got []string
	for _, d := range r.m.Watching() {
		got = append(got, d.String())
	}
	want := "nomad.service(web@default) nomad.var.block(nomad/jobs/app@default)"
	if strings.Join(got, " ") != want {
		t.Fatalf("Watching() = %v, want %s", got, want)
	}
	poll.Until(t, bound, "a blocking query on the variable", func() (bool, string) {
		n := fake.maxBlocking("/v1/var/nomad/jobs/app")
		return n >= 1, fmt.Sprintf("%d blocking queries on the variable", n)
	})
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "two"})
	r.waitFile("local/c", "two[][]")
	if n := fake.maxBlocking("/v1/var/nomad/jobs/app"); n != 1 {
		t.Errorf("%d blocking queries on one variable at once, want 1 (one watch for three templates)", n)
	}
}

func TestSplaySeeded(t *testing.T) {
	fake := newFakeNomad(t)
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "one"})
	splay := time.Hour
	var picked []time.Duration
	for i := 0; i < 2; i++ {
		r := newRig(t, fake, []*nomadlike.Template{{EmbeddedTmpl: pwTmpl, DestPath: "local/a", ChangeMode: "restart", Splay: splay}})
		r.render()
		fake.putVar("default", "nomad/jobs/app", map[string]string{"password": fmt.Sprint("v", i)})
		poll.Until(t, bound, "the splay timer", func() (bool, string) {
			return len(r.timers.requested()) == 1, fmt.Sprintf("timers %v", r.timers.requested())
		})
		d := r.timers.requested()[0]
		if d < 0 || d >= splay {
			t.Fatalf("splay %v outside [0, %v)", d, splay)
		}
		if rs, _, _, _ := r.ctl.counts(); rs != 0 {
			t.Fatalf("restarted before the splay passed")
		}
		r.timers.fire(0)
		poll.Until(t, bound, "a restart after the splay", func() (bool, string) {
			rs, _, _, _ := r.ctl.counts()
			return rs == 1, "no restart after the splay"
		})
		picked = append(picked, d)
	}
	if picked[0] != picked[1] {
		t.Errorf("the same seed picked %v then %v", picked[0], picked[1])
	}
	other := New(Config{Seed: 7})
	if d := other.splay(splay); d == picked[0] {
		t.Errorf("another seed picked the same splay %v", d)
	}
	if d := other.splay(0); d != 0 {
		t.Errorf("splay(0) = %v", d)
	}
}

func TestWaitCoalesces(t *testing.T) {
	cases := []struct {
		name string
		fire func(reqs []time.Duration) int // which timer ends the wait
	}{
		{name: "quiet for min", fire: func(reqs []time.Duration) int { return len(reqs) - 1 }},
		{name: "max reached", fire: func(reqs []time.Duration) int { return 0 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeNomad(t)
			fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "one"})
			r := newRig(t, fake, []*nomadlike.Template{
				{EmbeddedTmpl: pwTmpl, DestPath: "local/a", ChangeMode: "restart", Wait: &nomadlike.WaitConfig{Min: time.Minute, Max: time.Hour}},
				{EmbeddedTmpl: pwTmpl, DestPath: "local/b", ChangeMode: "noop", Wait: &nomadlike.WaitConfig{Min: time.Second, Max: 2 * time.Hour}},
			})
			r.render()
			for i, v := range []string{"two", "three", "four"} {
				fake.putVar("default", "nomad/jobs/app", map[string]string{"password": v})
				// max once, then min after every change seen.
				poll.Until(t, bound, "the next timer", func() (bool, string) {
					return len(r.timers.requested()) == i+2, fmt.Sprintf("timers %v", r.timers.requested())
				})
			}
			reqs := r.timers.requested()
			if reqs[0] != 2*time.Hour || reqs[1] != time.Minute {
				t.Fatalf("timers %v, want max 2h then min 1m (the largest of the templates')", reqs)
			}
			if r.read("local/a") != "one" {
				t.Fatalf("re-rendered before the wait ended")
			}
			r.timers.fire(tc.fire(reqs))
			r.waitFile("local/a", "four")
			r.m.Stop()
			if rs, _, _, _ := r.ctl.counts(); rs != 1 {
				t.Errorf("%d restarts for three changes in one wait, want 1", rs)
			}
		})
	}
}

func TestOnce(t *testing.T) {
	fake := newFakeNomad(t)
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "one"})
	r := newRig(t, fake, []*nomadlike.Template{
		{EmbeddedTmpl: pwTmpl, DestPath: "local/once", ChangeMode: "restart", Once: true},
		tmpl(pwTmpl, "local/always", "noop"),
	})
	r.render()
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "two"})
	r.waitFile("local/always", "two")
	r.m.Stop()
	if got := r.read("local/once"); got != "one" {
		t.Errorf("once template re-rendered: %q", got)
	}
	if rs, _, _, _ := r.ctl.counts(); rs != 0 {
		t.Errorf("once template restarted the task")
	}
}

func TestMissingMessage(t *testing.T) {
	m := New(Config{})
	deps := []render.Dep{
		{Kind: render.DepVar, Name: "a", Namespace: "default"},
		{Kind: render.DepVarList, Name: "b", Namespace: "default"},
		{Kind: render.DepService, Name: "c", Namespace: "x"},
		{Kind: render.DepServices, Namespace: "default"},
		{Kind: render.DepVar, Name: "a", Namespace: "default"},
	}
	want := "Missing: nomad.service(c@x), nomad.services(@default), nomad.var.block(a@default), and 1 more"
	if got := m.missingMessage(deps); got != want {
		t.Errorf("missingMessage() = %q, want %q", got, want)
	}
}

func TestReRenderRefusesPlantedLink(t *testing.T) {
	fake := newFakeNomad(t)
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "one"})
	r := newRig(t, fake, []*nomadlike.Template{tmpl(pwTmpl, "local/conf/pw", "restart")})
	r.render()
	// The running task replaces the destination's directory with a link
	// to a directory outside the allocation.
	outside := t.TempDir()
	conf := filepath.Join(r.td.Dir, "local", "conf")
	if err := os.RemoveAll(conf); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, conf); err != nil {
		t.Fatal(err)
	}
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "two"})
	poll.Until(t, bound, "a Template Failed event", func() (bool, string) {
		ev := r.events.find("Template failed: local/conf/pw")
		return ev != nil && ev.Type == nomadlike.TaskEventTemplateFailed, "no Template Failed event: " + r.events.all()
	})
	r.m.Stop()
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("the re-render wrote through the planted link: %v", entries)
	}
	if rs, _, _, _ := r.ctl.counts(); rs != 0 {
		t.Errorf("restarted although nothing was written")
	}
}

func TestActionErrorsAreEvents(t *testing.T) {
	fake := newFakeNomad(t)
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "one"})
	r := newRig(t, fake, []*nomadlike.Template{
		{EmbeddedTmpl: pwTmpl, DestPath: "local/a", ChangeMode: "signal", ChangeSignal: "SIGHUP"},
		{EmbeddedTmpl: pwTmpl, DestPath: "local/b", ChangeMode: "script", ChangeScript: &nomadlike.ChangeScript{Command: "/bin/reload"}},
	})
	r.ctl.err = errors.New("task is not running")
	r.render()
	fake.putVar("default", "nomad/jobs/app", map[string]string{"password": "two"})
	poll.Until(t, bound, "the failed-change events", func() (bool, string) {
		ok := r.events.find("Template failed to send signal SIGHUP: task is not running") != nil &&
			r.events.find("Template failed to run script /bin/reload with arguments []: task is not running") != nil
		return ok, r.events.all()
	})
}
