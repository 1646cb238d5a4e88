package jobspecs

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

// TestExamplesValidate parses and validates every example job file, the
// same check "nomadlike job validate" runs.
func TestExamplesValidate(t *testing.T) {
	files, err := filepath.Glob("*.nomad.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 7 {
		t.Fatalf("found %d example job files, want at least 7", len(files))
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			job, err := jobspec.ParseFile(f, &jobspec.ParseOptions{Environ: []string{}})
			if err != nil {
				t.Fatalf("ParseFile(%s):\n%v", f, err)
			}
			if len(job.TaskGroups) == 0 {
				t.Errorf("ParseFile(%s) has no task groups", f)
			}
		})
	}
}

// TestExampleKinds checks that each example shows what it is named for.
func TestExampleKinds(t *testing.T) {
	parse := func(t *testing.T, name string, vars map[string]string) *nomadlike.Job {
		t.Helper()
		job, err := jobspec.ParseFile(name, &jobspec.ParseOptions{Environ: []string{}, Vars: vars})
		if err != nil {
			t.Fatalf("ParseFile(%s): %v", name, err)
		}
		return job
	}
	cases := []struct {
		name  string
		file  string
		vars  map[string]string
		check func(t *testing.T, j *nomadlike.Job)
	}{
		{"hello is a batch exec job", "hello.nomad.hcl", nil, func(t *testing.T, j *nomadlike.Job) {
			task := j.TaskGroups[0].Tasks[0]
			if j.Type != "batch" || task.Driver != "exec" || task.Config["command"] != "/bin/echo" {
				t.Errorf("type %s driver %s command %v, want batch exec /bin/echo", j.Type, task.Driver, task.Config["command"])
			}
		}},
		{"web has a dynamic port and an http check", "web.nomad.hcl", nil, func(t *testing.T, j *nomadlike.Job) {
			tg := j.TaskGroups[0]
			if len(tg.Networks) != 1 || len(tg.Networks[0].DynamicPorts) != 1 || tg.Networks[0].DynamicPorts[0].Label != "http" {
				t.Errorf("networks = %+v, want one dynamic port http", tg.Networks)
			}
			if len(tg.Services) != 1 || tg.Services[0].Checks[0].Type != "http" {
				t.Errorf("services = %+v, want one with an http check", tg.Services)
			}
		}},
		{"lb renders haproxy's backend from the web service", "lb.nomad.hcl", map[string]string{"port": "9090"}, func(t *testing.T, j *nomadlike.Job) {
			tg := j.TaskGroups[0]
			task := tg.Tasks[0]
			if task.Driver != "raw_exec" || task.Config["command"] != "/usr/sbin/haproxy" {
				t.Errorf("driver %s config %v, want raw_exec haproxy", task.Driver, task.Config)
			}
			if len(tg.Networks) != 1 || len(tg.Networks[0].ReservedPorts) != 1 || tg.Networks[0].ReservedPorts[0].Value != 9090 {
				t.Errorf("networks = %+v, want the static port from var.port", tg.Networks)
			}
			if len(task.Templates) != 1 || task.Templates[0].ChangeMode != "restart" || !strings.Contains(task.Templates[0].EmbeddedTmpl, `nomadService "web"`) {
				t.Errorf("templates = %+v, want one from nomadService \"web\" with change_mode restart", task.Templates)
			}
		}},
		{"ci-pipeline has prestart and poststop tasks", "ci-pipeline.nomad.hcl", nil, func(t *testing.T, j *nomadlike.Job) {
			hooks := map[string]bool{}
			for _, task := range j.TaskGroups[0].Tasks {
				if task.Lifecycle != nil {
					hooks[task.Lifecycle.Hook] = true
				}
			}
			if !hooks["prestart"] || !hooks["poststop"] {
				t.Errorf("hooks = %v, want prestart and poststop", hooks)
			}
		}},
		{"periodic is periodic", "periodic.nomad.hcl", nil, func(t *testing.T, j *nomadlike.Job) {
			if !j.IsPeriodic() || j.Periodic.Spec != "*/15 * * * *" {
				t.Errorf("periodic = %+v", j.Periodic)
			}
		}},
		{"parameterized requires meta", "parameterized.nomad.hcl", nil, func(t *testing.T, j *nomadlike.Job) {
			if !j.IsParameterized() || len(j.ParameterizedJob.MetaRequired) == 0 || j.TaskGroups[0].Tasks[0].DispatchPayload == nil {
				t.Errorf("parameterized = %+v", j.ParameterizedJob)
			}
		}},
		{"containerd uses an image archive", "containerd.nomad.hcl", nil, func(t *testing.T, j *nomadlike.Job) {
			task := j.TaskGroups[0].Tasks[0]
			if task.Driver != "containerd" || task.Config["image_archive"] != "/var/lib/nomadlike/images/busybox.tar" {
				t.Errorf("driver %s config %v", task.Driver, task.Config)
			}
		}},
		{"variables defaults", "variables.nomad.hcl", nil, func(t *testing.T, j *nomadlike.Job) {
			task := j.TaskGroups[0].Tasks[0]
			if j.Name != "echo-dev" || task.Resources.MemoryMB != 64 || task.Env["PORTS"] != "http=${NOMAD_PORT_http},metrics=${NOMAD_PORT_metrics}" {
				t.Errorf("name %s memory %d env %v", j.Name, task.Resources.MemoryMB, task.Env)
			}
			if n := len(j.TaskGroups[0].Networks[0].DynamicPorts); n != 2 {
				t.Errorf("%d dynamic ports, want 2", n)
			}
		}},
		{"variables for prod", "variables.nomad.hcl", map[string]string{"env": "prod", "instances": "3"}, func(t *testing.T, j *nomadlike.Job) {
			if j.Name != "echo-prod" || j.TaskGroups[0].Count != 3 || j.TaskGroups[0].Tasks[0].Resources.MemoryMB != 256 {
				t.Errorf("name %s count %d memory %d", j.Name, j.TaskGroups[0].Count, j.TaskGroups[0].Tasks[0].Resources.MemoryMB)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, parse(t, tc.file, tc.vars))
		})
	}
	t.Run("variables rejects an unknown env", func(t *testing.T) {
		_, err := jobspec.ParseFile("variables.nomad.hcl", &jobspec.ParseOptions{Environ: []string{}, Vars: map[string]string{"env": "qa"}})
		if err == nil {
			t.Fatal("ParseFile with env=qa succeeded, want a validation error")
		}
	})
}
