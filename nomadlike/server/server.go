package server

import (
	"github.com/nomadlike/nomadlike/nomadlike/server/autoscaler"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/broker"
	"github.com/nomadlike/nomadlike/nomadlike/connlimit"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/plan"
	"github.com/nomadlike/nomadlike/nomadlike/server/driverschema"
	"github.com/nomadlike/nomadlike/nomadlike/state"
	"github.com/nomadlike/nomadlike/nomadlike/stream"
)

// RaftServer is one server of the raft configuration.
type RaftServer struct {
	ID       string
	Address  string // raft (RPC) address
	Name     string // NodeName, when known
	HTTPAddr string // when known
	Leader   bool
	Voter    bool
}

// Server is a nomadlike server: the raft replica of the state, and on the
// leader the eval broker, blocked evals, plan applier, scheduler workers and
// heartbeat timers. Its methods are safe for concurrent use.
type Server struct {
	cfg    Config
	logger hclog.Logger
	// schedLogger is logger for the schedulers (log/slog over hclog).
	schedLogger *slog.Logger
	id          string

	// usage keeps node usage across the workers' evaluations.
	usage usageCache

	// gc serializes garbage collections (gc.go).
	gc gcState

	// allocUsage keeps the usage samples clients push for the built-in
	// autoscaler (autoscale.go, issue #17).
	allocUsage *autoscaler.Usage

	// keys is the in-memory keyring of Variables and workload identity
	// (keyring.go).
	keys keyringState
	// driverSchemas caches the drivers' config schemas the nodes published
	// (job_driverschema.go, issue #20).
	driverSchemas driverschema.Cache

	// jobDepsUsed is set once a job with job-level depends_on was
	// registered here or seen by the leader's sweep (job_deps.go): until
	// then a finished job has no dependents to look for, and the look
	// (a pass over the namespace's jobs per client update) is skipped. A
	// dependent missed meanwhile (registered under another leader before
	// this one's first sweep) is settled by the sweep, every 5 s.
	jobDepsUsed atomic.Bool

	// leaderReady is true while this server leads and has passed the
	// leadership barrier (see IsLeader).
	leaderReady atomic.Bool

	fsm           *fsm.FSM
	events        *stream.Broker // the event stream (events.go)
	raft          *raft.Raft
	trans         raft.Transport
	mux           *muxListener
	bolt          *raftboltdb.BoltStore
	snapshots     raft.SnapshotStore
	leaderNotifCh chan bool

	broker     *broker.EvalBroker
	blocked    *broker.BlockedEvals
	applier    *plan.Applier
	heartbeats *heartbeater
	batcher    *groupCommitter[*nomadlike.Allocation] // client allocation updates, many per raft entry (groupcommit.go)
	evalWrites *groupCommitter[*nomadlike.Evaluation] // the workers' evaluation updates, many per raft entry

	membersMu sync.Mutex
	members   map[string]member // by raft server ID, self included
	// confirmed marks the members whose record came from their own
	// answer at their own address (see join.go); the others were
	// reported by third parties.
	confirmed map[string]bool
	// clusterSeen is set once a join answer came from a server that is in
	// a cluster: this server then waits to be added, never bootstraps.
	clusterSeen atomic.Bool

	rngMu sync.Mutex
	rng   *rand.Rand

	// aclCache holds compiled ACLs by secret hash (ACL store, acl_resolve.go).
	aclCache aclCache

	raftReadyCh  chan struct{} // closed once s.raft is set
	shutdownOnce sync.Once
	shutdownCh   chan struct{}
	wg           sync.WaitGroup
}

