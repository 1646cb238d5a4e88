package ui

import (
	"net/http"
	"net/url"
	"slices"
	"sort"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// allocData is the allocation page.
type allocData struct {
	Alloc   *nomadlike.Allocation
	Tasks   []taskRow
	Usage   *api.AllocResourceUsage
	Running bool
	Done    string // the action just done, for the status line
}

type taskRow struct {
	Name  string
	State *nomadlike.TaskState
	Usage *api.TaskResourceUsage
	// Events newest first.
	Events []*nomadlike.TaskEvent
}

// actionDone is what the status line says after each action; the query
// parameter selects one of these, so no text of the URL reaches the page.
var actionDone = map[string]string{
	"restart": "Restart requested.",
	"stop":    "Stop requested: the servers will stop (and reschedule) the allocation.",
	"signal":  "Signal sent.",
	"jobstop": "Job stop requested.",
}

// signals offered by the signal button.
var signals = []string{"SIGHUP", "SIGINT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGKILL"}

func (h *Handler) loadAlloc(c *call, r *http.Request) (any, error) {
	d := &allocData{Done: actionDone[r.URL.Query().Get("done")]}
	a, qm, err := c.c.Allocations().Info(c.ctx, r.PathValue("id"), nil)
	c.seen(qm)
	if err != nil {
		return d, err
	}
	d.Alloc = a
	d.Running = a.ClientStatus == nomadlike.AllocClientStatusRunning
	if d.Running {
		// Usage is best effort: the node may be gone or not allow it.
		if u, err := c.c.Allocations().Stats(c.ctx, a.ID); err == nil {
			d.Usage = u
		}
	}
	names := make([]string, 0, len(a.TaskStates))
	for n := range a.TaskStates {
		names = append(names, n)
	}
	if tg := jobGroup(a); tg != nil {
		for _, t := range tg.Tasks {
			if !slices.Contains(names, t.Name) {
				names = append(names, t.Name)
			}
		}
	}
	sort.Strings(names)
	for _, n := range names {
		row := taskRow{Name: n, State: a.TaskStates[n]}
		if row.State != nil {
			row.Events = slices.Clone(row.State.Events)
			slices.Reverse(row.Events)
		}
		if d.Usage != nil {
			row.Usage = d.Usage.Tasks[n]
		}
		d.Tasks = append(d.Tasks, row)
	}
	return d, nil
}

func (d *allocData) pageTitle() string {
	if d.Alloc == nil {
		return ""
	}
	return "Allocation " + short(d.Alloc.ID) + " of " + d.Alloc.JobID
}

func jobGroup(a *nomadlike.Allocation) *nomadlike.TaskGroup {
	if a.Job == nil {
		return nil
	}
	return a.Job.LookupTaskGroup(a.TaskGroup)
}

func watchAlloc(r *http.Request) []string {
	return []string{"/v1/allocation/" + url.PathEscape(r.PathValue("id"))}
}

// allocAction runs a button of the allocation page:
// POST /ui/allocations/{id}/{restart,stop,signal}.
func (h *Handler) allocAction(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	task := r.PostFormValue("task")
	c, ctx := h.client(r), ctxOf(r)
	var err error
	switch action {
	case "restart":
		err = c.Allocations().Restart(ctx, id, task)
	case "stop":
		_, _, err = c.Allocations().Stop(ctx, id, nil)
	case "signal":
		sig := r.PostFormValue("signal")
		if !slices.Contains(signals, sig) {
			http.Error(w, "unknown signal", http.StatusBadRequest)
			return
		}
		err = c.Allocations().Signal(ctx, id, task, sig)
	default:
		http.NotFound(w, r)
		return
	}
	h.afterAction(w, r, "/ui/allocations/"+url.PathEscape(id)+"?done="+action, err)
}

// afterAction redirects to back (303, so a reload does not post again) or
// shows why the API refused.
func (h *Handler) afterAction(w http.ResponseWriter, r *http.Request, back string, err error) {
	if err == nil {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	v := &view{Title: "Action failed", CSRF: h.sess.csrf(r), Signed: h.sess.token(r) != "", Version: h.pages.version, Error: h.explain(err, r)}
	h.render(w, "error", v, false, v.Error.Code)
}

// post wraps a state-changing handler: a bounded form, the CSRF check.
func (h *Handler) post(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "the form could not be read", http.StatusBadRequest)
			return
		}
		if err := h.sess.checkPost(r); err != nil {
			v := &view{Title: "Refused", CSRF: h.sess.csrf(r), Signed: h.sess.token(r) != "", Version: h.pages.version,
				Error: &pageError{Code: http.StatusForbidden, Title: "Refused", Message: err.Error()}}
			h.render(w, "error", v, false, http.StatusForbidden)
			return
		}
		fn(w, r)
	}
}
