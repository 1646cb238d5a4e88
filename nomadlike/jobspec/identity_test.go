package jobspec

import (
	"testing"
	"time"
)

func TestIdentityBlockDecode(t *testing.T) {
	src := `job "j" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      identity {
        env  = true
        file = true
        aud  = ["vault.io"]
        ttl  = "1h"
        change_mode   = "signal"
        change_signal = "SIGHUP"
        filepath      = "local/token.jwt"
      }
    }
  }
}`
	job, err := Parse("j.hcl", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	id := job.TaskGroups[0].Tasks[0].Identity
	if id == nil || !id.Env || !id.File || id.TTL != time.Hour || len(id.Audience) != 1 || id.Audience[0] != "vault.io" || id.Name != "default" ||
		id.ChangeMode != "signal" || id.ChangeSignal != "SIGHUP" || id.Filepath != "local/token.jwt" {
		t.Fatalf("Identity = %+v", id)
	}
}
