package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// isUnknownNode reports whether a server rejected a heartbeat because it
// does not know the node (it lost its state, or GC'd a long-dead node).
func isUnknownNode(err error) bool {
	if errors.Is(err, api.ErrNotFound) {
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "node not found") || strings.Contains(msg, "unknown node")
}

// register sends the node until a server accepts it; false on shutdown.
func (c *Client) register() (time.Duration, bool) {
	for attempt := 1; ; attempt++ {
		node := c.Node()
		ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		resp, err := c.cfg.Servers.RegisterNode(ctx, node)
		cancel()
		if err == nil {
			c.logger.Info("node registered", "node_id", node.ID, "heartbeat_ttl", resp.HeartbeatTTL)
			c.registeredOnce.Do(func() { close(c.registeredCh) })
			return resp.HeartbeatTTL, true
		}
		if c.ctx.Err() != nil {
			return 0, false
		}
		d := backoff(attempt, c.cfg.MinRetryInterval, c.cfg.MaxRetryInterval)
		c.logger.Warn("cannot register node, retrying", "error", err, "retry_in", d)
		if !c.sleep(d) {
			return 0, false
		}
	}
}

// heartbeatDelay is when to send the next heartbeat: about half the TTL,
// with jitter so that a fleet restarted together does not beat together.
func heartbeatDelay(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	half := ttl / 2
	return half - time.Duration(rand.Int64N(int64(half)/5+1))
}

// registerAndHeartbeat registers the node, then keeps it alive. A server
// that no longer knows the node gets it registered again; a driver health
// change re-registers it with the new fingerprint; failures are retried
// with backoff, well within the TTL at first.
func (c *Client) registerAndHeartbeat() {
	defer c.wg.Done()
	ttl, ok := c.register()
	if !ok {
		return
	}
	failures := 0
	for {
		delay := heartbeatDelay(ttl)
		if failures > 0 {
			delay = min(backoff(failures, c.cfg.MinRetryInterval, c.cfg.MaxRetryInterval), max(ttl/4, c.cfg.MinRetryInterval))
		}
		t := time.NewTimer(delay)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return
		case <-c.reregisterCh:
			t.Stop()
			if ttl, ok = c.register(); !ok {
				return
			}
			continue
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		node := c.Node()
		resp, err := c.cfg.Servers.Heartbeat(ctx, node.ID, node.SecretID, nomadlike.NodeStatusReady)
		cancel()
		switch {
		case err == nil:
			failures = 0
			if resp.HeartbeatTTL > 0 {
				ttl = resp.HeartbeatTTL
			}
		case c.ctx.Err() != nil:
			return
		case isUnknownNode(err):
			c.logger.Warn("servers do not know this node, registering again", "error", err)
			failures = 0
			if ttl, ok = c.register(); !ok {
				return
			}
		default:
			failures++
			c.logger.Warn("heartbeat failed", "error", err, "failures", failures)
		}
	}
}
