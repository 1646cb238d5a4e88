package allocfs

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// File events of a Frame, as Nomad names them.
const (
	FileEventTruncated = "file truncated"
	FileEventDeleted   = "file deleted"
)

// Frame is one piece of a followed file: Nomad's StreamFrame. A frame with
// no Data, File and FileEvent is a heartbeat.
type Frame struct {
	Offset    int64  `json:"Offset"`
	Data      []byte `json:"Data,omitempty"`
	File      string `json:"File,omitempty"`
	FileEvent string `json:"FileEvent,omitempty"`
}

// StreamOptions say how to stream a file.
type StreamOptions struct {
	// Name is the file's API path, put in every frame.
	Name string
	// Offset is where to start: from the start of the file, or, with
	// FromEnd, back from its end.
	Offset  int64
	FromEnd bool
	// Follow keeps sending what is appended until ctx ends or the file is
	// removed (a "file deleted" frame ends the stream).
	Follow bool
	// PollInterval is how often a follow looks for new data (250ms);
	// Heartbeat how often an idle follow sends an empty frame (10s).
	PollInterval, Heartbeat time.Duration
	// FrameSize is the most data in one frame (64 KiB).
	FrameSize int
}

// Stream sends file to emit frame by frame. It returns nil at the end of a
// stream that does not follow, or when a followed file is removed, and
// ctx's error when ctx ends. A file that shrinks below what was sent is
// reported with a "file truncated" frame and sent again from its start.
func Stream(ctx context.Context, file *os.File, o StreamOptions, emit func(Frame) error) error {
	if o.PollInterval <= 0 {
		o.PollInterval = 250 * time.Millisecond
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 10 * time.Second
	}
	if o.FrameSize <= 0 {
		o.FrameSize = 64 << 10
	}
	pos := max(o.Offset, 0)
	if o.FromEnd {
		fi, err := file.Stat()
		if err != nil {
			return err
		}
		pos = max(fi.Size()-o.Offset, 0)
	}
	buf := make([]byte, o.FrameSize)
	idle := time.Now()
	for {
		n, err := drain(file, pos, buf, o.Name, emit)
		pos += n
		if err != nil {
			return err
		}
		if n > 0 {
			idle = time.Now()
		}
		if !o.Follow {
			return nil
		}
		fi, err := file.Stat()
		if err != nil {
			return err
		}
		if gone(fi) {
			return emit(Frame{Offset: pos, File: o.Name, FileEvent: FileEventDeleted})
		}
		if fi.Size() < pos {
			pos = 0
			if err := emit(Frame{File: o.Name, FileEvent: FileEventTruncated}); err != nil {
				return err
			}
			continue
		}
		if time.Since(idle) >= o.Heartbeat {
			if err := emit(Frame{}); err != nil {
				return err
			}
			idle = time.Now()
		}
		t := time.NewTimer(o.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// drain emits file from pos to its current end and returns the bytes sent.
func drain(file *os.File, pos int64, buf []byte, name string, emit func(Frame) error) (int64, error) {
	var sent int64
	for {
		n, err := file.ReadAt(buf, pos+sent)
		if n > 0 {
			if eerr := emit(Frame{Offset: pos + sent, Data: append([]byte(nil), buf[:n]...), File: name}); eerr != nil {
				return sent, eerr
			}
			sent += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return sent, nil
		}
		if err != nil {
			return sent, err
		}
	}
}
