package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/nomadlike/nomadlike/nomadlike/client/allocfs"
)

// The file system API (Nomad's /v1/client/fs/...), served from the
// allocation directory through package allocfs: no symbolic link is
// followed, nothing outside the allocation directory or in a task's
// secrets directory is read.
//
//	GET /v1/client/fs/ls/:alloc?path=/            []AllocFileInfo (at most allocfs.MaxListEntries)
//	GET /v1/client/fs/stat/:alloc?path=           AllocFileInfo
//	GET /v1/client/fs/cat/:alloc?path=            the file's bytes
//	GET /v1/client/fs/readat/:alloc?path=&offset=&limit=   limit bytes from offset (limit <= allocfs.MaxReadAt)
//	GET /v1/client/fs/stream/:alloc?path=&offset=&origin=start|end&follow=true&plain=
//	    StreamFrames ({Offset, Data, File, FileEvent}; {} every 10s while idle), or raw bytes with plain

// fsError maps allocfs errors to client handler errors: a path refused
// for what it is (a link, a secrets directory, a FIFO) is a bad request,
// not a 403, which says the token lacks a capability.
func fsError(err error) error {
	switch {
	case errors.Is(err, allocfs.ErrBadPath), errors.Is(err, allocfs.ErrTooManyEntries), errors.Is(err, allocfs.ErrRefused):
		return fmt.Errorf("%w: %w", errBadRequest, err)
	}
	return err
}

// openFS opens the allocation directory of the request's allocation.
func (c *Client) openFS(r *http.Request) (*allocfs.FS, error) {
	ar, err := c.lookup(r)
	if err != nil {
		return nil, err
	}
	return allocfs.Open(ar.AllocDir().Dir)
}

// fsPath is the request's path parameter ("/" by default).
func fsPath(r *http.Request) string {
	if p := r.URL.Query().Get("path"); p != "" {
		return p
	}
	return "/"
}

// intParam parses the non-negative integer query parameter name (def when
// absent).
func intParam(r *http.Request, name string, def int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %s must be a non-negative integer", errBadRequest, name)
	}
	return n, nil
}

// withFS runs fn on the request's allocation directory, answering errors.
func (c *Client) withFS(w http.ResponseWriter, r *http.Request, fn func(*allocfs.FS) error) {
	fsys, err := c.openFS(r)
	if err != nil {
		httpError(w, err)
		return
	}
	defer fsys.Close()
	if err := fn(fsys); err != nil {
		httpError(w, fsError(err))
	}
}

func (c *Client) handleFSList(w http.ResponseWriter, r *http.Request) {
	c.withFS(w, r, func(fsys *allocfs.FS) error {
		infos, err := fsys.List(fsPath(r))
		if err != nil {
			return err
		}
		writeJSON(w, infos)
		return nil
	})
}

func (c *Client) handleFSStat(w http.ResponseWriter, r *http.Request) {
	c.withFS(w, r, func(fsys *allocfs.FS) error {
		fi, err := fsys.Stat(fsPath(r))
		if err != nil {
			return err
		}
		writeJSON(w, fi)
		return nil
	})
}

func (c *Client) handleFSCat(w http.ResponseWriter, r *http.Request) {
	c.withFS(w, r, func(fsys *allocfs.FS) error {
		f, err := fsys.Open(fsPath(r))
		if err != nil {
			return err
		}
		defer f.Close()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.Copy(w, f) // streams: a large file is never held in memory
		return nil
	})
}

func (c *Client) handleFSReadAt(w http.ResponseWriter, r *http.Request) {
	offset, err := intParam(r, "offset", 0)
	if err != nil {
		httpError(w, err)
		return
	}
	limit, err := intParam(r, "limit", -1)
	switch {
	case err != nil:
		httpError(w, err)
		return
	case limit <= 0 || limit > allocfs.MaxReadAt:
		httpError(w, fmt.Errorf("%w: limit must be between 1 and %d bytes", errBadRequest, allocfs.MaxReadAt))
		return
	}
	c.withFS(w, r, func(fsys *allocfs.FS) error {
		f, err := fsys.Open(fsPath(r))
		if err != nil {
			return err
		}
		defer f.Close()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.Copy(w, io.NewSectionReader(f, offset, limit))
		return nil
	})
}

func (c *Client) handleFSStream(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, err := intParam(r, "offset", 0)
	if err != nil {
		httpError(w, err)
		return
	}
	origin := q.Get("origin")
	if origin != "" && origin != "start" && origin != "end" {
		httpError(w, fmt.Errorf("%w: origin must be start or end", errBadRequest))
		return
	}
	follow := true
	if s := q.Get("follow"); s != "" {
		follow, _ = strconv.ParseBool(s)
	}
	plain, _ := strconv.ParseBool(q.Get("plain"))
	c.withFS(w, r, func(fsys *allocfs.FS) error {
		p := fsPath(r)
		f, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		opts := allocfs.StreamOptions{Name: p, Offset: offset, FromEnd: origin == "end", Follow: follow}
		streamFrames(r.Context(), w, plain, func(ctx context.Context, emit func(allocfs.Frame) error) error {
			return allocfs.Stream(ctx, f, opts, emit)
		})
		return nil
	})
}

// streamFrames writes the frames run emits as JSON (or their data alone
// with plain), flushing each.
func streamFrames(ctx context.Context, w http.ResponseWriter, plain bool, run func(context.Context, func(allocfs.Frame) error) error) {
	if plain {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	enc := json.NewEncoder(w)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_ = run(ctx, func(fr allocfs.Frame) error {
		var err error
		switch {
		case plain && len(fr.Data) > 0:
			_, err = w.Write(fr.Data)
		case !plain:
			err = enc.Encode(fr)
		}
		if flusher != nil {
			flusher.Flush()
		}
		return err
	})
}
