package jobspec

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func migrateJobHCL(jobBlock, groupBlock string) string {
	return `job "web" {
  ` + jobBlock + `
  group "a" {
    count = 3
    ` + groupBlock + `
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
    }
  }
}
`
}

// TestParseMigrate: the migrate block is decoded at job and group level,
// a group's block overlays the job's, which overlays Nomad's defaults, and
// canonicalization gives every service group one.
func TestParseMigrate(t *testing.T) {
	def := *nomadlike.DefaultMigrateStrategy()
	cases := []struct {
		name            string
		jobBlock, group string
		want            nomadlike.MigrateStrategy
	}{
		{name: "defaults", want: def},
		{
			name:     "job level",
			jobBlock: `migrate { max_parallel = 2 }`,
			want:     nomadlike.MigrateStrategy{MaxParallel: 2, HealthCheck: "checks", MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute},
		},
		{
			name:     "group overlays job",
			jobBlock: `migrate { max_parallel = 2 }`,
			group:    "migrate {\n health_check = \"task_states\"\n min_healthy_time = \"1s\"\n healthy_deadline = \"1m\"\n}",
			want:     nomadlike.MigrateStrategy{MaxParallel: 2, HealthCheck: "task_states", MinHealthyTime: time.Second, HealthyDeadline: time.Minute},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ParseWarnings("web.nomad.hcl", []byte(migrateJobHCL(tc.jobBlock, tc.group)), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range res.Warnings {
				if strings.Contains(fmt.Sprint(w), "igrate") {
					t.Errorf("warning %v: migrate has an effect", w)
				}
			}
			job := res.Job
			if got := job.TaskGroups[0].Migrate; got == nil || *got != tc.want {
				t.Fatalf("group migrate = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestParseMigrateErrors: a wrong type names the file position; a value
// Nomad refuses names the field.
func TestParseMigrateErrors(t *testing.T) {
	cases := []struct {
		name, group, want string
	}{
		{name: "type", group: `migrate { max_parallel = "x" }`, want: "web.nomad.hcl:5"},
		{name: "manual", group: `migrate { health_check = "manual" }`, want: "Migrate.HealthCheck"},
		{name: "negative", group: `migrate { max_parallel = -1 }`, want: "Migrate.MaxParallel"},
		{name: "min over deadline", group: "migrate {\n min_healthy_time = \"2m\"\n healthy_deadline = \"1m\"\n}", want: "Migrate.MinHealthyTime"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("web.nomad.hcl", []byte(migrateJobHCL("", tc.group)), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one naming %q", err, tc.want)
			}
		})
	}
}