// NewServer starts a server: it opens (or creates) the raft state under
// DataDir, starts raft, bootstraps when the config says so, and starts
// watching for leadership. It returns once raft runs; leadership comes later
// (wait for IsLeader or Leader).
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Clock == nil {
		cfg.Clock = wallClock{}
	}
	s := &Server{
		allocUsage:  autoscaler.NewUsage(),
		cfg:         cfg,
		logger:      cfg.Logger.Named("server"),
		members:     map[string]member{},
		confirmed:   map[string]bool{},
		rng:         rand.New(rand.NewSource(time.Now().UnixNano())),
		shutdownCh:  make(chan struct{}),
		raftReadyCh: make(chan struct{}),
		schedLogger: newSchedulerLogger(cfg.Logger.Named("scheduler")),
	}
	store, err := state.NewStateStore()
	if err != nil {
		return nil, err
	}
	s.fsm = fsm.New(store, cfg.Logger)
	s.events = stream.NewBroker(stream.DefaultBufferSize)
	s.fsm.SetChangeSink(s.events)

	s.broker, err = broker.NewEvalBroker(cfg.brokerConfig(), cfg.Logger)
	if err != nil {
		return nil, err
	}
	s.blocked = broker.NewBlockedEvals(s.broker, cfg.Logger)
	s.applier, err = plan.NewApplier(plan.Config{
		Snapshot: func(ctx context.Context, min uint64) (plan.NodeState, error) {
			return s.fsm.State().SnapshotMinIndex(ctx, min)
		},
		Committer:  raftCommitter{s},
		CheckToken: s.checkEvalToken,
		Logger:     cfg.Logger,
		// group commit: a batch of plans is one raft entry and one state
		// store transaction, bounded as one plan's entry is.
		MaxBatchAllocs: cfg.MaxAllocsPerEntry,
	})
	if err != nil {
		return nil, err
	}
	s.heartbeats = newHeartbeater(s)
	s.batcher = newGroupCommitter(s.applyClientUpdates, func() time.Duration { return s.cfg.ClientUpdateBatch })
	s.evalWrites = newGroupCommitter(func(evals []*nomadlike.Evaluation) (uint64, error) {
		return s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: evals})
	}, nil)

	if err := s.setupRaft(); err != nil {
		// Release what setupRaft opened: a leaked raft log keeps its file
		// lock, and the next start on this data dir would block on it.
		if s.raft != nil {
			_ = s.raft.Shutdown().Error()
		}
		s.closeTransport()
		if s.bolt != nil {
			_ = s.bolt.Close()
		}
		return nil, err
	}
	s.fsm.SetEvalHook(s.onEvals)

	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.monitorLeadership()
	}()
	if s.mux != nil && len(cfg.RetryJoin) > 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.retryJoin()
		}()
	}
	return s, nil
}

func (c *Config) brokerConfig() broker.Config {
	return broker.Config{
		NackTimeout:         c.EvalNackTimeout,
		DeliveryLimit:       c.EvalDeliveryLimit,
		InitialNackDelay:    c.EvalNackInitialDelay,
		SubsequentNackDelay: c.EvalNackSubsequentDelay,
	}
}

// serverID returns the persistent raft ID of this server.
func (s *Server) serverID() (string, error) {
	if s.cfg.Dev {
		return nomadlike.GenerateUUID(), nil
	}
	path := filepath.Join(s.cfg.DataDir, "server-id")
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read server id: %w", err)
	}
	id := nomadlike.GenerateUUID()
	if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write server id: %w", err)
	}
	return id, nil
}

