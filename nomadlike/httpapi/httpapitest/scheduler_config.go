package httpapitest

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// SetSchedulerConfig stores the scheduler configuration as the FSM does.
func (f *Server) SetSchedulerConfig(cfg *nomadlike.SchedulerConfiguration, cas bool, casIndex uint64) (bool, uint64, error) {
	var updated bool
	index, err := f.Apply(func(st *state.StateStore, index uint64) error {
		var err error
		updated, err = st.SetSchedulerConfig(index, cfg, cas, casIndex)
		return err
	})
	return updated, index, err
}
