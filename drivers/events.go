package drivers

import (
	"context"
	"sync"
	"time"
)

// TaskEvent is something a driver reports about a task while it sets it up
// or runs it ("Downloading image", "Image pulled", a retry). The client
// appends it to the task's events with Type "Driver", Message as its
// DisplayMessage and Annotations as its Details, so it shows in
// `alloc status` and the API.
type TaskEvent struct {
	// TaskID is the TaskConfig.ID of the task the event is about.
	TaskID   string `json:"TaskID"`
	TaskName string `json:"TaskName"`
	AllocID  string `json:"AllocID"`
	// Timestamp is when it happened; zero means when the client receives it.
	Timestamp time.Time `json:"Timestamp"`
	// Message is one line for people.
	Message string `json:"Message"`
	// Annotations are details as key/value pairs (image, digest, attempt).
	Annotations map[string]string `json:"Annotations,omitempty"`
	// Err, when set, is an error the event reports (the task does not fail
	// because of it; StartTask's or WaitTask's result decides that).
	Err string `json:"Err,omitempty"`
}

// EventEmitter is implemented by drivers that report task events. The
// channel carries the events of every task of the driver until ctx is
// done; the driver closes it then. The client subscribes before StartTask,
// so events sent during StartTask (an image pull) reach the task's events.
// A slow reader may miss events; it never blocks the driver.
type EventEmitter interface {
	TaskEvents(ctx context.Context) (<-chan *TaskEvent, error)
}

// TaskEventsOf subscribes to the events of one task of d; it returns
// ErrNotSupported when d emits none. Over go-plugin the plugin filters the
// events; in process they are filtered here. The subscription is in place
// when it returns.
func TaskEventsOf(ctx context.Context, d Driver, taskID string) (<-chan *TaskEvent, error) {
	if c, ok := d.(*grpcClient); ok {
		return c.taskEvents(ctx, taskID)
	}
	em, ok := d.(EventEmitter)
	if !ok {
		return nil, ErrNotSupported
	}
	all, err := em.TaskEvents(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan *TaskEvent, eventBuffer)
	go func() {
		defer close(out)
		for ev := range all {
			if ev.TaskID != taskID {
				continue
			}
			// Deliver what was emitted before ctx ended: the subscriber
			// cancels when the task exits and still wants the events of
			// its start (a select on both would drop them at random).
			select {
			case out <- ev:
				continue
			default:
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// eventBuffer is how many events a subscriber may fall behind before the
// broadcaster drops events for it.
const eventBuffer = 64

// EventBroadcaster fans a driver's task events out to its subscribers; a
// driver embeds one (the zero value is ready) and implements EventEmitter
// with Subscribe:
//
//	func (d *Driver) TaskEvents(ctx context.Context) (<-chan *drivers.TaskEvent, error) {
//		return d.events.Subscribe(ctx), nil
//	}
//
// It is safe for concurrent use.
type EventBroadcaster struct {
	mu   sync.Mutex
	subs map[chan *TaskEvent]struct{}
}

// Subscribe returns a channel of every event emitted from now until ctx is
// done; then the channel is closed.
func (b *EventBroadcaster) Subscribe(ctx context.Context) <-chan *TaskEvent {
	ch := make(chan *TaskEvent, eventBuffer)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan *TaskEvent]struct{}{}
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, ch)
		close(ch)
		b.mu.Unlock()
	}()
	return ch
}

// Emit sends ev to every subscriber without blocking: a subscriber whose
// buffer is full misses it. A zero Timestamp is set to now.
func (b *EventBroadcaster) Emit(ev *TaskEvent) {
	if ev.Timestamp.IsZero() {
		ev.Timestamp = time.Now()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		c := *ev
		select {
		case ch <- &c:
		default:
		}
	}
}

// DriverNetwork is the network a driver made for a task (a container's own
// network namespace, as the bridge networking work will create), returned
// in TaskHandle.Network by StartTask. The client records it in the task's
// state (TaskState.DriverNetwork) for the API, `alloc status`, and what
// advertises the task's address. Nil: the task uses the host's network.
type DriverNetwork struct {
	// IP is the task's address in that network.
	IP string `json:"IP"`
	// PortMap maps a port label of the task's network block to the port the
	// task listens on inside that network.
	PortMap map[string]int `json:"PortMap,omitempty"`
	// AutoAdvertise says services should advertise IP and the mapped ports
	// rather than the host's address and ports.
	AutoAdvertise bool `json:"AutoAdvertise,omitempty"`
}
