package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers/beneath"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocrunner"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// Logs that outlive the allocation. When an allocation is destroyed (the
// client's garbage collector removes its directory, or the servers forgot
// it) the task log files are copied, before the directory goes, into
// <data_dir>/client/retained-logs/<alloc id>/, a root-only tree no task can
// write to, with an index file (meta.json) naming the allocation's
// namespace, job, tasks and when it finished. The index is the directory
// itself, so it survives agent restarts without a second copy of the truth.
// The logs API serves a retained allocation from there once its runner is
// gone; entries go when older than the retention period (after the
// allocation finished) and, oldest first, when all of them exceed the size
// bound. Every file is opened beneath its directory (drivers/beneath).

const retainedMeta = "meta.json"

// allocIDRe is what an allocation ID must look like to name a directory.
var allocIDRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// logNameRe is a driver-written log file: <task>.<stdout|stderr>.<n>.
var logNameRe = regexp.MustCompile(`^(.+)\.(stdout|stderr)\.([0-9]+)$`)

// RetainedAlloc is the index entry of an allocation whose logs are kept.
type RetainedAlloc struct {
	ID         string
	Namespace  string
	JobID      string
	TaskGroup  string
	Name       string
	NodeID     string
	Tasks      []string
	FinishedAt time.Time
	RetainedAt time.Time
	Bytes      int64
}

// retainedStore is the retained-logs tree and its in-memory index.
type retainedStore struct {
	root     string
	period   time.Duration
	maxBytes int64
	logger   hclog.Logger
	now      func() time.Time

	mu    sync.Mutex
	index map[string]*RetainedAlloc
}

// openRetained creates (0700) and loads the tree at root. Entries that
// cannot be read are removed.
func openRetained(root string, period time.Duration, maxBytes int64, logger hclog.Logger) (*retainedStore, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", root, err)
	}
	if err := os.Chmod(root, 0o700); err != nil {
		return nil, err
	}
	s := &retainedStore{root: root, period: period, maxBytes: maxBytes, logger: logger, now: time.Now, index: map[string]*RetainedAlloc{}}
	d, err := beneath.Open(root)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		ra, err := readMeta(d, e.Name())
		if err != nil {
			logger.Warn("dropping unreadable retained logs", "dir", e.Name(), "error", err)
			_ = d.RemoveAll(e.Name())
			continue
		}
		s.index[ra.ID] = ra
	}
	return s, nil
}

func readMeta(d *beneath.Dir, id string) (*RetainedAlloc, error) {
	if !allocIDRe.MatchString(id) {
		return nil, fmt.Errorf("%q is not an allocation ID", id)
	}
	f, err := d.OpenExisting(id+"/"+retainedMeta, os.O_RDONLY, beneath.Want{Owner: os.Geteuid()})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ra RetainedAlloc
	if err := json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(&ra); err != nil {
		return nil, err
	}
	if ra.ID != id {
		return nil, fmt.Errorf("index names %q", ra.ID)
	}
	return &ra, nil
}

// Dir is where an entry's log files are.
func (s *retainedStore) Dir(id string) string { return filepath.Join(s.root, id) }

// Lookup finds an entry by ID or unique prefix (4 characters or more).
func (s *retainedStore) Lookup(id string) (*RetainedAlloc, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ra, ok := s.index[id]; ok {
		return ra, true
	}
	var found *RetainedAlloc
	if len(id) >= 4 {
		for k, ra := range s.index {
			if strings.HasPrefix(k, id) {
				if found != nil {
					return nil, false
				}
				found = ra
			}
		}
	}
	return found, found != nil
}

// Retain copies the log files of a (finished) allocation from ad. The
// newest files of each stream are kept first, within maxBytes.
func (s *retainedStore) Retain(a *nomadlike.Allocation, tasks []string, finished time.Time, ad *allocdir.AllocDir) error {
	if s.period <= 0 || s.maxBytes <= 0 {
		return nil
	}
	if !allocIDRe.MatchString(a.ID) {
		return fmt.Errorf("%q is not an allocation ID", a.ID)
	}
	src, err := ad.Open()
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer src.Close()
	files, err := logFilesNewestFirst(src)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	root, err := beneath.Open(s.root)
	if err != nil {
		return err
	}
	defer root.Close()
	_ = root.RemoveAll(a.ID)
	if err := root.MkdirAll(a.ID, 0o700); err != nil {
		return err
	}
	var total int64
	for _, name := range files {
		n, err := copyLog(src, root, name, a.ID, s.maxBytes-total)
		if err != nil {
			s.logger.Warn("log file not retained", "alloc_id", a.ID, "file", name, "error", err)
			continue
		}
		total += n
	}
	ra := &RetainedAlloc{ID: a.ID, Namespace: a.Namespace, JobID: a.JobID, TaskGroup: a.TaskGroup, Name: a.Name,
		NodeID: a.NodeID, Tasks: tasks, FinishedAt: finished, RetainedAt: s.now(), Bytes: total}
	b, err := json.Marshal(ra)
	if err != nil {
		return err
	}
	if err := root.WriteFileAtomic(a.ID+"/"+retainedMeta, b, 0o600); err != nil {
		return err
	}
	s.mu.Lock()
	s.index[a.ID] = ra
	s.mu.Unlock()
	s.Prune()
	return nil
}

