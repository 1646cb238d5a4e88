package containerd_test

import (
	"context"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/plugins/containerd/ctrdtest"
)

// TestContainerdImageEvents: a task whose image is imported from its
// image_archive reports "Importing image" then "Image imported" (with the
// digest) as task events, on a real containerd.
func TestContainerdImageEvents(t *testing.T) {
	e := &env{daemon: ctrdtest.Start(t, testNamespace), dataDir: t.TempDir()}
	e.archive = ctrdtest.BusyboxArchive(t, t.TempDir(), testImage)
	d := e.driver(t, nil)
	cfg := e.task(t, "events", map[string]any{"command": "true"})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	events, err := drivers.TaskEventsOf(ctx, d, cfg.ID)
	if err != nil {
		t.Fatalf("TaskEventsOf: %v", err)
	}
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer destroy(t, d, cfg.ID)
	for _, want := range []string{"Importing image", "Image imported"} {
		select {
		case ev := <-events:
			if ev.Message != want || ev.Annotations["image"] != testImage {
				t.Fatalf("event = %+v, want %q about %s", ev, want, testImage)
			}
			if want == "Image imported" && ev.Annotations["digest"] == "" {
				t.Errorf("Image imported event has no digest: %+v", ev)
			}
		case <-ctx.Done():
			t.Fatalf("no %q event", want)
		}
	}
	wait(t, d, cfg.ID)
}
