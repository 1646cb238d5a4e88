package drivers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nomadlike/nomadlike/drivers/proto"
)

// The gRPC glue of ExecStreamer. The client sends a setup message, then
// stdin chunks (a close message at stdin's end) and terminal sizes; the
// plugin sends output chunks and, last, the exit result.

// execChunk is the largest stdin or output chunk one message carries.
const execChunk = 32 << 10

var _ ExecStreamer = (*grpcClient)(nil)

// ExecTaskStreaming runs an interactive command in the plugin's task. It
// returns when the command has exited and its output has been written;
// a goroutine may still be blocked reading opts.Stdin, which ends at the
// next read (the caller should close what feeds it).
func (c *grpcClient) ExecTaskStreaming(ctx context.Context, taskID string, opts *ExecOptions) (*ExitResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.client.ExecTaskStreaming(ctx)
	if err != nil {
		return nil, callError(ctx, err)
	}
	var sendMu sync.Mutex
	send := func(m *proto.ExecStreamRequest) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return stream.Send(m)
	}
	setup := &proto.ExecStreamSetup{TaskId: taskID, Command: opts.Command, Tty: opts.Tty}
	// A failed send shows as the stream's error in Recv below.
	if err := send(&proto.ExecStreamRequest{Msg: &proto.ExecStreamRequest_Setup{Setup: setup}}); err == nil {
		go sendStdin(ctx, opts.Stdin, send)
		go sendSizes(ctx, opts.ResizeCh, send)
	}
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("exec in task %s: %w: the plugin ended the stream without an exit result", taskID, ErrPluginUnavailable)
		}
		if err != nil {
			return nil, callError(ctx, err)
		}
		switch m := r.GetMsg().(type) {
		case *proto.ExecStreamReply_Stdout:
			_, _ = opts.Stdout.Write(m.Stdout)
		case *proto.ExecStreamReply_Stderr:
			if opts.Stderr != nil {
				_, _ = opts.Stderr.Write(m.Stderr)
			}
		case *proto.ExecStreamReply_Exited:
			var res ExitResult
			if err := json.Unmarshal(m.Exited, &res); err != nil {
				return nil, fmt.Errorf("decode exit result from plugin: %w", err)
			}
			return &res, nil
		}
	}
}

// sendStdin copies in to the stream in chunks and then closes the
// command's stdin.
func sendStdin(ctx context.Context, in io.Reader, send func(*proto.ExecStreamRequest) error) {
	if in != nil {
		buf := make([]byte, execChunk)
		for ctx.Err() == nil {
			n, err := in.Read(buf)
			if n > 0 {
				msg := &proto.ExecStreamInput{Data: append([]byte(nil), buf[:n]...)}
				if send(&proto.ExecStreamRequest{Msg: &proto.ExecStreamRequest_Stdin{Stdin: msg}}) != nil {
					return
				}
			}
			if err != nil {
				break
			}
		}
	}
	_ = send(&proto.ExecStreamRequest{Msg: &proto.ExecStreamRequest_Stdin{Stdin: &proto.ExecStreamInput{Close: true}}})
}

// sendSizes forwards terminal sizes until ctx ends.
func sendSizes(ctx context.Context, ch <-chan TerminalSize, send func(*proto.ExecStreamRequest) error) {
	if ch == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case sz, ok := <-ch:
			if !ok {
				return
			}
			msg := &proto.ExecTerminalSize{Height: int32(sz.Height), Width: int32(sz.Width)}
			if send(&proto.ExecStreamRequest{Msg: &proto.ExecStreamRequest_TtySize{TtySize: msg}}) != nil {
				return
			}
		}
	}
}

func (s *grpcServer) ExecTaskStreaming(stream proto.Driver_ExecTaskStreamingServer) error {
	ex, ok := s.impl.(ExecStreamer)
	if !ok {
		return toStatus(fmt.Errorf("exec task: %w", ErrNotSupported))
	}
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	setup := first.GetSetup()
	if setup == nil {
		return status.Error(codes.InvalidArgument, "exec stream: the first message must be the setup")
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	stdinR, stdinW := io.Pipe()
	defer stdinR.Close()
	resize := make(chan TerminalSize, 1)
	go recvInput(ctx, stream, stdinW, resize)

	var sendMu sync.Mutex
	send := func(m *proto.ExecStreamReply) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return stream.Send(m)
	}
	opts := &ExecOptions{
		Command:  setup.GetCommand(),
		Tty:      setup.GetTty(),
		Stdin:    stdinR,
		Stdout:   &replyWriter{send: send},
		Stderr:   &replyWriter{send: send, stderr: true},
		ResizeCh: resize,
	}
	res, err := ex.ExecTaskStreaming(ctx, setup.GetTaskId(), opts)
	if err != nil {
		return toStatus(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return toStatus(fmt.Errorf("encode exit result: %w", err))
	}
	return send(&proto.ExecStreamReply{Msg: &proto.ExecStreamReply_Exited{Exited: b}})
}

// recvInput feeds the client's stdin and terminal sizes to the driver
// until the stream ends; the command's stdin ends with the client's close
// message or with the stream.
func recvInput(ctx context.Context, stream proto.Driver_ExecTaskStreamingServer, stdin *io.PipeWriter, resize chan<- TerminalSize) {
	defer stdin.Close()
	for {
		r, err := stream.Recv()
		if err != nil {
			return
		}
		switch m := r.GetMsg().(type) {
		case *proto.ExecStreamRequest_Stdin:
			if len(m.Stdin.GetData()) > 0 {
				if _, err := stdin.Write(m.Stdin.GetData()); err != nil {
					return
				}
			}
			if m.Stdin.GetClose() {
				_ = stdin.Close()
			}
		case *proto.ExecStreamRequest_TtySize:
			sz := TerminalSize{Height: int(m.TtySize.GetHeight()), Width: int(m.TtySize.GetWidth())}
			select {
			case resize <- sz:
			case <-ctx.Done():
				return
			}
		}
	}
}

// replyWriter sends what a driver writes as output messages.
type replyWriter struct {
	send   func(*proto.ExecStreamReply) error
	stderr bool
}

func (w *replyWriter) Write(p []byte) (int, error) {
	for off := 0; off < len(p); off += execChunk {
		chunk := p[off:min(off+execChunk, len(p))]
		msg := &proto.ExecStreamReply{Msg: &proto.ExecStreamReply_Stdout{Stdout: chunk}}
		if w.stderr {
			msg = &proto.ExecStreamReply{Msg: &proto.ExecStreamReply_Stderr{Stderr: chunk}}
		}
		if err := w.send(msg); err != nil {
			return off, err
		}
	}
	return len(p), nil
}
