package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// SchedulerConfigurationResponse is GET
// /v1/operator/scheduler/configuration's answer (Nomad's shape).
type SchedulerConfigurationResponse struct {
	SchedulerConfig *nomadlike.SchedulerConfiguration `json:"SchedulerConfig"`
	Index           uint64                            `json:"Index"`
}

// SchedulerSetConfigurationResponse is PUT
// /v1/operator/scheduler/configuration's answer: Updated is false when a
// check-and-set index did not match.
type SchedulerSetConfigurationResponse struct {
	Updated bool   `json:"Updated"`
	Index   uint64 `json:"Index"`
}

// SchedulerGetConfiguration returns the scheduler configuration.
func (o *Operator) SchedulerGetConfiguration(ctx context.Context, q *QueryOptions) (*SchedulerConfigurationResponse, error) {
	var out SchedulerConfigurationResponse
	if _, err := o.c.Query(ctx, "/v1/operator/scheduler/configuration", &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// SchedulerSetConfiguration stores cfg; with cas it is written only when the
// stored configuration's ModifyIndex is casIndex.
func (o *Operator) SchedulerSetConfiguration(ctx context.Context, cfg *nomadlike.SchedulerConfiguration, cas bool, casIndex uint64, q *QueryOptions) (*SchedulerSetConfigurationResponse, error) {
	path := "/v1/operator/scheduler/configuration"
	if cas {
		path += "?cas=" + strconv.FormatUint(casIndex, 10)
	}
	var out SchedulerSetConfigurationResponse
	if _, err := o.c.Write(ctx, http.MethodPut, path, cfg, &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}
