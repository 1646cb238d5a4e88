package nomadlike_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestJobValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(j *nomadlike.Job)
		want   []string // field paths expected in the error, in order
	}{
		{name: "valid", mutate: func(*nomadlike.Job) {}},
		{name: "memory too small", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 5
		}, want: []string{"TaskGroups[web].Tasks[app].Resources.MemoryMB: must be >= 10"}},
		{name: "every problem at once", mutate: func(j *nomadlike.Job) {
			j.Priority = 500
			j.TaskGroups[0].Count = -1
			j.TaskGroups[0].Tasks[0].Driver = ""
		}, want: []string{"Priority:", "TaskGroups[web].Count:", "TaskGroups[web].Tasks[app].Driver: missing driver"}},
		{name: "bad job type", mutate: func(j *nomadlike.Job) { j.Type = "cron" }, want: []string{"Type: unknown job type"}},
		{name: "duplicate task", mutate: func(j *nomadlike.Job) {
			tg := j.TaskGroups[0]
			tg.Tasks = append(tg.Tasks, tg.Tasks[0].Copy())
		}, want: []string{`TaskGroups[web].Tasks[app].Name: duplicate task "app"`}},
		{name: "bad restart mode", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].RestartPolicy.Mode = "sometimes"
		}, want: []string{"TaskGroups[web].RestartPolicy.Mode"}},
		{name: "periodic service", mutate: func(j *nomadlike.Job) {
			j.Periodic = &nomadlike.PeriodicConfig{Enabled: true, Spec: "* * * * *", SpecType: "cron"}
		}, want: []string{"Periodic: periodic is only allowed for batch and sysbatch jobs"}},
		{name: "bad constraint regexp", mutate: func(j *nomadlike.Job) {
			j.Constraints = []*nomadlike.Constraint{{LTarget: "${attr.kernel.name}", Operand: "regexp", RTarget: "("}}
		}, want: []string{"Constraints[0].RTarget: invalid regular expression"}},
		{name: "unknown service port", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Services = []*nomadlike.Service{{Name: "web", PortLabel: "nope"}}
		}, want: []string{`TaskGroups[web].Services[0].PortLabel: no port labelled "nope"`}},
		{name: "host volumes", mutate: func(j *nomadlike.Job) {
			j.Type = nomadlike.JobTypeSystem
			j.TaskGroups[0].Count = 1
			j.TaskGroups[0].Volumes = map[string]*nomadlike.VolumeRequest{"d": {Name: "d", Type: "host", Source: "data", PerAlloc: true}}
			j.TaskGroups[0].Tasks[0].VolumeMounts = []*nomadlike.VolumeMount{{Volume: "d", Destination: "/srv/../.."}, {Volume: "d", Destination: "/"}}
		}, want: []string{
			"TaskGroups[web].Volumes[d].PerAlloc: volume cannot be per_alloc for system or sysbatch jobs",
			"TaskGroups[web].Tasks[app].VolumeMounts[0].Destination",
			"TaskGroups[web].Tasks[app].VolumeMounts[1].Destination",
		}},
		{name: "template escapes", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Tasks[0].Templates = []*nomadlike.Template{{EmbeddedTmpl: "x", DestPath: "../../etc/passwd", ChangeMode: "noop"}}
		}, want: []string{"TaskGroups[web].Tasks[app].Templates[0].DestPath"}},
		{name: "template script without command", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Tasks[0].Templates = []*nomadlike.Template{{EmbeddedTmpl: "x", DestPath: "local/x", ChangeMode: "script"}}
		}, want: []string{"TaskGroups[web].Tasks[app].Templates[0].ChangeScript: a command must be set"}},
		{name: "template wait min above max", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Tasks[0].Templates = []*nomadlike.Template{{EmbeddedTmpl: "x", DestPath: "local/x", ChangeMode: "noop", Wait: &nomadlike.WaitConfig{Min: 2 * time.Second, Max: time.Second}}}
		}, want: []string{"TaskGroups[web].Tasks[app].Templates[0].Wait.Min"}},
		// Bridge networking: what a group's own namespace is given.
		{name: "network dns server not an IP", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Networks[0].Mode = "bridge"
			j.TaskGroups[0].Networks[0].DNS = &nomadlike.DNSConfig{Servers: []string{"dns.example.com"}}
		}, want: []string{`TaskGroups[web].Networks[0].DNS.Servers[0]: "dns.example.com" is not an IP address`}},
		{name: "network hostname invalid", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Networks[0].Mode = "bridge"
			j.TaskGroups[0].Networks[0].Hostname = "web_1"
		}, want: []string{`TaskGroups[web].Networks[0].Hostname: "web_1" is not a valid hostname`}},
		{name: "network hostname interpolated on the client", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Networks[0].Mode = "bridge"
			j.TaskGroups[0].Networks[0].Hostname = "web-${NOMAD_ALLOC_INDEX}"
		}},
		{name: "network cni arg with separator", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Networks[0].Mode = "cni/mynet"
			j.TaskGroups[0].Networks[0].CNI = &nomadlike.CNIConfig{Args: map[string]string{"a;b": "1"}}
		}, want: []string{"TaskGroups[web].Networks[0].CNI.Args[a;b]"}},
		{name: "network mode unknown", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Networks[0].Mode = "macvlan"
		}, want: []string{`TaskGroups[web].Networks[0].Mode: unknown network mode "macvlan"`}},
		{name: "identity signal without a signal", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Tasks[0].Identity = &nomadlike.WorkloadIdentity{File: true, ChangeMode: "signal"}
		}, want: []string{"TaskGroups[web].Tasks[app].Identity.ChangeSignal: must be set when ChangeMode is signal"}},
		{name: "identity unknown change mode", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Tasks[0].Identity = &nomadlike.WorkloadIdentity{ChangeMode: "script"}
		}, want: []string{`TaskGroups[web].Tasks[app].Identity.ChangeMode: unknown change mode "script"`}},
		{name: "identity filepath escapes", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Tasks[0].Identity = &nomadlike.WorkloadIdentity{File: true, Filepath: "../../etc/shadow"}
		}, want: []string{"TaskGroups[web].Tasks[app].Identity.Filepath"}},
		{name: "identity filepath without file", mutate: func(j *nomadlike.Job) {
			j.TaskGroups[0].Tasks[0].Identity = &nomadlike.WorkloadIdentity{Filepath: "local/t.jwt"}
		}, want: []string{"TaskGroups[web].Tasks[app].Identity.Filepath: needs file = true"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := fixture.Job()
			tc.mutate(j)
			err := j.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors %q", tc.want)
			}
			if !errors.Is(err, nomadlike.ErrValidation) {
				t.Errorf("errors.Is(err, ErrValidation) = false for %v", err)
			}
			var ve *nomadlike.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() error %T, want *ValidationError", err)
			}
			if len(ve.Errors) != len(tc.want) {
				t.Fatalf("Validate() = %d errors %v, want %d", len(ve.Errors), ve.Errors, len(tc.want))
			}
			for i, w := range tc.want {
				if got := ve.Errors[i].String(); !strings.HasPrefix(got, w) {
					t.Errorf("error %d = %q, want prefix %q", i, got, w)
				}
			}
		})
	}
}

