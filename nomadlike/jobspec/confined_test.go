package jobspec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

const confinedJob = `
variable "n" {
  type    = number
  default = 1
}
job "c" {
  datacenters = ["dc1"]
  group "g" {
    count = var.n
    task "t" {
      driver = "raw_exec"
      config {
        command = CMD
      }
    }
  }
}
`

// TestParseConfined: a confined parse answers as Parse, takes variables
// files by content, refuses the file functions and the environment, and
// turns a file that exhausts its limits into ErrParseLimit.
func TestParseConfined(t *testing.T) {
	t.Setenv("NOMAD_VAR_n", "9")
	job := func(cmd string) []byte { return []byte(strings.Replace(confinedJob, "CMD", cmd, 1)) }
	var bomb strings.Builder
	bomb.WriteString("locals {\n  l0 = \"0123456789abcdef\"\n")
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&bomb, "  l%d = \"%s\"\n", i, strings.Repeat(fmt.Sprintf("${local.l%d}", i-1), 32))
	}
	bomb.WriteString("}\n")
	cases := []struct {
		name  string
		src   []byte
		vars  []VarSource
		count int
		err   error
		msg   string
	}{
		{"plain", job(`"/bin/true"`), nil, 1, nil, ""},
		{"variables file", job(`"/bin/true"`), []VarSource{{Name: "v.hcl", Src: []byte("n = 4\n")}}, 4, nil, ""},
		{"variables JSON", job(`"/bin/true"`), []VarSource{{Name: "v.json", Src: []byte(`{"n": 5}`)}}, 5, nil, ""},
		{"file", job(`file("/etc/hostname")`), nil, 0, ErrInvalidJobFile, "j.hcl:13:19: Error in function call: Call to function \"file\" failed: file functions are disabled"},
		{"fileexists", job(`fileexists("/etc/hostname") ? "a" : "b"`), nil, 0, ErrInvalidJobFile, "file functions are disabled"},
		{"invalid", job(`"/bin/true"`), []VarSource{{Name: "v.hcl", Src: []byte("n = -1\n")}}, 0, nomadlike.ErrValidation, "j.hcl:9:13: TaskGroups[g].Count: must be >= 0"},
		{"memory bomb", append([]byte(bomb.String()), job("local.l6")...), nil, 0, ErrParseLimit, "too expensive to parse"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			got, err := ParseConfined(ctx, "j.hcl", tc.src, tc.vars, ConfinedLimits{Memory: 256 << 20})
			if tc.err == nil {
				if err != nil || got.TaskGroups[0].Count != tc.count {
					t.Fatalf("ParseConfined = %+v, %v; want count %d", got, err, tc.count)
				}
				return
			}
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("ParseConfined = %v, want %v with %q", err, tc.err, tc.msg)
			}
		})
	}
}
