package agent

import (
	"context"
	"net"
	"sort"
	"strconv"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// Self, Members and Health implement httpapi.AgentInfo.

// Self returns the agent's configuration, its member record and stats.
func (a *Agent) Self() *api.AgentSelf {
	c := a.cfg
	self := &api.AgentSelf{
		Config: map[string]any{
			"Region": c.Region, "Datacenter": c.Datacenter, "NodeName": c.Name, "DataDir": a.dataDir,
			"BindAddr": c.BindAddr, "LogLevel": c.LogLevel, "Version": map[string]string{"Version": Version},
			"Ports":   map[string]int{"HTTP": c.Ports.HTTP, "RPC": c.Ports.RPC, "Serf": c.Ports.Serf},
			"Server":  map[string]any{"Enabled": c.Server.Enabled, "BootstrapExpect": c.Server.BootstrapExpect, "NumSchedulers": c.Server.NumSchedulers},
			"Client":  map[string]any{"Enabled": c.Client.Enabled, "NodeClass": c.Client.NodeClass, "Servers": c.Client.Servers},
			"DevMode": c.DevMode, "Files": c.Files,
		},
		Member: a.member(c.Name, a.rpcAddr, "alive", a.server != nil && a.server.IsLeader()),
		Stats: map[string]map[string]string{
			"nomad": {"server": strconv.FormatBool(a.server != nil), "version": Version},
		},
	}
	if a.server != nil {
		self.Stats["nomad"]["leader"] = strconv.FormatBool(a.server.IsLeader())
		rpc, _ := a.server.Leader()
		self.Stats["nomad"]["leader_addr"] = rpc
		self.Stats["nomad"]["known_servers"] = strconv.Itoa(len(a.server.Peers()))
		self.Stats["raft"] = map[string]string{"last_contact": a.server.LastContact().String()}
	}
	if a.client != nil {
		self.Stats["client"] = map[string]string{"node_id": a.client.NodeID()}
	}
	return self
}

// member describes a server the way Nomad's serf members look.
func (a *Agent) member(id, rpcAddr, status string, leader bool) *api.AgentMember {
	host, portStr, _ := net.SplitHostPort(rpcAddr)
	port, _ := strconv.Atoi(portStr)
	return &api.AgentMember{
		Name: id + "." + a.cfg.Region, Addr: host, Port: uint16(port), Status: status,
		Tags: map[string]string{
			"role": "nomadlike", "id": id, "region": a.cfg.Region, "dc": a.cfg.Datacenter, "build": Version,
			"port": portStr, "raft_vsn": "3", "leader": strconv.FormatBool(leader),
		},
		ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4,
	}
}

// memberProbeTimeout bounds the liveness check of a peer.
const memberProbeTimeout = 500 * time.Millisecond

// Members lists the servers in the raft configuration. A server is "alive"
// when its raft port accepts a connection, else "failed". On a client-only
// agent it asks a server (through the HTTP API forwarding) instead.
func (a *Agent) Members() (*api.ServerMembers, error) {
	out := &api.ServerMembers{ServerName: a.cfg.Name, ServerRegion: a.cfg.Region, ServerDC: a.cfg.Datacenter}
	if a.server == nil {
		client, err := api.NewClient(api.Config{Address: a.resolveServer(firstOr(a.cfg.Client.Servers, ""))})
		if err != nil {
			return nil, err
		}
		ctx, cancel := contextWithTimeout(5 * time.Second)
		defer cancel()
		return client.Agent().Members(ctx)
	}
	peers := a.server.Peers()
	out.Members = make([]*api.AgentMember, len(peers))
	done := make(chan struct{}, len(peers))
	for i, p := range peers {
		go func() {
			defer func() { done <- struct{}{} }()
			status := "failed"
			if p.Address == a.rpcAddr {
				status = "alive"
			} else if conn, err := net.DialTimeout("tcp", p.Address, memberProbeTimeout); err == nil {
				conn.Close()
				status = "alive"
			}
			name := p.Name
			if name == "" {
				name = p.ID
			}
			m := a.member(name, p.Address, status, p.Leader)
			m.Tags["id"] = p.ID
			if !p.Voter {
				m.Tags["voter"] = "false"
			}
			out.Members[i] = m
		}()
	}
	for range peers {
		<-done
	}
	sort.Slice(out.Members, func(i, j int) bool { return out.Members[i].Name < out.Members[j].Name })
	return out, nil
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// Health is ok when the server knows a leader and the client runs.
func (a *Agent) Health() (*api.AgentHealthResponse, bool) {
	out := &api.AgentHealthResponse{}
	ok := true
	if a.server != nil {
		_, leaderHTTP := a.server.Leader()
		h := &api.AgentHealth{OK: a.server.IsLeader() || leaderHTTP != "", Message: "ok"}
		if !h.OK {
			h.Message = "No cluster leader"
			ok = false
		}
		out.Server = h
	}
	if a.client != nil {
		h := &api.AgentHealth{OK: a.client.NodeID() != "", Message: "ok"}
		if !h.OK {
			h.Message = "client has no node ID yet"
			ok = false
		}
		out.Client = h
	}
	return out, ok
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
