package drivers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nomadlike/nomadlike/drivers/proto"
)

// grpcServer serves a Driver's methods to the client agent over gRPC.
type grpcServer struct {
	proto.UnimplementedDriverServer
	impl Driver
	live *liveness // nil outside Serve
}

var _ proto.DriverServer = (*grpcServer)(nil)

// reply encodes a contract value as the JSON payload of a reply.
func reply(v any) (*proto.JSONReply, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, toStatus(fmt.Errorf("encode reply: %w", err))
	}
	return &proto.JSONReply{Json: b}, nil
}

// decode reads a contract value from the JSON payload of a request.
func decode(b []byte, v any, what string) error {
	if err := json.Unmarshal(b, v); err != nil {
		return toStatus(fmt.Errorf("decode %s: %w", what, err))
	}
	return nil
}

func (s *grpcServer) Info(context.Context, *proto.Empty) (*proto.JSONReply, error) {
	info := s.impl.Info()
	if p, ok := s.impl.(SchemaPublisher); ok && info.TaskConfigSchema == nil {
		info.TaskConfigSchema = p.TaskConfigSchema()
	}
	return reply(info)
}

func (s *grpcServer) SetConfig(_ context.Context, req *proto.JSONRequest) (*proto.Empty, error) {
	var cfg PluginConfig
	if err := decode(req.GetJson(), &cfg, "plugin config"); err != nil {
		return nil, err
	}
	return &proto.Empty{}, toStatus(s.impl.SetConfig(&cfg))
}

func (s *grpcServer) Fingerprint(ctx context.Context, _ *proto.Empty) (*proto.JSONReply, error) {
	fp, err := s.impl.Fingerprint(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return reply(fp)
}

func (s *grpcServer) ValidateTaskConfig(_ context.Context, req *proto.JSONRequest) (*proto.Empty, error) {
	return &proto.Empty{}, toStatus(s.impl.ValidateTaskConfig(json.RawMessage(req.GetJson())))
}

func (s *grpcServer) StartTask(_ context.Context, req *proto.JSONRequest) (*proto.JSONReply, error) {
	var cfg TaskConfig
	if err := decode(req.GetJson(), &cfg, "task config"); err != nil {
		return nil, err
	}
	h, err := s.impl.StartTask(&cfg)
	if err != nil {
		return nil, toStatus(err)
	}
	s.live.taskStarted(cfg.ID)
	return reply(h)
}

func (s *grpcServer) WaitTask(ctx context.Context, req *proto.TaskRequest) (*proto.JSONReply, error) {
	res, err := s.impl.WaitTask(ctx, req.GetTaskId())
	if err != nil {
		return nil, toStatus(err)
	}
	return reply(res)
}

func (s *grpcServer) StopTask(_ context.Context, req *proto.StopTaskRequest) (*proto.Empty, error) {
	err := s.impl.StopTask(req.GetTaskId(), time.Duration(req.GetTimeoutNs()), req.GetSignal())
	return &proto.Empty{}, toStatus(err)
}

func (s *grpcServer) DestroyTask(_ context.Context, req *proto.DestroyTaskRequest) (*proto.Empty, error) {
	err := s.impl.DestroyTask(req.GetTaskId(), req.GetForce())
	if err == nil || errors.Is(err, ErrTaskNotFound) {
		s.live.taskGone(req.GetTaskId())
	}
	return &proto.Empty{}, toStatus(err)
}

func (s *grpcServer) InspectTask(_ context.Context, req *proto.TaskRequest) (*proto.JSONReply, error) {
	st, err := s.impl.InspectTask(req.GetTaskId())
	if err != nil {
		return nil, toStatus(err)
	}
	return reply(st)
}

func (s *grpcServer) RecoverTask(_ context.Context, req *proto.JSONRequest) (*proto.Empty, error) {
	var h TaskHandle
	if err := decode(req.GetJson(), &h, "task handle"); err != nil {
		return nil, err
	}
	err := s.impl.RecoverTask(&h)
	if err == nil && h.Config != nil {
		s.live.taskStarted(h.Config.ID)
	}
	return &proto.Empty{}, toStatus(err)
}

func (s *grpcServer) TaskStats(ctx context.Context, req *proto.TaskRequest) (*proto.JSONReply, error) {
	u, err := s.impl.TaskStats(ctx, req.GetTaskId())
	if err != nil {
		return nil, toStatus(err)
	}
	return reply(u)
}

func (s *grpcServer) SignalTask(_ context.Context, req *proto.SignalTaskRequest) (*proto.Empty, error) {
	sig, ok := s.impl.(Signaler)
	if !ok {
		return nil, toStatus(fmt.Errorf("signal task: %w", ErrNotSupported))
	}
	return &proto.Empty{}, toStatus(sig.SignalTask(req.GetTaskId(), req.GetSignal()))
}

func (s *grpcServer) ExecTask(_ context.Context, req *proto.ExecTaskRequest) (*proto.JSONReply, error) {
	ex, ok := s.impl.(Execer)
	if !ok {
		return nil, toStatus(fmt.Errorf("exec task: %w", ErrNotSupported))
	}
	res, err := ex.ExecTask(req.GetTaskId(), req.GetCmd(), time.Duration(req.GetTimeoutNs()))
	if err != nil {
		return nil, toStatus(err)
	}
	return reply(res)
}
