package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// AllocFileInfo describes a file of an allocation directory, as Nomad's
// /v1/client/fs/ls and /stat return it. FileMode is Go's os.FileMode
// string ("-rw-r--r--", "drwxr-xr-x", "Lrwxrwxrwx" for a link);
// ContentType is set by stat for a regular file.
type AllocFileInfo struct {
	Name        string    `json:"Name"`
	IsDir       bool      `json:"IsDir"`
	Size        int64     `json:"Size"`
	FileMode    string    `json:"FileMode"`
	ModTime     time.Time `json:"ModTime"`
	ContentType string    `json:"ContentType,omitempty"`
}

// AllocFS reads allocation directories through the client fs API.
type AllocFS struct{ c *Client }

// AllocFS returns the file system API.
func (c *Client) AllocFS() *AllocFS { return &AllocFS{c: c} }

func fsPath(op, allocID string) string { return "/v1/client/fs/" + op + "/" + url.PathEscape(allocID) }

// List lists the directory path of the allocation.
func (f *AllocFS) List(ctx context.Context, allocID, path string) ([]*AllocFileInfo, error) {
	var out []*AllocFileInfo
	_, err := f.c.Query(ctx, fsPath("ls", allocID), &out, &QueryOptions{Params: map[string]string{"path": path}})
	return out, err
}

// Stat describes path (a link is described, not followed).
func (f *AllocFS) Stat(ctx context.Context, allocID, path string) (*AllocFileInfo, error) {
	var out AllocFileInfo
	if _, err := f.c.Query(ctx, fsPath("stat", allocID), &out, &QueryOptions{Params: map[string]string{"path": path}}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Cat returns the content of the file path; the caller closes it.
func (f *AllocFS) Cat(ctx context.Context, allocID, path string) (io.ReadCloser, error) {
	resp, err := f.c.Do(ctx, http.MethodGet, fsPath("cat", allocID), &QueryOptions{Params: map[string]string{"path": path}}, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ReadAt returns limit bytes of path from offset; the caller closes it.
func (f *AllocFS) ReadAt(ctx context.Context, allocID, path string, offset, limit int64) (io.ReadCloser, error) {
	params := map[string]string{"path": path, "offset": strconv.FormatInt(offset, 10), "limit": strconv.FormatInt(limit, 10)}
	resp, err := f.c.Do(ctx, http.MethodGet, fsPath("readat", allocID), &QueryOptions{Params: params}, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// StreamOptions say where a file stream starts and whether it follows.
type StreamOptions struct {
	// Origin is "start" (default) or "end"; Offset counts bytes from it.
	Origin string
	Offset int64
	// Follow keeps the stream open as the file grows.
	Follow bool
}

// Stream streams path as frames, calling fn for each (heartbeats, frames
// without data or event, are skipped) until the stream ends, ctx ends or
// fn returns an error.
func (f *AllocFS) Stream(ctx context.Context, allocID, path string, o StreamOptions, fn func(*StreamFrame) error) error {
	params := map[string]string{"path": path, "follow": strconv.FormatBool(o.Follow), "offset": strconv.FormatInt(o.Offset, 10)}
	if o.Origin != "" {
		params["origin"] = o.Origin
	}
	resp, err := f.c.Do(ctx, http.MethodGet, fsPath("stream", allocID), &QueryOptions{Params: params}, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return readFrames(ctx, resp.Body, "stream", fn)
}

// readFrames decodes StreamFrames from r until it ends, calling fn for
// each that is not a heartbeat (no data, no file event). what names the
// stream in errors.
func readFrames(ctx context.Context, r io.Reader, what string, fn func(*StreamFrame) error) error {
	dec := json.NewDecoder(bufio.NewReader(r))
	for {
		var fr StreamFrame
		if err := dec.Decode(&fr); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("decode %s frame: %w", what, err)
		}
		if len(fr.Data) == 0 && fr.FileEvent == "" {
			continue
		}
		if err := fn(&fr); err != nil {
			return err
		}
	}
}