func TestCanonicalizeDefaults(t *testing.T) {
	cases := []struct {
		name       string
		jobType    string
		restart    nomadlike.RestartPolicy
		reschedule *nomadlike.ReschedulePolicy
	}{
		{"batch", nomadlike.JobTypeBatch,
			nomadlike.RestartPolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: "fail"},
			&nomadlike.ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"}},
		{"service", nomadlike.JobTypeService,
			nomadlike.RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"},
			&nomadlike.ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true}},
		{"system", nomadlike.JobTypeSystem,
			nomadlike.RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := &nomadlike.Job{ID: "x", Type: tc.jobType, TaskGroups: []*nomadlike.TaskGroup{{Name: "g", Count: 1, Tasks: []*nomadlike.Task{{Name: "t", Driver: "exec"}}}}}
			j.Canonicalize()
			tg := j.TaskGroups[0]
			if *tg.RestartPolicy != tc.restart {
				t.Errorf("RestartPolicy = %+v, want %+v", *tg.RestartPolicy, tc.restart)
			}
			if (tg.ReschedulePolicy == nil) != (tc.reschedule == nil) || (tc.reschedule != nil && *tg.ReschedulePolicy != *tc.reschedule) {
				t.Errorf("ReschedulePolicy = %+v, want %+v", tg.ReschedulePolicy, tc.reschedule)
			}
			task := tg.Tasks[0]
			if task.Resources.CPU != 100 || task.Resources.MemoryMB != 300 {
				t.Errorf("Resources = %+v, want CPU 100 MemoryMB 300", task.Resources)
			}
			if j.Region != "global" || j.Namespace != "default" || j.Priority != 50 || j.Datacenters[0] != "*" {
				t.Errorf("job defaults = %s %s %d %v", j.Region, j.Namespace, j.Priority, j.Datacenters)
			}
			if err := j.Validate(); err != nil {
				t.Errorf("Validate() after Canonicalize = %v", err)
			}
		})
	}
}

