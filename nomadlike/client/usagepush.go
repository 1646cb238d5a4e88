package client

import (
	"context"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocrunner"
)

// UsagePusher is the optional capability of a ServerAPI that takes the
// usage samples of the built-in autoscaler (POST /v1/client/usage).
type UsagePusher interface {
	PushUsage(ctx context.Context, secretID string, samples []nomadlike.AllocUsage) error
}

// Bounds of the usage push interval: the shortest evaluation_interval of
// the policies of the allocations on this node, within these.
const (
	minUsageInterval = time.Second
	maxUsageInterval = 10 * time.Second
)

// pushUsage sends the servers, for the built-in autoscaler, the usage of
// the running allocations whose group has an enabled scaling policy (and
// only of those: a node without such allocations sends nothing), as often
// as the shortest of their policies' evaluation_interval.
func (c *Client) pushUsage() {
	defer c.wg.Done()
	p, ok := c.cfg.Servers.(UsagePusher)
	if !ok {
		return
	}
	delay := maxUsageInterval
	warm := map[string]bool{}
	for c.sleep(delay) {
		var samples []nomadlike.AllocUsage
		samples, delay = c.usageSamples(warm)
		if len(samples) == 0 {
			continue
		}
		if len(samples) > nomadlike.MaxUsageSamples {
			samples = samples[:nomadlike.MaxUsageSamples]
		}
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		err := p.PushUsage(ctx, c.Node().SecretID, samples)
		cancel()
		if err != nil && c.ctx.Err() == nil {
			c.logger.Debug("push allocation usage", "error", err)
		}
	}
}

// usageSamples samples the allocations with an enabled scaling policy and
// returns when to sample again. An allocation's first sample only sets the
// drivers' CPU baseline (its CPU reads 0) and is not sent, so that a new
// allocation does not pull the group's average down; warm holds the
// allocations sampled before.
func (c *Client) usageSamples(warm map[string]bool) ([]nomadlike.AllocUsage, time.Duration) {
	node := c.Node()
	mhzPerCore := 0.0
	if r := node.NodeResources; r != nil && r.Cpu.TotalCpuCores > 0 {
		mhzPerCore = float64(r.Cpu.CpuShares) / float64(r.Cpu.TotalCpuCores)
	}
	c.runnersMu.RLock()
	runners := make([]*allocrunner.AllocRunner, 0, len(c.runners))
	for _, ar := range c.runners {
		runners = append(runners, ar)
	}
	c.runnersMu.RUnlock()
	next := maxUsageInterval
	var out []nomadlike.AllocUsage
	seen := map[string]bool{}
	for _, ar := range runners {
		a := ar.Alloc()
		if a == nil || a.Job == nil || a.ClientStatus != nomadlike.AllocClientStatusRunning {
			continue
		}
		tg := a.Job.LookupTaskGroup(a.TaskGroup)
		if tg == nil || !tg.Scaling.IsEnabled() || len(tg.Scaling.Policy) == 0 {
			continue
		}
		if pol, errs := nomadlike.ParseAutoscalePolicy(tg.Scaling.Policy); len(errs) == 0 {
			next = min(next, max(pol.EvaluationInterval, minUsageInterval))
		}
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		u := nomadlike.AllocUsage{AllocID: a.ID}
		for _, s := range ar.Stats(ctx) {
			u.CPUMHz += s.CPUPercent / 100 * mhzPerCore
			mem := s.MemoryRSS
			if mem == 0 {
				mem = s.MemoryUsage
			}
			u.MemoryMB += float64(mem) / (1 << 20)
		}
		cancel()
		seen[a.ID] = true
		if warm[a.ID] {
			out = append(out, u)
		}
	}
	for id := range warm {
		if !seen[id] {
			delete(warm, id)
		}
	}
	for id := range seen {
		warm[id] = true
	}
	return out, next
}
