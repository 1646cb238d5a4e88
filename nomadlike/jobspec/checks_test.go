package jobspec

import (
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

const checksHCL = `job "web" {
  datacenters = ["dc1"]
  group "g" {
    network {
      port "http" {}
    }
    service {
      name = "web"
      port = "http"
      check_restart {
        limit = 3
        grace = "10s"
        ignore_warnings = true
      }
      check {
        name                     = "rpc"
        type                     = "grpc"
        port                     = "http"
        interval                 = "5s"
        timeout                  = "1s"
        grpc_service             = "health"
        grpc_use_tls             = true
        tls_skip_verify          = true
        tls_server_name          = "example"
        success_before_passing   = 2
        failures_before_critical = 3
        on_update                = "ignore_warnings"
        check_restart {
          limit = 1
          grace = "2s"
        }
      }
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
    }
  }
}
`

// TestParseCheckFields: the check attributes the check runner reads and
// check_restart (service- and check-level) are decoded, not dropped.
func TestParseCheckFields(t *testing.T) {
	job, err := Parse("web.nomad.hcl", []byte(checksHCL), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := job.TaskGroups[0].Services[0]
	if s.CheckRestart == nil || *s.CheckRestart != (nomadlike.CheckRestart{Limit: 3, Grace: 10 * time.Second, IgnoreWarnings: true}) {
		t.Fatalf("service check_restart = %+v", s.CheckRestart)
	}
	c := s.Checks[0]
	if c.GRPCService != "health" || !c.GRPCUseTLS || !c.TLSSkipVerify || c.TLSServerName != "example" ||
		c.SuccessBeforePassing != 2 || c.FailuresBeforeCritical != 3 || c.OnUpdate != "ignore_warnings" {
		t.Fatalf("check = %+v", c)
	}
	if c.CheckRestart == nil || *c.CheckRestart != (nomadlike.CheckRestart{Limit: 1, Grace: 2 * time.Second}) {
		t.Fatalf("check check_restart = %+v", c.CheckRestart)
	}
}

func TestParseCheckRestartErrors(t *testing.T) {
	tests := []struct {
		name, from, to, want string
	}{
		{"grace not a duration", `grace = "2s"`, `grace = "soon"`, "web.nomad.hcl:30:19"},
		{"limit not a number", `limit = 1`, `limit = "x"`, "web.nomad.hcl:29:19"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(checksHCL, tc.from, tc.to, 1)
			_, err := Parse("web.nomad.hcl", []byte(src), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one at %s", err, tc.want)
			}
		})
	}
}
