package client

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/hostvolumes"
)

// Dynamic host volumes (issue #17). The client watches the volumes the
// servers place on its node (a blocking query authenticated by the node's
// SecretID): it creates a pending one with the built-in mkdir plugin, adds
// it to the node's HostVolumes (so allocations mount it like a static
// volume), then reports it ready; it removes a deleted one's directory,
// drops it from the node, then reports it gone. The node's ready volumes
// are kept in data_dir/client/host_volumes.json so that a restarted agent
// mounts them before it hears from the servers.

// HostVolumeServer is the optional capability of a ServerAPI that serves
// dynamic host volumes.
type HostVolumeServer interface {
	NodeHostVolumes(ctx context.Context, nodeID, secretID string, q *api.QueryOptions) ([]*nomadlike.HostVolume, *api.QueryMeta, error)
	UpdateHostVolume(ctx context.Context, secretID string, v *nomadlike.HostVolume) error
}

func (c *Client) hostVolumesFile() string {
	return filepath.Join(c.cfg.DataDir, "client", "host_volumes.json")
}

func (c *Client) mkdirPlugin() hostvolumes.Mkdir { return hostvolumes.Mkdir{Dir: c.cfg.HostVolumesDir} }

// watchHostVolumes runs until shutdown.
func (c *Client) watchHostVolumes() {
	defer c.wg.Done()
	hs, ok := c.cfg.Servers.(HostVolumeServer)
	if !ok {
		return
	}
	select {
	case <-c.registeredCh:
	case <-c.ctx.Done():
		return
	}
	var index uint64
	failures := 0
	for {
		node := c.Node()
		ctx, cancel := context.WithTimeout(c.nodeCtx(), c.cfg.BlockingQueryWait+time.Minute)
		vols, meta, err := hs.NodeHostVolumes(ctx, node.ID, node.SecretID, &api.QueryOptions{WaitIndex: index, WaitTime: c.cfg.BlockingQueryWait})
		cancel()
		if c.ctx.Err() != nil {
			return
		}
		if err == nil && !c.syncHostVolumes(hs, node.SecretID, vols) {
			err = errHostVolumeRetry
		}
		if err != nil {
			failures++
			d := backoff(failures, c.cfg.MinRetryInterval, c.cfg.MaxRetryInterval)
			c.logger.Warn("dynamic host volumes", "error", err, "retry_in", d)
			if !c.sleep(d) {
				return
			}
			index = 0
			continue
		}
		failures = 0
		index = meta.LastIndex
	}
}

var errHostVolumeRetry = errors.New("a volume operation failed; retrying")

// syncHostVolumes acts on the node's volumes as the servers list them and
// reports whether everything succeeded.
func (c *Client) syncHostVolumes(hs HostVolumeServer, secret string, vols []*nomadlike.HostVolume) bool {
	ok := true
	known := map[string]bool{}
	for _, v := range vols {
		known[v.ID] = true
		switch v.State {
		case nomadlike.HostVolumeStatePending:
			ok = c.createHostVolume(hs, secret, v) && ok
		case nomadlike.HostVolumeStateReady:
			c.setDynamicVolume(v.Name, &nomadlike.ClientHostVolumeConfig{Name: v.Name, Path: v.HostPath, ID: v.ID})
		case nomadlike.HostVolumeStateDeleted:
			ok = c.deleteHostVolume(hs, secret, v) && ok
		}
	}
	// A volume the servers no longer list (removed while this agent was
	// away) leaves the node; its directory is left for the operator.
	c.nodeMu.RLock()
	var gone []string
	for name, hv := range c.dynVols {
		if !known[hv.ID] {
			gone = append(gone, name)
		}
	}
	c.nodeMu.RUnlock()
	for _, name := range gone {
		c.setDynamicVolume(name, nil)
	}
	return ok
}

func (c *Client) createHostVolume(hs HostVolumeServer, secret string, v *nomadlike.HostVolume) bool {
	made, err := c.mkdirPlugin().Create(v)
	if err != nil {
		c.logger.Error("create dynamic host volume", "volume_id", v.ID, "name", v.Name, "error", err)
		c.reportHostVolume(hs, secret, &nomadlike.HostVolume{ID: v.ID, State: nomadlike.HostVolumeStatePending,
			StatusDescription: "mkdir plugin: " + err.Error()})
		return false
	}
	c.setDynamicVolume(v.Name, &nomadlike.ClientHostVolumeConfig{Name: v.Name, Path: made.HostPath, ID: v.ID})
	c.logger.Info("created dynamic host volume", "volume_id", v.ID, "name", v.Name, "path", made.HostPath)
	return c.reportHostVolume(hs, secret, &nomadlike.HostVolume{ID: v.ID, State: nomadlike.HostVolumeStateReady,
		HostPath: made.HostPath, CapacityBytes: made.CapacityBytes})
}

func (c *Client) deleteHostVolume(hs HostVolumeServer, secret string, v *nomadlike.HostVolume) bool {
	c.nodeMu.RLock()
	cur := c.dynVols[v.Name]
	c.nodeMu.RUnlock()
	if cur != nil && cur.ID == v.ID {
		c.setDynamicVolume(v.Name, nil)
	}
	if err := c.mkdirPlugin().Delete(v.ID); err != nil {
		c.logger.Error("delete dynamic host volume", "volume_id", v.ID, "name", v.Name, "error", err)
		return false
	}
	c.logger.Info("deleted dynamic host volume", "volume_id", v.ID, "name", v.Name)
	return c.reportHostVolume(hs, secret, &nomadlike.HostVolume{ID: v.ID, State: nomadlike.HostVolumeStateDeleted})
}

func (c *Client) reportHostVolume(hs HostVolumeServer, secret string, u *nomadlike.HostVolume) bool {
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	if err := hs.UpdateHostVolume(ctx, secret, u); err != nil {
		c.logger.Warn("report dynamic host volume", "volume_id", u.ID, "state", u.State, "error", err)
		return false
	}
	return true
}

// setDynamicVolume adds (hv non-nil) or removes the dynamic volume name
// in the node's HostVolumes and the saved list; a change re-registers the
// node. A static volume of the same name is never replaced.
func (c *Client) setDynamicVolume(name string, hv *nomadlike.ClientHostVolumeConfig) {
	c.nodeMu.Lock()
	cur := c.dynVols[name]
	if (hv == nil && cur == nil) || (hv != nil && cur != nil && *hv == *cur) {
		c.nodeMu.Unlock()
		return
	}
	if hv == nil {
		delete(c.dynVols, name)
	} else {
		c.dynVols[name] = hv
	}
	n := c.node.Copy()
	n.HostVolumes = c.hostVolumes()
	c.node = n
	saved := maps.Clone(c.dynVols)
	c.nodeMu.Unlock()
	if err := hostvolumes.Save(c.hostVolumesFile(), saved); err != nil {
		c.logger.Warn("save dynamic host volumes", "error", err)
	}
	select {
	case c.reregisterCh <- struct{}{}:
	default:
	}
}