func (s *Server) setupRaft() error {
	id, err := s.serverID()
	if err != nil {
		return err
	}
	s.id = id

	// Transport: the caller's (tests), or raft's network transport over
	// the RPC listener shared with the join service.
	if s.cfg.RaftTransport != nil {
		s.trans = s.cfg.RaftTransport
	} else {
		ln, err := net.Listen("tcp", s.cfg.RPCAddr)
		if err != nil {
			return fmt.Errorf("listen on rpc address %s: %w", s.cfg.RPCAddr, err)
		}
		adv, err := advertiseAddr(s.cfg.AdvertiseRPC, ln.Addr())
		if err != nil {
			ln.Close()
			return err
		}
		ln = connlimit.Wrap(ln, connlimit.Config{MaxConnsPerIP: s.cfg.RPCMaxConnsPerClient})
		s.mux = newMuxListener(ln, adv, s.handleJoin, s.serveHTTPAddr, s.cfg.EncryptKey, s.cfg.Logger.Named("rpc"), s.cfg.RPCHandshakeTimeout, s.cfg.RPCTLS)
		if len(s.cfg.EncryptKey) == 0 {
			s.logger.Warn("no cluster key (server.encrypt): any host that reaches the RPC port can take part in raft and ask to join as a server; set the same key on every server (nomadlike operator gossip keyring generate)", "rpc_addr", adv.String())
		}
		s.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
			Stream:  s.mux,
			MaxPool: 3,
			Timeout: 10 * time.Second,
			Logger:  s.cfg.Logger.Named("raft-net"),
		})
	}
	s.membersMu.Lock()
	s.members[s.id] = s.self()
	s.membersMu.Unlock()

	// Stores: boltdb and snapshot files on disk, memory in dev mode.
	var logs raft.LogStore
	var stable raft.StableStore
	if s.cfg.Dev {
		mem := raft.NewInmemStore()
		logs, stable = mem, mem
		s.snapshots = raft.NewInmemSnapshotStore()
	} else {
		dir := filepath.Join(s.cfg.DataDir, "raft")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create raft dir: %w", err)
		}
		bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
		if err != nil {
			return fmt.Errorf("open raft log %s: %w", filepath.Join(dir, "raft.db"), err)
		}
		s.bolt = bolt
		// The cache holds whole entries, and a plan result of a thousand
		// placements is hundreds of KB: 512 of them held ~200 MB at
		// cluster scale. Followers that fall further behind read bolt.
		cached, err := raft.NewLogCache(64, bolt)
		if err != nil {
			return err
		}
		logs, stable = cached, bolt
		snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, s.cfg.Logger.Named("raft-snapshots"))
		if err != nil {
			return fmt.Errorf("open raft snapshots: %w", err)
		}
		s.snapshots = snaps
	}

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(s.id)
	rc.Logger = s.cfg.Logger.Named("raft")
	rc.SnapshotThreshold = s.cfg.SnapshotThreshold
	rc.SnapshotInterval = s.cfg.SnapshotInterval
	rc.TrailingLogs = s.cfg.TrailingLogs
	t := s.cfg.RaftTimeouts
	if t == nil && s.cfg.Dev {
		t = &devRaftTimeouts
	}
	if t != nil {
		rc.HeartbeatTimeout, rc.ElectionTimeout = t.Heartbeat, t.Election
		rc.LeaderLeaseTimeout, rc.CommitTimeout = t.LeaderLease, t.Commit
	}
	s.leaderNotifCh = make(chan bool, 16)
	rc.NotifyCh = s.leaderNotifCh
	if err := raft.ValidateConfig(rc); err != nil {
		return fmt.Errorf("%w: raft: %v", ErrInvalidConfig, err)
	}

	if !s.cfg.Dev {
		if err := s.recoverPeers(rc, logs, stable); err != nil {
			return err
		}
	}
	existing, err := raft.HasExistingState(logs, stable, s.snapshots)
	if err != nil {
		return fmt.Errorf("read raft state: %w", err)
	}
	r, err := raft.NewRaft(rc, s.fsm, logs, stable, s.snapshots, s.trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	s.raft = r
	close(s.raftReadyCh)
	if !existing && s.cfg.BootstrapExpect <= 1 {
		boot := raft.Configuration{Servers: []raft.Server{{
			Suffrage: raft.Voter, ID: rc.LocalID, Address: s.trans.LocalAddr(),
		}}}
		if err := r.BootstrapCluster(boot).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			return fmt.Errorf("bootstrap raft: %w", err)
		}
	}
	return nil
}

