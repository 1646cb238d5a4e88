package jobspec_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

// task wraps task body lines in a minimal job, so the task body starts on
// line 4, column 7 of the file.
func task(body string) string {
	return "job \"web\" {\n  group \"web\" {\n    task \"app\" {\n" + body + "\n    }\n  }\n}\n"
}

func TestParseBroken(t *testing.T) {
	const file = "broken.nomad.hcl"
	cases := []struct {
		name string
		src  string
		opts *jobspec.ParseOptions
		want []string // every diagnostic, "file:line:col: message", in order
	}{
		{
			name: "unknown attribute",
			src:  task(`      driver = "exec"` + "\n" + `      colour = "red"`),
			want: []string{`broken.nomad.hcl:5:7: Unsupported argument: An argument named "colour" is not expected here.`},
		},
		{
			name: "unknown block",
			src:  task(`      driver = "exec"` + "\n" + `      vaultt {}`),
			want: []string{`broken.nomad.hcl:5:7: Unsupported block type: Blocks of type "vaultt" are not expected here. Did you mean "vault"?`},
		},
		{
			name: "typo in a block nomadlike ignores",
			src:  task(`      driver = "exec"` + "\n" + `      vault {` + "\n" + `        rolee = "web"` + "\n" + `      }`),
			want: []string{`broken.nomad.hcl:6:9: Unsupported argument: An argument named "rolee" is not expected here. Did you mean "role"?`},
		},
		{
			name: "wrong type in a block nomadlike ignores",
			src:  task(`      driver = "exec"` + "\n" + `      identity {` + "\n" + `        env = "maybe"` + "\n" + `        ttl = 60` + "\n" + `      }`),
			want: []string{
				`broken.nomad.hcl:6:15: Incorrect attribute value type: Inappropriate value for attribute "env": a bool is required.`,
				`broken.nomad.hcl:7:15: Incorrect attribute value type: Inappropriate value for attribute "ttl": a duration string like "30s" or "1h30m" is required.`,
			},
		},
		{
			name: "wrong type",
			src:  "job \"web\" {\n  group \"web\" {\n    count = \"many\"\n    task \"app\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			want: []string{`broken.nomad.hcl:3:13: Incorrect attribute value type: Inappropriate value for attribute "count": a number is required.`},
		},
		{
			name: "fractional count",
			src:  "job \"web\" {\n  group \"web\" {\n    count = 1.5\n    task \"app\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			want: []string{`broken.nomad.hcl:3:13: Invalid value: Inappropriate value for attribute "count": a whole number is required, not 1.5.`},
		},
		{
			name: "number out of range",
			src:  task(`      driver = "exec"` + "\n" + `      affinity {` + "\n" + `        attribute = "${meta.x}"` + "\n" + `        weight = 300` + "\n" + `      }`),
			want: []string{`broken.nomad.hcl:7:18: Invalid value: Inappropriate value for attribute "weight": value must be a whole number, between -128 and 127.`},
		},
		{
			name: "bad duration",
			src:  task(`      driver = "exec"` + "\n" + `      kill_timeout = "5 parsecs"`),
			want: []string{`broken.nomad.hcl:5:22: Invalid duration: "5 parsecs" is not a duration like "30s" or "1h30m" (time: unknown unit " parsecs" in duration "5 parsecs").`},
		},
		{
			name: "duration as a number",
			src:  task(`      driver = "exec"` + "\n" + `      kill_timeout = 30`),
			want: []string{`broken.nomad.hcl:5:22: Incorrect attribute value type: Inappropriate value for attribute "kill_timeout": a duration string like "30s" or "1h30m" is required.`},
		},
		{
			name: "missing driver",
			src:  task(`      user = "nobody"`),
			want: []string{`broken.nomad.hcl:3:5: TaskGroups[web].Tasks[app].Driver: missing driver`},
		},
		{
			name: "negative count",
			src:  "job \"web\" {\n  group \"web\" {\n    count = -1\n    task \"app\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			want: []string{`broken.nomad.hcl:3:13: TaskGroups[web].Count: must be >= 0, got -1`},
		},
		{
			name: "undefined variable",
			src:  task(`      driver = "exec"` + "\n" + `      user = var.owner`),
			want: []string{`broken.nomad.hcl:5:14: Undefined variable: There is no variable named "owner"; declare it with a variable "owner" block.`},
		},
		{
			name: "undefined variable in a template",
			src:  task(`      driver = "exec"` + "\n" + `      user = "u-${var.owner}-${node.unique.name}"`),
			want: []string{`broken.nomad.hcl:5:19: Undefined variable: There is no variable named "owner"; declare it with a variable "owner" block.`},
		},
		{
			name: "undefined variable in a dynamic for_each",
			src:  "job \"web\" {\n  group \"web\" {\n    network {\n      dynamic \"port\" {\n        for_each = var.ports\n        labels = [port.value]\n        content {}\n      }\n    }\n    task \"app\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			want: []string{`broken.nomad.hcl:5:20: Undefined variable: There is no variable named "ports"; declare it with a variable "ports" block.`},
		},
		{
			name: "syntax error",
			src:  task(`      driver = = "exec"`),
			want: []string{`broken.nomad.hcl:4:16: Invalid expression: Expected the start of an expression, but found an invalid expression token.`},
		},
		{
			name: "bad constraint operand",
			src: "job \"web\" {\n  constraint {\n    attribute = \"${attr.kernel.name}\"\n    operator  = \"~=\"\n    value     = \"linux\"\n  }\n" +
				"  group \"web\" {\n    task \"app\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			want: []string{`broken.nomad.hcl:4:17: Constraints[0].Operand: unknown operand "~="`},
		},
		{
			name: "several validation problems at once",
			src:  "job \"web\" {\n  priority = 500\n  group \"web\" {\n    count = -2\n    task \"app\" {\n      resources {\n        memory = 1\n      }\n    }\n  }\n}\n",
			want: []string{
				`broken.nomad.hcl:2:14: Priority: must be between 1 and 100, got 500`,
				`broken.nomad.hcl:4:13: TaskGroups[web].Count: must be >= 0, got -2`,
				`broken.nomad.hcl:5:5: TaskGroups[web].Tasks[app].Driver: missing driver`,
				`broken.nomad.hcl:7:18: TaskGroups[web].Tasks[app].Resources.MemoryMB: must be >= 10`,
			},
		},
		{
			name: "service on an unknown port",
			src:  "job \"web\" {\n  group \"web\" {\n    service {\n      port = \"http\"\n    }\n    task \"app\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			want: []string{`broken.nomad.hcl:4:14: TaskGroups[web].Services[0].PortLabel: no port labelled "http" in the group or task network`},
		},
		{
			name: "duplicate static port",
			src:  "job \"web\" {\n  group \"web\" {\n    network {\n      port \"a\" {\n        static = 80\n      }\n      port \"b\" {\n        static = 80\n      }\n    }\n    task \"app\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			want: []string{`broken.nomad.hcl:8:18: TaskGroups[web].Networks[0].ReservedPorts[b].Value: port 80 is also reserved by "a"`},
		},
		{
			name: "bad cron spec",
			src:  "job \"r\" {\n  type = \"batch\"\n  periodic {\n    crons = [\"61 * * * *\"]\n  }\n  group \"g\" {\n    task \"t\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			want: []string{`broken.nomad.hcl:4:13: Periodic.Spec: invalid cron expression "61 * * * *": syntax error in minute field: '61'`},
		},
		{
			name: "duplicate block",
			src:  task(`      driver = "exec"` + "\n" + `      resources {}` + "\n" + `      resources {}`),
			want: []string{`broken.nomad.hcl:6:7: Duplicate resources block: Only one resources block is allowed here; the first is at broken.nomad.hcl:5,7-16.`},
		},
		{
			name: "missing job block",
			src:  "variable \"x\" {\n  default = 1\n}\n",
			want: []string{`broken.nomad.hcl:1:1: Missing job block: A job file needs one job "ID" { ... } block.`},
		},
		{
			name: "missing variable value",
			src:  "variable \"owner\" {}\n" + task(`      driver = "exec"`),
			want: []string{`broken.nomad.hcl:1:1: Missing variable value: var.owner has no default; set it with -var owner=..., a -var-file or NOMAD_VAR_owner.`},
		},
		{
			name: "variable validation",
			src:  "variable \"n\" {\n  type = number\n  default = 20\n  validation {\n    condition = var.n < 10\n    error_message = \"n must be below 10.\"\n  }\n}\n" + task(`      driver = "exec"`),
			want: []string{`broken.nomad.hcl:5:17: Invalid value for variable: var.n: n must be below 10.`},
		},
		{
			name: "variable of the wrong type",
			src:  "variable \"n\" {\n  type = number\n  default = \"many\"\n}\n" + task(`      driver = "exec"`),
			want: []string{`broken.nomad.hcl:3:13: Invalid value for variable: The value for var.n is not a number: a number is required.`},
		},
		{
			name: "-var for an undeclared variable",
			src:  task(`      driver = "exec"`),
			opts: &jobspec.ParseOptions{Vars: map[string]string{"nope": "1"}},
			want: []string{`Undefined variable: -var nope=...: the job file declares no variable "nope"; add a variable "nope" block.`},
		},
		{
			name: "-var of the wrong type",
			src:  "variable \"n\" {\n  type = number\n}\n" + task(`      driver = "exec"`),
			opts: &jobspec.ParseOptions{Vars: map[string]string{"n": "ten"}},
			want: []string{`Invalid value for variable: -var n: "ten" is not a number: a number is required.`},
		},
		{
			name: "undefined local",
			src:  "locals {\n  a = local.b\n}\n" + task(`      driver = "exec"`),
			want: []string{`broken.nomad.hcl:2:7: Undefined local: There is no local value named "b"; define it in a locals block.`},
		},
		{
			name: "cycle in locals",
			src:  "locals {\n  a = local.b\n  b = local.a\n}\n" + task(`      driver = "exec"`),
			want: []string{
				`broken.nomad.hcl:2:3: Cycle in locals: local.a depends on itself through other locals.`,
				`broken.nomad.hcl:3:3: Cycle in locals: local.b depends on itself through other locals.`,
			},
		},
		{
			name: "bare runtime reference",
			src:  task(`      driver = "exec"` + "\n" + `      user = attr.user`),
			want: []string{`broken.nomad.hcl:5:14: Unknown variable: There is no variable named "attr".`},
		},
		{
			name: "more than one cron",
			src:  "job \"web\" {\n  type = \"batch\"\n  periodic {\n    crons = [\"@daily\", \"@hourly\"]\n  }\n  group \"web\" {\n    task \"app\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			want: []string{`broken.nomad.hcl:4:13: Unsupported crons: crons must list exactly one cron expression, got 2; nomadlike runs one schedule per job.`},
		},
		{
			name: "conflicting constraint operators",
			src: "job \"web\" {\n  constraint {\n    attribute = \"${attr.kernel.version}\"\n    operator = \"=\"\n    version = \">= 1\"\n  }\n" +
				"  group \"web\" {\n    task \"app\" {\n      driver = \"exec\"\n    }\n  }\n}\n",
			want: []string{`broken.nomad.hcl:5:5: Conflicting operator: version sets the operator to "version", but it is already "="; use one.`},
		},
		{
			name: "label inside config",
			src:  task(`      driver = "exec"` + "\n" + `      config {` + "\n" + `        mount "x" {}` + "\n" + `      }`),
			want: []string{`broken.nomad.hcl:6:15: Unexpected block label: Blocks inside config take no labels.`},
		},
		{
			name: "env both as attribute and block",
			src:  task(`      driver = "exec"` + "\n" + `      env = { A = "1" }` + "\n" + `      env {` + "\n" + `        B = "2"` + "\n" + `      }`),
			want: []string{`broken.nomad.hcl:6:7: Duplicate env: env is set both as an attribute at broken.nomad.hcl:5,7-10 and as a block; use one.`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if opts == nil {
				opts = &jobspec.ParseOptions{}
			}
			opts.Environ = []string{}
			job, err := jobspec.Parse(file, []byte(tc.src), opts)
			if err == nil {
				t.Fatalf("Parse() = job %q, want an error", job.ID)
			}
			var perr *jobspec.Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse() error is %T (%v), want *jobspec.Error", err, err)
			}
			if !errors.Is(err, jobspec.ErrInvalidJobFile) {
				t.Errorf("errors.Is(err, ErrInvalidJobFile) = false")
			}
			var got []string
			for _, d := range perr.Diagnostics {
				got = append(got, d.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Parse() diagnostics:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}
