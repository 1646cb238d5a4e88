package drivers

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/drivers/proto"
)

// grpcClient is a Driver whose methods run in a plugin process. It also
// implements Signaler and Execer; they return ErrNotSupported when the
// plugin's driver does not.
type grpcClient struct {
	name   string
	client proto.DriverClient

	mu   sync.Mutex
	info *Info // cached after the first successful Info call
}

var (
	_ Driver   = (*grpcClient)(nil)
	_ Signaler = (*grpcClient)(nil)
	_ Execer   = (*grpcClient)(nil)
)

// request encodes a contract value as the JSON payload of a request.
func request(v any, what string) (*proto.JSONRequest, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", what, err)
	}
	return &proto.JSONRequest{Json: b}, nil
}

// unpack decodes a reply into v, or turns the call's error into a driver error.
func unpack(ctx context.Context, r *proto.JSONReply, err error, v any, what string) error {
	if err != nil {
		return callError(ctx, err)
	}
	if err := json.Unmarshal(r.GetJson(), v); err != nil {
		return fmt.Errorf("decode %s from plugin: %w", what, err)
	}
	return nil
}

// Info returns the plugin's Info, asked once and then cached. When the
// plugin cannot be reached it returns an Info with only the plugin's name.
func (c *grpcClient) Info() Info {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.info != nil {
		return *c.info
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.client.Info(ctx, &proto.Empty{})
	var info Info
	if err := unpack(ctx, r, err, &info, "info"); err != nil {
		return Info{Name: c.name}
	}
	c.info = &info
	return info
}

func (c *grpcClient) SetConfig(cfg *PluginConfig) error {
	ctx := context.Background()
	req, err := request(cfg, "plugin config")
	if err != nil {
		return err
	}
	_, err = c.client.SetConfig(ctx, req)
	return callError(ctx, err)
}

func (c *grpcClient) Fingerprint(ctx context.Context) (*Fingerprint, error) {
	r, err := c.client.Fingerprint(ctx, &proto.Empty{})
	var fp Fingerprint
	if err := unpack(ctx, r, err, &fp, "fingerprint"); err != nil {
		return nil, err
	}
	return &fp, nil
}

func (c *grpcClient) ValidateTaskConfig(config json.RawMessage) error {
	ctx := context.Background()
	_, err := c.client.ValidateTaskConfig(ctx, &proto.JSONRequest{Json: config})
	return callError(ctx, err)
}

func (c *grpcClient) StartTask(cfg *TaskConfig) (*TaskHandle, error) {
	ctx := context.Background()
	req, err := request(cfg, "task config")
	if err != nil {
		return nil, err
	}
	r, err := c.client.StartTask(ctx, req)
	var h TaskHandle
	if err := unpack(ctx, r, err, &h, "task handle"); err != nil {
		return nil, err
	}
	return &h, nil
}

// WaitTask blocks until the task exits or ctx is done; cancelling ctx
// cancels the call in the plugin too.
func (c *grpcClient) WaitTask(ctx context.Context, taskID string) (*ExitResult, error) {
	r, err := c.client.WaitTask(ctx, &proto.TaskRequest{TaskId: taskID})
	var res ExitResult
	if err := unpack(ctx, r, err, &res, "exit result"); err != nil {
		return nil, err
	}
	return &res, nil
}

func (c *grpcClient) StopTask(taskID string, timeout time.Duration, signal string) error {
	ctx := context.Background()
	_, err := c.client.StopTask(ctx, &proto.StopTaskRequest{
		TaskId: taskID, TimeoutNs: int64(timeout), Signal: signal,
	})
	return callError(ctx, err)
}

func (c *grpcClient) DestroyTask(taskID string, force bool) error {
	ctx := context.Background()
	_, err := c.client.DestroyTask(ctx, &proto.DestroyTaskRequest{TaskId: taskID, Force: force})
	return callError(ctx, err)
}

func (c *grpcClient) InspectTask(taskID string) (*TaskStatus, error) {
	ctx := context.Background()
	r, err := c.client.InspectTask(ctx, &proto.TaskRequest{TaskId: taskID})
	var st TaskStatus
	if err := unpack(ctx, r, err, &st, "task status"); err != nil {
		return nil, err
	}
	return &st, nil
}

func (c *grpcClient) RecoverTask(handle *TaskHandle) error {
	ctx := context.Background()
	req, err := request(handle, "task handle")
	if err != nil {
		return err
	}
	_, err = c.client.RecoverTask(ctx, req)
	return callError(ctx, err)
}

func (c *grpcClient) TaskStats(ctx context.Context, taskID string) (*TaskResourceUsage, error) {
	r, err := c.client.TaskStats(ctx, &proto.TaskRequest{TaskId: taskID})
	var u TaskResourceUsage
	if err := unpack(ctx, r, err, &u, "task stats"); err != nil {
		return nil, err
	}
	return &u, nil
}

func (c *grpcClient) SignalTask(taskID string, signal string) error {
	ctx := context.Background()
	_, err := c.client.SignalTask(ctx, &proto.SignalTaskRequest{TaskId: taskID, Signal: signal})
	return callError(ctx, err)
}

// ExecTask runs cmd in the task; the call itself is bounded by timeout plus
// a grace period for the plugin to report the result.
func (c *grpcClient) ExecTask(taskID string, cmd []string, timeout time.Duration) (*ExecResult, error) {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout+10*time.Second)
		defer cancel()
	}
	r, err := c.client.ExecTask(ctx, &proto.ExecTaskRequest{TaskId: taskID, Cmd: cmd, TimeoutNs: int64(timeout)})
	var res ExecResult
	if err := unpack(ctx, r, err, &res, "exec result"); err != nil {
		return nil, err
	}
	return &res, nil
}