func advertiseAddr(advertise string, bound net.Addr) (net.Addr, error) {
	if advertise == "" {
		tcp, ok := bound.(*net.TCPAddr)
		if !ok || tcp.IP.IsUnspecified() {
			return nil, fmt.Errorf("%w: AdvertiseRPC: required when RPCAddr binds all interfaces (%s)", ErrInvalidConfig, bound)
		}
		return tcp, nil
	}
	addr, err := net.ResolveTCPAddr("tcp", advertise)
	if err != nil {
		return nil, fmt.Errorf("%w: AdvertiseRPC %q: %v", ErrInvalidConfig, advertise, err)
	}
	if addr.IP == nil || addr.IP.IsUnspecified() {
		return nil, fmt.Errorf("%w: AdvertiseRPC %q: must be a routable address", ErrInvalidConfig, advertise)
	}
	return addr, nil
}

func (s *Server) self() member {
	return member{
		ID: s.id, Name: s.cfg.NodeName, RPCAddr: string(s.trans.LocalAddr()), HTTPAddr: s.cfg.HTTPAddr,
		Region: s.cfg.Region, Datacenter: s.cfg.Datacenter, BootstrapExpect: s.cfg.BootstrapExpect,
	}
}

// Shutdown stops the server: leadership duties, raft, the listener and the
// stores. The raft state on disk is kept for a restart. Safe to call twice.
func (s *Server) Shutdown() error {
	var err error
	s.shutdownOnce.Do(func() {
		close(s.shutdownCh)
		s.events.Close()
		if s.raft != nil {
			if e := s.raft.Shutdown().Error(); e != nil {
				err = fmt.Errorf("shut down raft: %w", e)
			}
		}
		s.wg.Wait()
		s.batcher.stop()
		s.evalWrites.stop()
		s.closeTransport()
		if s.bolt != nil {
			if e := s.bolt.Close(); e != nil && err == nil {
				err = fmt.Errorf("close raft log: %w", e)
			}
		}
	})
	return err
}

func (s *Server) closeTransport() {
	if c, ok := s.trans.(raft.WithClose); ok && s.cfg.RaftTransport == nil {
		_ = c.Close()
	}
	if s.mux != nil {
		_ = s.mux.Close()
		s.mux.wg.Wait()
	}
}

// ID is this server's raft ID.
func (s *Server) ID() string { return s.id }

// RPCAddr is the raft address peers use to reach this server.
func (s *Server) RPCAddr() string { return string(s.trans.LocalAddr()) }

// State returns the current state store; a snapshot restore replaces it,
// so call State again rather than keeping the result.
func (s *Server) State() *state.StateStore { return s.fsm.State() }

// IsLeader reports whether this server is the raft leader and has applied
// everything committed before its term (the leadership barrier), so that its
// state store is complete. Between winning the election and passing the
// barrier it is not a leader for reads and writes: serving reads from a
// store that has not replayed the log would answer "not found" for jobs that
// were acknowledged before a restart.
func (s *Server) IsLeader() bool { return s.raft.State() == raft.Leader && s.leaderReady.Load() }

// Leader returns the leader's raft and HTTP addresses, "" when unknown.
func (s *Server) Leader() (rpcAddr string, httpAddr string) {
	addr, id := s.raft.LeaderWithID()
	if addr == "" {
		return "", ""
	}
	if string(id) == s.id && !s.leaderReady.Load() {
		// Elected but still replaying the log: no usable leader yet.
		return "", ""
	}
	s.membersMu.Lock()
	defer s.membersMu.Unlock()
	return string(addr), s.members[string(id)].HTTPAddr
}

// Peers returns the raft configuration.
func (s *Server) Peers() []RaftServer {
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return nil
	}
	_, leaderID := s.raft.LeaderWithID()
	s.membersMu.Lock()
	defer s.membersMu.Unlock()
	var out []RaftServer
	for _, srv := range f.Configuration().Servers {
		m := s.members[string(srv.ID)]
		out = append(out, RaftServer{
			ID: string(srv.ID), Address: string(srv.Address), Name: m.Name, HTTPAddr: m.HTTPAddr,
			Leader: srv.ID == leaderID, Voter: srv.Suffrage == raft.Voter,
		})
	}
	return out
}

