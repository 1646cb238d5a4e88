package jobspec_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

func TestTemplateBlocksDecode(t *testing.T) {
	src := `job "app" {
  group "g" {
    task "t" {
      driver = "exec"
      config { command = "/bin/true" }
      template {
        data        = "x"
        destination = "local/x"
        change_mode = "script"
        once        = true
        splay       = "2s"
        change_script {
          command       = "/bin/reload"
          args          = ["-q", "now"]
          timeout       = "3s"
          fail_on_error = true
        }
        wait {
          min = "1s"
          max = "4s"
        }
      }
    }
  }
}
`
	res, err := jobspec.ParseWarnings("app.nomad.hcl", []byte(src), nil)
	if err != nil {
		t.Fatalf("ParseWarnings() error = %v", err)
	}
	for _, w := range res.Warnings {
		if msg := w.Summary + " " + w.Detail; strings.Contains(msg, "template") || strings.Contains(msg, "change_script") || strings.Contains(msg, "wait") {
			t.Errorf("unexpected warning %v", w)
		}
	}
	tmpl := res.Job.TaskGroups[0].Tasks[0].Templates[0]
	if !tmpl.Once || tmpl.Splay != 2*time.Second || tmpl.ChangeMode != "script" {
		t.Errorf("template = %+v", tmpl)
	}
	cs := tmpl.ChangeScript
	if cs == nil || cs.Command != "/bin/reload" || strings.Join(cs.Args, " ") != "-q now" || cs.Timeout != 3*time.Second || !cs.FailOnError {
		t.Errorf("change_script = %+v", cs)
	}
	if w := tmpl.Wait; w == nil || w.Min != time.Second || w.Max != 4*time.Second {
		t.Errorf("wait = %+v", w)
	}
}