func TestVersionConstraint(t *testing.T) {
	cases := []struct {
		constraint, version string
		want                bool
	}{
		{">= 1.2, < 2.0", "1.5.0", true},
		{">= 1.2, < 2.0", "2.0.0", false},
		{"~> 1.4", "1.9", true},
		{"~> 1.4", "2.0", false},
		{"~> 1.4.2", "1.4.9", true},
		{"~> 1.4.2", "1.5.0", false},
		{"= 6.1", "v6.1.0-13-amd64", false},
		{"> 4.0", "6.1.0-13-amd64", true},
	}
	for _, tc := range cases {
		t.Run(tc.constraint+"/"+tc.version, func(t *testing.T) {
			vc, err := nomadlike.ParseVersionConstraint(tc.constraint)
			if err != nil {
				t.Fatal(err)
			}
			v, err := nomadlike.ParseVersion(tc.version)
			if err != nil {
				t.Fatal(err)
			}
			if got := vc.Check(v); got != tc.want {
				t.Errorf("Check(%q, %q) = %v, want %v", tc.constraint, tc.version, got, tc.want)
			}
		})
	}
}

func TestAllocIndex(t *testing.T) {
	cases := map[string]int{"web.app[3]": 3, "web.app[12]": 12, "x": -1, "x[]": -1, "a.b[0]": 0}
	for name, want := range cases {
		a := &nomadlike.Allocation{Name: name}
		if got := a.Index(); got != want {
			t.Errorf("Index(%q) = %d, want %d", name, got, want)
		}
	}
	if got := nomadlike.AllocName("j", "g", 42); got != "j.g[42]" {
		t.Errorf("AllocName = %q", got)
	}
}

func TestJobCopyIsDeep(t *testing.T) {
	j := fixture.Job()
	c := j.Copy()
	c.TaskGroups[0].Tasks[0].Env["FOO"] = "changed"
	c.TaskGroups[0].Tasks[0].Config["command"] = "/bin/false"
	c.TaskGroups[0].Count = 99
	c.Meta["owner"] = "other"
	if j.TaskGroups[0].Tasks[0].Env["FOO"] != "bar" || j.TaskGroups[0].Tasks[0].Config["command"] != "/bin/sleep" ||
		j.TaskGroups[0].Count != 3 || j.Meta["owner"] != "tests" {
		t.Fatalf("Copy shares state with the original: %+v", j.TaskGroups[0].Tasks[0])
	}
}