// LastContact is the time since this server last heard from the leader; 0
// on the leader, and -1 when it never has.
func (s *Server) LastContact() time.Duration {
	if s.IsLeader() {
		return 0
	}
	last := s.raft.LastContact()
	if last.IsZero() {
		return -1
	}
	return time.Since(last)
}

// AddPeer adds the server at addr to the raft configuration as a voter;
// leader only. The server there must answer the join protocol (with the
// cluster key when one is set) and, when id is not "", say that its ID is
// id: an address that does not answer, or answers as another server, is
// refused with an error wrapping nomadlike.ErrValidation and nothing
// changes.
func (s *Server) AddPeer(id, addr string) error {
	if addr == "" {
		return fmt.Errorf("add peer: %w: Address is required", nomadlike.ErrValidation)
	}
	if !s.IsLeader() {
		return fmt.Errorf("add peer %s: %w", addr, nomadlike.ErrNotLeader)
	}
	got, err := s.probe(addr, id)
	if err != nil {
		return fmt.Errorf("add peer %s: %w", addr, err)
	}
	s.setMember(got)
	return s.addVoter(got.ID, addr)
}

// addVoter adds a voting server to the raft configuration without checking
// it; callers have verified it.
func (s *Server) addVoter(id, addr string) error {
	if !s.IsLeader() {
		return fmt.Errorf("add peer %s: %w", id, nomadlike.ErrNotLeader)
	}
	if err := s.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, s.cfg.RaftApplyTimeout).Error(); err != nil {
		return fmt.Errorf("add peer %s at %s: %w", id, addr, raftErr(err))
	}
	s.membersMu.Lock()
	if _, ok := s.members[id]; !ok {
		s.members[id] = member{ID: id, RPCAddr: addr}
	}
	s.membersMu.Unlock()
	return nil
}

// raftErr maps raft's leadership errors to nomadlike.ErrNotLeader.
func raftErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
		errors.Is(err, raft.ErrLeadershipTransferInProgress), errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%w (%v)", nomadlike.ErrNotLeader, err)
	}
	return err
}

// raftApply writes one entry and returns its index after it is committed and
// applied to this server's state. It returns an error wrapping
// nomadlike.ErrNotLeader on a follower, and the FSM's error when the store
// rejected the entry.
func (s *Server) raftApply(t fsm.MessageType, req any) (uint64, error) {
	if !s.IsLeader() {
		return 0, fmt.Errorf("%s: %w", t, nomadlike.ErrNotLeader)
	}
	buf, err := fsm.Encode(t, req)
	if err != nil {
		return 0, err
	}
	f := s.raft.Apply(buf, s.cfg.RaftApplyTimeout)
	if err := s.await(f); err != nil {
		return 0, fmt.Errorf("%s: %w", t, raftErr(err))
	}
	if resp, ok := f.Response().(error); ok && resp != nil {
		return f.Index(), resp
	}
	return f.Index(), nil
}

// await waits for a raft future, or for shutdown. raft answers a log
// future that was queued but never applied when it shuts down only for some
// future types, so waiting on Error alone can hang a shutdown.
func (s *Server) await(f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-s.shutdownCh:
		return raft.ErrRaftShutdown
	}
}

func (s *Server) checkEvalToken(evalID, token string) error {
	cur, ok := s.broker.Outstanding(evalID)
	if !ok {
		return fmt.Errorf("eval %s: %w", evalID, broker.ErrNotOutstanding)
	}
	if cur != token {
		return fmt.Errorf("eval %s: %w", evalID, broker.ErrTokenMismatch)
	}
	return nil
}

// jitter returns a random duration in [0, d).
func (s *Server) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return time.Duration(s.rng.Int63n(int64(d)))
}
