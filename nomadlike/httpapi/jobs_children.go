package httpapi

import (
	"encoding/base64"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// dispatchBody is api.JobDispatchRequest with the payload left as text, so
// that bad base64 is reported naming the field.
type dispatchBody struct {
	JobID            string            `json:"JobID"`
	Payload          *string           `json:"Payload"`
	Meta             map[string]string `json:"Meta"`
	IdPrefixTemplate string            `json:"IdPrefixTemplate"`
}

// jobDispatch is PUT /v1/job/:id/dispatch: body api.JobDispatchRequest,
// reply api.JobDispatchResponse. An empty body dispatches with no payload
// and no meta.
func (h *Handler) jobDispatch(w http.ResponseWriter, r *http.Request) {
	var body dispatchBody
	b, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if len(b) > 0 {
		if err := decodeJSON(b, &body); err != nil {
			writeError(w, err)
			return
		}
	}
	id := r.PathValue("id")
	if body.JobID != "" && body.JobID != id {
		writeError(w, badRequest("JobID: %s does not match the job ID %s in the path", reqlimit.Quote(body.JobID), reqlimit.Quote(id)))
		return
	}
	req := nomadlike.DispatchRequest{Meta: body.Meta, IDPrefixTemplate: body.IdPrefixTemplate}
	if body.Payload != nil && *body.Payload != "" {
		if req.Payload, err = base64.StdEncoding.DecodeString(*body.Payload); err != nil {
			writeError(w, badRequest("Payload: not valid base64: %s", reqlimit.Clip(err.Error(), 256)))
			return
		}
	}
	ns := namespaceParam(r)
	h.writeOp(w, r, func() (any, uint64, error) {
		childID, evalID, index, err := h.cfg.Server.DispatchJob(ns, id, req)
		if err != nil {
			return nil, 0, err
		}
		return &api.JobDispatchResponse{
			DispatchedJobID: childID, EvalID: evalID, EvalCreateIndex: index, JobCreateIndex: index, Index: index,
		}, index, nil
	})
}

// jobPeriodicForce is PUT /v1/job/:id/periodic/force: launch a child of a
// periodic job now; reply api.PeriodicForceResponse.
func (h *Handler) jobPeriodicForce(w http.ResponseWriter, r *http.Request) {
	// No body is expected; read it anyway so the request can be forwarded.
	if _, err := readBody(r); err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	ns := namespaceParam(r)
	h.writeOp(w, r, func() (any, uint64, error) {
		evalID, index, err := h.cfg.Server.ForcePeriodic(ns, id)
		if err != nil {
			return nil, 0, err
		}
		return &api.PeriodicForceResponse{EvalID: evalID, EvalCreateIndex: index, Index: index}, index, nil
	})
}
