package httpapi

import (
	"errors"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// UsageRecorder is the optional capability of a Backend that keeps the
// allocation usage clients push for the built-in autoscaler
// (*server.Server has it).
type UsageRecorder interface {
	RecordAllocUsage(secretID string, samples []nomadlike.AllocUsage) error
}

// clientUsageRoutes registers POST /v1/client/usage (nomadlike only,
// issue #17): a client's usage samples of the allocations of groups with
// an enabled scaling policy, authenticated by the node's SecretID and kept
// on the leader.
func (h *Handler) clientUsageRoutes() {
	h.write("/v1/client/usage", nodeCall(), h.serverOnly(h.clientUsage))
}

func (h *Handler) clientUsage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Allocs []nomadlike.AllocUsage `json:"Allocs"`
	}
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	rec, ok := h.cfg.Server.(UsageRecorder)
	if !ok {
		writeError(w, errors.New("this server keeps no allocation usage"))
		return
	}
	secret := requestToken(r)
	h.writeOp(w, r, func() (any, uint64, error) {
		return map[string]any{}, 0, rec.RecordAllocUsage(secret, req.Allocs)
	})
}
