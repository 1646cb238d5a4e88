package allocrunner

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestDriverEventsAndNetwork: the events a driver reports while it starts
// a task become the task's "Driver" events (message, details), and the
// network StartTask reports lands in the task state the servers get.
func TestDriverEventsAndNetwork(t *testing.T) {
	h := newHarness(t)
	a := batchAlloc(task("work", map[string]any{"events": []any{"Downloading image", "Image pulled"}, "network_ip": "10.1.2.3"}))
	ar := h.start(a)
	got := waitStatus(t, ar, nomadlike.AllocClientStatusComplete)
	ts := got.TaskStates["work"]
	var msgs []string
	for _, e := range ts.Events {
		if e.Type == nomadlike.TaskEventDriverMessage {
			msgs = append(msgs, e.DisplayMessage)
			if e.Details["fake"] != "yes" || e.Details["driver_message"] != e.DisplayMessage {
				t.Errorf("driver event details = %v, want the driver's annotations and driver_message", e.Details)
			}
		}
	}
	if len(msgs) != 2 || msgs[0] != "Downloading image" || msgs[1] != "Image pulled" {
		t.Errorf("driver events = %q, want [Downloading image, Image pulled]; all: %s", msgs, describe(got))
	}
	if n := ts.DriverNetwork; n == nil || n.IP != "10.1.2.3" || n.PortMap["http"] != 8080 {
		t.Errorf("task state DriverNetwork = %+v, want 10.1.2.3 with http=8080", n)
	}
	if last := h.updater.Last(); last.TaskStates["work"].DriverNetwork == nil {
		t.Error("the alloc update the servers get has no DriverNetwork")
	}
}