// logFilesNewestFirst lists alloc/logs' driver-written files, the highest
// index of each stream first.
func logFilesNewestFirst(src *beneath.Dir) ([]string, error) {
	entries, err := src.ReadDir(allocdir.SharedAllocName + "/" + allocdir.LogDirName)
	if err != nil {
		return nil, err
	}
	type lf struct {
		stream string
		idx    int
		name   string
	}
	var out []lf
	for _, e := range entries {
		m := logNameRe.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		idx, err := strconv.Atoi(m[3])
		if err != nil {
			continue
		}
		out = append(out, lf{m[1] + "." + m[2], idx, e.Name()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].idx != out[j].idx {
			return out[i].idx > out[j].idx
		}
		return out[i].stream < out[j].stream
	})
	names := make([]string, len(out))
	for i, f := range out {
		names[i] = f.name
	}
	return names, nil
}

// copyLog copies one log file (a regular file of the agent's user with one
// link, opened beneath the alloc dir) into dst/<id>/, at most budget bytes
// (its end, the newest output, when it is larger).
func copyLog(src, dst *beneath.Dir, name, id string, budget int64) (int64, error) {
	if budget <= 0 {
		return 0, nil
	}
	in, err := src.OpenExisting(allocdir.SharedAllocName+"/"+allocdir.LogDirName+"/"+name, os.O_RDONLY, beneath.Want{Owner: os.Geteuid()})
	if err != nil {
		return 0, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Size() > budget {
		if _, err := in.Seek(fi.Size()-budget, io.SeekStart); err != nil {
			return 0, err
		}
	}
	out, err := dst.OpenFile(id+"/"+name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(in, budget))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// Prune drops entries older than the retention period, then the oldest
// while the total exceeds maxBytes.
func (s *retainedStore) Prune() {
	s.mu.Lock()
	all := make([]*RetainedAlloc, 0, len(s.index))
	var total int64
	for _, ra := range s.index {
		all = append(all, ra)
		total += ra.Bytes
	}
	sort.Slice(all, func(i, j int) bool { return all[i].FinishedAt.Before(all[j].FinishedAt) })
	now := s.now()
	var drop []string
	for _, ra := range all {
		if now.Sub(ra.FinishedAt) > s.period || total > s.maxBytes {
			drop = append(drop, ra.ID)
			total -= ra.Bytes
			delete(s.index, ra.ID)
		}
	}
	s.mu.Unlock()
	if len(drop) == 0 {
		return
	}
	root, err := beneath.Open(s.root)
	if err != nil {
		s.logger.Warn("prune retained logs", "error", err)
		return
	}
	defer root.Close()
	for _, id := range drop {
		if err := root.RemoveAll(id); err != nil {
			s.logger.Warn("prune retained logs", "alloc_id", id, "error", err)
		}
	}
}

// logSource is where the logs API reads a task's files: the live
// allocation's log directory, or its retained copy once it was destroyed.
type logSource struct {
	dir, task string
	doneCh    <-chan struct{}
}

var closedCh = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *Client) logSource(r *http.Request, task string) (logSource, error) {
	ar, err := c.lookup(r)
	if err == nil {
		t, err := pickTask(ar, task)
		return logSource{dir: ar.AllocDir().LogDir(), task: t, doneCh: ar.WaitCh()}, err
	}
	ra, ok := c.retained.Lookup(r.PathValue("alloc"))
	if !ok {
		return logSource{}, err
	}
	switch {
	case task == "" && len(ra.Tasks) == 1:
		task = ra.Tasks[0]
	case task == "":
		return logSource{}, fmt.Errorf("%w: the group has several tasks (%s); name one", errBadRequest, strings.Join(ra.Tasks, ", "))
	case !slices.Contains(ra.Tasks, task):
		return logSource{}, fmt.Errorf("task %s: %w", reqlimit.Quote(task), allocrunner.ErrUnknownTask)
	}
	return logSource{dir: c.retained.Dir(ra.ID), task: task, doneCh: closedCh}, nil
}

// handleRetained is GET /v1/client/allocation/:id/retained-logs: the index
// entry of an allocation whose logs this client keeps.
func (c *Client) handleRetained(w http.ResponseWriter, r *http.Request) {
	ra, ok := c.retained.Lookup(r.PathValue("alloc"))
	if !ok {
		httpError(w, fmt.Errorf("%w %s: no retained logs", errUnknownAlloc, reqlimit.Quote(r.PathValue("alloc"))))
		return
	}
	writeJSON(w, ra)
}
