package drivers

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/schema"
)

// TaskEvents and TaskConfigSchema of the fake driver (fake_test.go).
func (d *fakeDriver) TaskEvents(ctx context.Context) (<-chan *TaskEvent, error) {
	return d.events.Subscribe(ctx), nil
}

func (d *fakeDriver) TaskConfigSchema() *schema.Schema { return schema.MustOf(fakeTaskConfig{}) }

// TestTaskEventsOverPlugin: a driver's events emitted during StartTask
// reach a subscriber of that task through go-plugin, events of other tasks
// do not, and the network StartTask reports comes back in the handle.
func TestTaskEventsOverPlugin(t *testing.T) {
	p := launchFake(t)
	d := p.Driver()
	if err := d.SetConfig(&PluginConfig{Config: json.RawMessage(`{"enabled": true}`)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	events, err := TaskEventsOf(ctx, d, "t1")
	if err != nil {
		t.Fatalf("TaskEventsOf = %v", err)
	}
	if _, err := d.StartTask(fakeTaskConfigFor("t0", "sleep")); err != nil {
		t.Fatal(err)
	}
	h, err := d.StartTask(fakeTaskConfigFor("t1", "sleep"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Network == nil || h.Network.IP != "10.0.0.2" || h.Network.PortMap["http"] != 8080 {
		t.Errorf("StartTask network = %+v, want 10.0.0.2 http=8080", h.Network)
	}
	select {
	case ev := <-events:
		if ev.TaskID != "t1" || ev.Message != "Preparing fake task" || ev.Annotations["step"] != "1" || ev.Timestamp.IsZero() {
			t.Errorf("event = %+v, want t1's \"Preparing fake task\"", ev)
		}
	case <-ctx.Done():
		t.Fatal("no event for t1")
	}
	cancel()
	for range events { // closed once the subscription ends
	}
}

// TestSchemaOverPlugin: the schema a plugin's driver publishes arrives in
// the Info the host reads.
func TestSchemaOverPlugin(t *testing.T) {
	d := launchFake(t).Driver()
	s := TaskConfigSchemaOf(d)
	if s == nil || len(s.Fields) != 1 || s.Fields[0].Name != "command" {
		t.Fatalf("TaskConfigSchemaOf(plugin) = %v, want the fake's command field", s)
	}
	if err := s.Check([]byte(`{"comand":"x"}`), "config"); err == nil || err.Error() != `config.comand: unknown key (did you mean "command"?)` {
		t.Errorf("Check with the published schema = %v", err)
	}
}

type silentDriver struct{ Driver }

func TestTaskEventsOfNotSupported(t *testing.T) {
	if _, err := TaskEventsOf(context.Background(), silentDriver{}, "x"); !errors.Is(err, ErrNotSupported) {
		t.Errorf("TaskEventsOf(driver without events) = %v, want ErrNotSupported", err)
	}
}

func TestEventBroadcaster(t *testing.T) {
	var b EventBroadcaster
	b.Emit(&TaskEvent{TaskID: "before"}) // no subscriber: dropped
	ctx, cancel := context.WithCancel(context.Background())
	ch := b.Subscribe(ctx)
	for i := 0; i < eventBuffer+10; i++ { // a full buffer drops, never blocks
		b.Emit(&TaskEvent{TaskID: "x"})
	}
	if len(ch) != eventBuffer {
		t.Errorf("buffered events = %d, want %d", len(ch), eventBuffer)
	}
	cancel()
	n := 0
	for range ch {
		n++
	}
	if n != eventBuffer {
		t.Errorf("events read = %d, want %d", n, eventBuffer)
	}
}
