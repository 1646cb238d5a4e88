package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestSDKSchemaContainerdEvents: the containerd plugin of a real agent, on
// a private containerd daemon, reports the import of the task's image as
// "Driver" task events that alloc status shows; a config its schema refuses
// never reaches it (job run fails, no allocation).
func TestSDKSchemaContainerdEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts containerd and an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := startContainerdEnv(t, "INFO")
	a := e.agent

	a.mustCLI(ctx, "job", "run", a.writeJob("ctr-events", e.job("ctr-events", "batch", `        command = "true"`, "")))
	alloc := a.waitOneAlloc(ctx, "ctr-events", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	status := a.mustCLI(ctx, "alloc", "status", alloc.ID)
	if alloc.ClientStatus != nomadlike.AllocClientStatusComplete {
		t.Fatalf("alloc = %s, want complete\n%s", alloc.ClientStatus, status)
	}
	for _, want := range []string{"Importing image", "Image imported"} {
		if !strings.Contains(status, want) {
			t.Errorf("alloc status lacks the driver's %q event:\n%s", want, status)
		}
	}

	code, out := a.cli(ctx, "job", "run", a.writeJob("ctr-typo", e.job("ctr-typo", "batch", `        comand = "true"`, "")))
	if want := `group "g" task "t" config.comand: unknown key (did you mean "command"?)`; code == 0 || !strings.Contains(out, want) {
		t.Fatalf("job run with a typo = exit %d, want %q:\n%s", code, want, out)
	}
	if allocs, _, err := a.api().Jobs().Allocations(ctx, "ctr-typo", false, nil); err == nil && len(allocs) != 0 {
		t.Errorf("allocations of the refused job: %d", len(allocs))
	}
}
