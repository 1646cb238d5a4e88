package agent

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/server"
)

// startServer starts the server role and returns it with its advertised
// raft address.
func startServer(a *Agent) (serverRole, string, error) {
	c := a.cfg
	cfg := server.DefaultConfig()
	cfg.NodeName = c.Name
	cfg.Region = c.Region
	cfg.Datacenter = c.Datacenter
	cfg.Dev = c.DevMode
	cfg.RPCAddr = c.RPCBindAddr()
	cfg.AdvertiseRPC = advertiseRPC(c)
	cfg.HTTPAddr = a.httpAddr
	cfg.RPCMaxConnsPerClient = c.Limits.RPCMaxConnsPerClient
	cfg.RPCHandshakeTimeout = c.Limits.RPCHandshakeTimeout
	cfg.BootstrapExpect = max(c.Server.BootstrapExpect, 1)
	cfg.RetryJoin = c.Server.RetryJoin
	cfg.RetryInterval = c.Server.RetryInterval
	if c.Server.NumSchedulers > 0 {
		cfg.NumSchedulers = c.Server.NumSchedulers
	}
	if c.Server.JobMaxCount > 0 {
		cfg.JobMaxCount = c.Server.JobMaxCount
	}
	applyServerTuning(&cfg, &c.Server) // Nomad's server settings (config_nomad_apply.go)
	cfg.Logger = a.logger.Named("server")
	cfg.RPCTLS = a.rpcTLS() // mTLS (agent_tls.go)
	if c.Server.Encrypt != "" {
		key, err := server.DecodeClusterKey(c.Server.Encrypt)
		if err != nil {
			return nil, "", fmt.Errorf("server.encrypt: %w", err)
		}
		cfg.EncryptKey = key
	}
	for i, k := range c.Server.PreviousEncrypt { // keyring rewrap
		key, err := server.DecodeClusterKey(k)
		if err != nil {
			return nil, "", fmt.Errorf("server.previous_encrypt[%d]: %w", i, err)
		}
		cfg.PreviousEncryptKeys = append(cfg.PreviousEncryptKeys, key)
	}
	if c.Server.DataDir != "" && !c.DevMode {
		if err := os.MkdirAll(c.Server.DataDir, 0o755); err != nil {
			return nil, "", fmt.Errorf("server.data_dir %s: %w", c.Server.DataDir, err)
		}
		cfg.DataDir = c.Server.DataDir
	} else if !c.DevMode {
		dir, err := a.subDir("server")
		if err != nil {
			return nil, "", err
		}
		cfg.DataDir = dir
	} else {
		cfg.DataDir = filepath.Join(a.dataDir, "server")
	}
	s, err := server.NewServer(cfg)
	if err != nil {
		return nil, "", err
	}
	return &serverBackend{Server: s}, s.RPCAddr(), nil
}

// advertiseRPC is the raft address peers dial: advertise.rpc, or the bound
// address, or for a wildcard bind the host's first private address.
func advertiseRPC(c *Config) string {
	port := strconv.Itoa(c.Ports.RPC)
	if a := c.Advertise.RPC; a != "" {
		if _, _, err := net.SplitHostPort(a); err == nil {
			return a
		}
		return net.JoinHostPort(a, port)
	}
	host := c.BindAddr
	if c.Addresses.RPC != "" {
		host = hostOnly(c.Addresses.RPC)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return net.JoinHostPort(hostIP(), port)
	}
	if c.Ports.RPC == 0 {
		return "" // the server advertises what it bound
	}
	return net.JoinHostPort(host, port)
}

// serverBackend adapts *server.Server to httpapi.Backend.
type serverBackend struct {
	*server.Server
}

// State is the store's reads the HTTP API uses (httpapi.Store).
func (s *serverBackend) State() httpapi.Store { return s.Server.State() }

func (s *serverBackend) Peers() []httpapi.Peer {
	peers := s.Server.Peers()
	out := make([]httpapi.Peer, 0, len(peers))
	for _, p := range peers {
		out = append(out, httpapi.Peer{ID: p.ID, Name: p.Name, Address: p.Address, HTTPAddr: p.HTTPAddr, Leader: p.Leader, Voter: p.Voter})
	}
	return out
}

func (s *serverBackend) PlanJob(job *nomadlike.Job, diff bool) (*api.JobPlanResponse, error) {
	r, err := s.Server.PlanJob(job, diff)
	if err != nil {
		return nil, err
	}
	return planResponse(r), nil
}

// planResponse converts the server's dry run to the API's shape; its diff
// is the domain's (nomadlike.Job.Diff), as the versions history's.
func planResponse(r *server.PlanJobResponse) *api.JobPlanResponse {
	return &api.JobPlanResponse{
		JobModifyIndex: r.JobModifyIndex,
		CreatedEvals:   r.CreatedEvals,
		Diff:           r.Diff,
		Annotations:    r.Annotations,
		FailedTGAllocs: r.FailedTGAllocs,
		Warnings:       r.Warnings,
		Index:          r.Index,
	}
}
