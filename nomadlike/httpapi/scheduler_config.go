package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// SchedulerConfigBackend is the optional capability of a Backend that
// writes the scheduler configuration (server.Server.SetSchedulerConfig).
type SchedulerConfigBackend interface {
	SetSchedulerConfig(cfg *nomadlike.SchedulerConfiguration, cas bool, casIndex uint64) (updated bool, index uint64, err error)
}

var errNoSchedulerConfigWrites = errors.New("this server cannot write the scheduler configuration")

// schedulerConfigResponse is Nomad's api.SchedulerConfigurationResponse.
type schedulerConfigResponse struct {
	SchedulerConfig *nomadlike.SchedulerConfiguration `json:"SchedulerConfig"`
	Index           uint64                            `json:"Index"`
	LastContact     int64                             `json:"LastContact"`
	KnownLeader     bool                              `json:"KnownLeader"`
}

// schedulerSetConfigResponse is Nomad's api.SchedulerSetConfigurationResponse.
type schedulerSetConfigResponse struct {
	Updated bool   `json:"Updated"`
	Index   uint64 `json:"Index"`
}

// schedulerConfigRoutes: Nomad's /v1/operator/scheduler/configuration,
// operator:read to read, operator:write to change.
func (h *Handler) schedulerConfigRoutes() {
	h.get("/v1/operator/scheduler/configuration", operatorRead(), h.serverOnly(h.schedulerConfigGet))
	h.write("/v1/operator/scheduler/configuration", operatorWrite(), h.serverOnly(h.schedulerConfigSet))
}

// schedulerConfigGet answers GET /v1/operator/scheduler/configuration: the
// stored configuration, or the defaults (index 0) when none was written.
func (h *Handler) schedulerConfigGet(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableSchedulerConfig)
		if err != nil {
			return nil, 0, err
		}
		cfg, err := st.SchedulerConfig(ws)
		if err != nil {
			return nil, 0, err
		}
		if cfg == nil {
			cfg = &nomadlike.SchedulerConfiguration{}
		}
		out := *cfg
		out.SchedulerAlgorithm = cfg.Algorithm()
		return &schedulerConfigResponse{SchedulerConfig: &out, Index: idx, KnownLeader: true}, idx, nil
	})
}

// schedulerConfigSet answers PUT/POST /v1/operator/scheduler/configuration
// with a SchedulerConfiguration body; ?cas=N writes only when the stored
// configuration's ModifyIndex is N (Updated false otherwise).
func (h *Handler) schedulerConfigSet(w http.ResponseWriter, r *http.Request) {
	var cfg nomadlike.SchedulerConfiguration
	if err := decodeBody(r, &cfg); err != nil {
		writeError(w, err)
		return
	}
	cfg.CreateIndex, cfg.ModifyIndex = 0, 0
	var cas bool
	var casIndex uint64
	if v := r.URL.Query().Get("cas"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, badRequest("cas: must be an index (an unsigned integer), got %q", v))
			return
		}
		cas, casIndex = true, n
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		b, ok := h.cfg.Server.(SchedulerConfigBackend)
		if !ok {
			return nil, 0, errNoSchedulerConfigWrites
		}
		updated, index, err := b.SetSchedulerConfig(&cfg, cas, casIndex)
		return &schedulerSetConfigResponse{Updated: updated, Index: index}, index, err
	})
}
