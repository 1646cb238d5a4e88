package client

import (
	"fmt"
	"maps"
	"os"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/fingerprint"
)

// buildNode fingerprints the host into a new Node.
func (c *Client) buildNode(id, secret string) (*nomadlike.Node, error) {
	fp, err := fingerprint.Host(fingerprint.Config{
		DataDir: c.cfg.DataDir, NetworkInterface: c.cfg.NetworkInterface, AgentVersion: c.cfg.AgentVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("fingerprint host: %w", err)
	}
	name := c.cfg.NodeName
	if name == "" {
		name, _ = os.Hostname()
	}
	fp.Attributes["unique.name"] = name
	if c.cfg.HTTPAddr != "" {
		fp.Attributes["nomad.advertise.address"] = c.cfg.HTTPAddr
	}
	reserved := &nomadlike.NodeReservedResources{}
	if c.cfg.Reserved != nil {
		r := *c.cfg.Reserved
		reserved = &r
	}
	return &nomadlike.Node{
		ID:                    id,
		SecretID:              secret,
		Datacenter:            c.cfg.Datacenter,
		Name:                  name,
		HTTPAddr:              c.cfg.HTTPAddr,
		Attributes:            fp.Attributes,
		NodeResources:         fp.Resources,
		ReservedResources:     reserved,
		Meta:                  maps.Clone(c.cfg.Meta),
		NodeClass:             c.cfg.NodeClass,
		NodePool:              c.cfg.NodePool,
		Drivers:               map[string]*nomadlike.DriverInfo{},
		SchedulingEligibility: nomadlike.NodeSchedulingEligible,
		Status:                nomadlike.NodeStatusReady,
		HostVolumes:           c.hostVolumes(), // issue #17
	}, nil
}

// applyDriverInfos copies the drivers' latest fingerprints into the node:
// node.Drivers[name], attribute driver.NAME = "1" when healthy and
// driver.NAME.KEY for each driver attribute. It reports whether anything
// changed.
func (c *Client) applyDriverInfos() bool {
	infos := c.drivers.Infos()
	c.nodeMu.Lock()
	defer c.nodeMu.Unlock()
	n := c.node.Copy()
	for name := range n.Drivers {
		if _, ok := infos[name]; !ok {
			delete(n.Drivers, name)
		}
	}
	for k := range n.Attributes {
		if len(k) > 7 && k[:7] == "driver." {
			delete(n.Attributes, k)
		}
	}
	for name, info := range infos {
		n.Drivers[name] = info
		if info.Healthy {
			n.Attributes["driver."+name] = "1"
		}
		if info.Detected {
			for k, v := range info.Attributes {
				n.Attributes["driver."+name+"."+k] = v
			}
		}
	}
	changed := !maps.Equal(n.Attributes, c.node.Attributes) || !sameDrivers(n.Drivers, c.node.Drivers)
	c.node = n
	return changed
}

func sameDrivers(a, b map[string]*nomadlike.DriverInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y, ok := b[k]
		if !ok || x.Detected != y.Detected || x.Healthy != y.Healthy || x.HealthDescription != y.HealthDescription || !maps.Equal(x.Attributes, y.Attributes) {
			return false
		}
	}
	return true
}

// watchDrivers re-registers the node when a driver's health changes.
func (c *Client) watchDrivers() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.drivers.UpdateCh():
			if c.applyDriverInfos() {
				c.logger.Info("driver health changed, re-registering node")
				select {
				case c.reregisterCh <- struct{}{}:
				default:
				}
			}
		}
	}
}

// hostVolumes is a copy of the configured host volumes for the node, and
// of the ready dynamic ones (a static volume wins a name), or nil. The
// caller holds nodeMu or is New.
func (c *Client) hostVolumes() map[string]*nomadlike.ClientHostVolumeConfig {
	if len(c.cfg.HostVolumes) == 0 && len(c.dynVols) == 0 {
		return nil
	}
	out := make(map[string]*nomadlike.ClientHostVolumeConfig, len(c.cfg.HostVolumes)+len(c.dynVols))
	for name, hv := range c.dynVols { // dynamic host volumes (hostvolumes.go)
		v := *hv
		out[name] = &v
	}
	for name, hv := range c.cfg.HostVolumes {
		if hv == nil {
			continue
		}
		v := *hv
		v.Name = name
		out[name] = &v
	}
	return out
}
