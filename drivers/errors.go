package drivers

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrPluginUnavailable is returned by a Driver over gRPC when the plugin
// process cannot be reached (it exited, or the connection was dropped).
var ErrPluginUnavailable = errors.New("driver plugin unavailable")

// toStatus maps a driver's error to a gRPC status so that the sentinels keep
// their meaning on the other side; the message is kept whole.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	code := codes.Unknown
	switch {
	case errors.Is(err, ErrTaskNotFound):
		code = codes.NotFound
	case errors.Is(err, ErrNotSupported):
		code = codes.Unimplemented
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	return status.Error(code, err.Error())
}

// remoteError is an error that came back from a plugin: its message is the
// plugin's, and it matches the sentinel the gRPC code stands for.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// callError turns the error of a gRPC call made with ctx into a driver
// error. A call cancelled while ctx is live was cut by a closed connection.
func callError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok && st.Code() == codes.Canceled && ctx.Err() == nil {
		return &remoteError{msg: st.Message(), sentinel: ErrPluginUnavailable}
	}
	return fromStatus(err)
}

// fromStatus turns an error returned by a gRPC call back into a driver error.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	var sentinel error
	switch st.Code() {
	case codes.NotFound:
		sentinel = ErrTaskNotFound
	case codes.Unimplemented:
		sentinel = ErrNotSupported
	case codes.Canceled:
		sentinel = context.Canceled
	case codes.DeadlineExceeded:
		sentinel = context.DeadlineExceeded
	case codes.Unavailable:
		sentinel = ErrPluginUnavailable
	default:
		return errors.New(st.Message())
	}
	return &remoteError{msg: st.Message(), sentinel: sentinel}
}
