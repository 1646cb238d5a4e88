package httpapi

import (
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// Regions. nomadlike runs one region (Config.Region, "global" by default):
// GET /v1/regions lists it, and a request that names another region with
// ?region= (the CLI's -region, NOMAD_REGION; Nomad's clients send it) is
// refused before it is routed, as Nomad refuses a region it has no path
// to. Nomad leaves /v1/regions open (no ACL).

// regionRoutes registers GET /v1/regions.
func (h *Handler) regionRoutes() {
	h.get("/v1/regions", public(), h.regionList)
}

// region is the agent's region.
func (h *Handler) region() string {
	if h.cfg.Region != "" {
		return h.cfg.Region
	}
	return nomadlike.DefaultRegion
}

func (h *Handler) regionList(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, []string{h.region()})
}

// checkRegion refuses a request whose ?region= names a region other than
// the agent's (a 400 whose message starts as Nomad's, "No path to
// region").
func (h *Handler) checkRegion(r *http.Request) error {
	want := r.URL.Query().Get("region")
	if want == "" || want == h.region() {
		return nil
	}
	return badRequest("No path to region %s: this cluster is region %s, the only one (nomadlike runs a single region); drop -region or set it to %s",
		reqlimit.Quote(want), reqlimit.Quote(h.region()), h.region())
}
