package drivers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nomadlike/nomadlike/drivers/proto"
)

// TaskEvents serves the driver's task events (EventEmitter), of one task
// or of all, until the client goes away. The first reply is empty: the
// subscription is in place.
func (s *grpcServer) TaskEvents(req *proto.TaskRequest, stream proto.Driver_TaskEventsServer) error {
	em, ok := s.impl.(EventEmitter)
	if !ok {
		return toStatus(fmt.Errorf("task events: %w", ErrNotSupported))
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	ch, err := em.TaskEvents(ctx)
	if err != nil {
		return toStatus(err)
	}
	if err := stream.Send(&proto.JSONReply{}); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			if req.GetTaskId() != "" && ev.TaskID != req.GetTaskId() {
				continue
			}
			b, err := json.Marshal(ev)
			if err != nil {
				return toStatus(fmt.Errorf("encode task event: %w", err))
			}
			if err := stream.Send(&proto.JSONReply{Json: b}); err != nil {
				return err
			}
		}
	}
}

// TaskEvents subscribes to the plugin's events of every task.
func (c *grpcClient) TaskEvents(ctx context.Context) (<-chan *TaskEvent, error) {
	return c.taskEvents(ctx, "")
}

var _ EventEmitter = (*grpcClient)(nil)

// taskEvents subscribes to the plugin's events of taskID ("" for all) and
// returns once the plugin has confirmed the subscription. A plugin whose
// driver emits none (or that predates TaskEvents) is ErrNotSupported.
func (c *grpcClient) taskEvents(ctx context.Context, taskID string) (<-chan *TaskEvent, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.client.TaskEvents(ctx, &proto.TaskRequest{TaskId: taskID})
	if err != nil {
		cancel()
		return nil, callError(ctx, err)
	}
	if _, err := stream.Recv(); err != nil { // the empty "subscribed" reply
		cancel()
		return nil, callError(ctx, err)
	}
	out := make(chan *TaskEvent, eventBuffer)
	go func() {
		defer cancel()
		defer close(out)
		for {
			r, err := stream.Recv()
			if err != nil {
				return
			}
			var ev TaskEvent
			if json.Unmarshal(r.GetJson(), &ev) != nil {
				continue
			}
			select {
			case out <- &ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
