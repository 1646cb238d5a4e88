package taskenv

import (
	"reflect"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func testEnv(t *testing.T) (*Env, *nomadlike.Allocation, *nomadlike.Node) {
	t.Helper()
	job := fixture.Job()
	job.Meta = map[string]string{"owner": "job", "team-name": "core"}
	job.TaskGroups[0].Meta = map[string]string{"owner": "group"}
	task := job.TaskGroups[0].Tasks[0]
	task.Meta = map[string]string{"level": "task"}
	task.Env = map[string]string{
		"GREETING": "hi from ${NOMAD_TASK_NAME} on ${node.unique.name}",
		"RACK":     "${meta.rack}",
		"UNKNOWN":  "${nope.nothing}",
		"FOO":      "bar",
	}
	node := fixture.Node()
	alloc := fixture.Alloc(job, node, 2)
	alloc.AllocatedResources.Tasks[task.Name].Memory.MemoryMaxMB = 512
	alloc.AllocatedResources.Shared.Ports = []nomadlike.AllocatedPort{{Label: "http", Value: 23456, To: 8080, HostIP: "10.0.0.5"}}
	env := Build(node, alloc, task, Paths{AllocDir: "/alloc", TaskDir: "/local", SecretsDir: "/secrets"})
	return env, alloc, node
}

func TestBuild(t *testing.T) {
	env, alloc, node := testEnv(t)
	want := map[string]string{
		"NOMAD_ALLOC_ID":         alloc.ID,
		"NOMAD_ALLOC_NAME":       alloc.Name,
		"NOMAD_ALLOC_INDEX":      "2",
		"NOMAD_JOB_ID":           alloc.Job.ID,
		"NOMAD_JOB_NAME":         alloc.Job.Name,
		"NOMAD_GROUP_NAME":       "web",
		"NOMAD_TASK_NAME":        "app",
		"NOMAD_NAMESPACE":        "default",
		"NOMAD_REGION":           "global",
		"NOMAD_DC":               "dc1",
		"NOMAD_ALLOC_DIR":        "/alloc",
		"NOMAD_TASK_DIR":         "/local",
		"NOMAD_SECRETS_DIR":      "/secrets",
		"NOMAD_CPU_LIMIT":        "500",
		"NOMAD_MEMORY_LIMIT":     "256",
		"NOMAD_MEMORY_MAX_LIMIT": "512",
		"NOMAD_META_owner":       "group",
		"NOMAD_META_OWNER":       "group",
		"NOMAD_META_level":       "task",
		"NOMAD_META_team_name":   "core",
		"NOMAD_PORT_http":        "8080",
		"NOMAD_HOST_PORT_http":   "23456",
		"NOMAD_IP_http":          "10.0.0.5",
		"NOMAD_ADDR_http":        "10.0.0.5:23456",
		"FOO":                    "bar",
		"GREETING":               "hi from app on " + node.Name,
		"RACK":                   "r1",
		"UNKNOWN":                "${nope.nothing}",
	}
	got := env.Map()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("env[%s] = %q, want %q", k, got[k], v)
		}
	}
}

func TestReplace(t *testing.T) {
	env, alloc, node := testEnv(t)
	cases := []struct{ in, want string }{
		{"${node.unique.id}", node.ID},
		{"${node.datacenter}/${node.class}", "dc1/"},
		{"${attr.cpu.arch}", "amd64"},
		{"${meta.rack}", "r1"},
		{`${env["FOO"]}-${FOO}`, "bar-bar"},
		{"id=${NOMAD_ALLOC_ID}", "id=" + alloc.ID},
		{"${ NOMAD_TASK_NAME }", "app"},
		{"${missing} and ${", "${missing} and ${"},
		{"no vars", "no vars"},
	}
	for _, tc := range cases {
		if got := env.ReplaceEnv(tc.in); got != tc.want {
			t.Errorf("ReplaceEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	cfg := map[string]any{
		"command": "${NOMAD_TASK_DIR}/run",
		"args":    []any{"--id", "${NOMAD_ALLOC_ID}", 3},
		"nested":  map[string]any{"deep": []any{map[string]any{"x": "${meta.rack}"}}},
	}
	got := env.ReplaceConfig(cfg)
	want := map[string]any{
		"command": "/local/run",
		"args":    []any{"--id", alloc.ID, 3},
		"nested":  map[string]any{"deep": []any{map[string]any{"x": "r1"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReplaceConfig() = %v, want %v", got, want)
	}
	if cfg["command"] != "${NOMAD_TASK_DIR}/run" {
		t.Errorf("ReplaceConfig modified its input")
	}
}
