package containerd

import (
	"context"

	"github.com/nomadlike/nomadlike/drivers"
)

var _ drivers.EventEmitter = (*Driver)(nil)

// TaskEvents implements drivers.EventEmitter: the driver reports the image
// steps of a task's start ("Importing image", "Image imported",
// "Downloading image", "Image pulled"), which the client shows with the
// task's events.
func (d *Driver) TaskEvents(ctx context.Context) (<-chan *drivers.TaskEvent, error) {
	return d.events.Subscribe(ctx), nil
}

// taskEvent reports one step of a task's start.
func (d *Driver) taskEvent(task *drivers.TaskConfig, msg string, annotations map[string]string) {
	d.events.Emit(&drivers.TaskEvent{TaskID: task.ID, AllocID: task.AllocID, TaskName: task.Name, Message: msg, Annotations: annotations})
}
