package server

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/server/gc"
)

// ErrInvalidConfig is wrapped by Config.Validate errors.
var ErrInvalidConfig = errors.New("invalid server config")

// Config configures a Server. Start from DefaultConfig; every field has a
// default and Validate names the first wrong one.
type Config struct {
	// NodeName names this server in logs and peer lists.
	NodeName string
	// Region and Datacenter are reported to peers.
	Region, Datacenter string
	// DataDir holds raft's log (raft/raft.db), snapshots (raft/snapshots)
	// and the server's ID (server-id). Required unless Dev.
	DataDir string
	// Dev keeps everything in memory and bootstraps a single server.
	Dev bool
	// RPCAddr is the host:port the raft TCP listener binds. The same
	// listener serves the join service.
	RPCAddr string
	// AdvertiseRPC is the host:port peers dial; defaults to the bound
	// address, which must then not be unspecified (0.0.0.0).
	AdvertiseRPC string
	// RPCMaxConnsPerClient caps the connections one source IP may hold
	// open to the RPC listener (0: no cap); RPCHandshakeTimeout is how
	// long a new RPC connection has to send its first byte (0: no limit).
	// The agent's limits block sets both (100 and 5s).
	RPCMaxConnsPerClient int
	RPCHandshakeTimeout  time.Duration
	// HTTPAddr is this server's advertised HTTP address, published to peers
	// so followers can forward writes to the leader's HTTP API.
	HTTPAddr string
	// BootstrapExpect is how many servers form the initial cluster; 0 or 1
	// bootstraps alone. With N > 1 the server bootstraps once it knows N
	// servers through RetryJoin.
	BootstrapExpect int
	// RetryJoin lists other servers' RPC addresses (host:port) to discover
	// and join; RetryInterval is the pause between attempts.
	RetryJoin     []string
	RetryInterval time.Duration
	// NumSchedulers is how many scheduler workers run on the leader: how
	// many evaluations are computed at once; each keeps up to
	// EvalsPerScheduler evaluations in flight while their commits wait for
	// raft (worker.go). More plan in parallel (and conflict more in the plan
	// applier). Default one per core. EnabledSchedulers are the job types
	// they serve.
	NumSchedulers     int
	EnabledSchedulers []string

	// HeartbeatMinTTL is the shortest heartbeat TTL handed to clients;
	// MaxHeartbeatsPerSecond stretches TTLs as the cluster grows so the
	// leader is not flooded (TTL = max(min, nodes/rate) plus up to that
	// again of random stagger). HeartbeatGrace is added before a silent node
	// is marked down. FailoverHeartbeatTTL is given to every node when a
	// new leader takes over, so clients have time to find it.
	HeartbeatMinTTL        time.Duration
	MaxHeartbeatsPerSecond float64
	HeartbeatGrace         time.Duration
	FailoverHeartbeatTTL   time.Duration

	// Eval broker tuning: see broker.Config.
	EvalNackTimeout         time.Duration
	EvalDeliveryLimit       int
	EvalNackInitialDelay    time.Duration
	EvalNackSubsequentDelay time.Duration
	// EvalFailedFollowupBaseline plus a random part of
	// EvalFailedFollowupRange is how long after an evaluation fails its
	// delivery limit a follow-up evaluation runs.
	EvalFailedFollowupBaseline time.Duration
	EvalFailedFollowupRange    time.Duration

	// ClientUpdateBatch is how long client allocation updates are collected
	// into one raft entry while the servers are busy writing them: an update
	// that finds no write in progress is written at once, later ones wait
	// for it to end and then this long. Longer saves raft writes under load,
	// shorter answers sooner; it adds nothing to an idle cluster.
	ClientUpdateBatch time.Duration
	// MaxAllocsPerEntry caps the allocations in one raft entry: a plan
	// result or a batch of client updates with more is written as several
	// entries, back to back. Each entry is one state store transaction, and
	// go-immutable-radix tracks at most 8,192 changed tree nodes per index
	// and transaction; past that, the commit walks the whole index tree,
	// every allocation in the store. BenchmarkAllocTxnSize
	// (nomadlike/state) counts about 4 tracked nodes per allocation written
	// with 10k allocations in the store and 5 with 200k (1,000 writes track
	// 5,158; 2,000 overflow), one more per 16-fold growth. Smaller entries
	// cost more raft entries, and every entry's commit also wakes the
	// blocking queries of nodes that have no allocation yet (their watch is
	// a shared tree node), so the default stays as big as is safe.
	MaxAllocsPerEntry int
	// JobMaxCount caps the allocations one job may ask for: each group's
	// count and their sum (agent config server.job_max_count, a nomadlike
	// setting that Nomad does not have). Register, plan and dispatch refuse
	// a job over it with a validation error naming the group's Count, before
	// anything is written. A count is placements the scheduler works
	// through in every evaluation of the job: 10,000,000 took a server to a
	// 3.5 GB peak while it failed to place them. The default,
	// DefaultJobMaxCount, is the largest job the benchmarks place
	// (BENCHMARKS.md workload 2: one job of 100,000 on 5,000 nodes).
	JobMaxCount int
	// DrainCheckInterval bounds how long the leader's node drainer
	// (server/drainer) waits for a change before it looks at draining
	// nodes again; it also wakes at every change and drain deadline.
	DrainCheckInterval time.Duration

	// RaftApplyTimeout bounds how long a write waits to enter raft.
	RaftApplyTimeout time.Duration
	// SnapshotThreshold, SnapshotInterval and TrailingLogs control raft's
	// automatic snapshots and log compaction (see raft.Config).
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64
	// RaftTimeouts, when set, replaces raft's heartbeat, election, lease and
	// commit timeouts (tests use short ones).
	RaftTimeouts *RaftTimeouts
	// EntryApplier, when set, submits the raft entries of plan commits and
	// client updates (several per write, see MaxAllocsPerEntry) instead of
	// the server's raft; it must hand them on to raft, and may record or
	// fail some (tests fail one entry of a sequence, as a leadership loss
	// would). Nil: raft.
	EntryApplier EntryApplier

	// EncryptKey is the cluster key (agent config server.encrypt, 16, 24
	// or 32 bytes): when set, every raft and join connection between
	// servers proves it with a challenge-response in both directions, and
	// a server without it, or with another, is refused. Nil leaves the RPC
	// port unauthenticated (a warning is logged at startup). See
	// DecodeClusterKey.
	EncryptKey []byte
	// PreviousEncryptKeys (agent config server.previous_encrypt) are
	// cluster keys used before EncryptKey. They only unwrap root keys of
	// the keyring (never authenticate a connection): a root key wrapped
	// with one of them is rewrapped by the leader under EncryptKey (or
	// inline when EncryptKey is nil). Without them, a root key wrapped
	// with another cluster key does not open (ErrKeyringKey).
	PreviousEncryptKeys [][]byte

	// RPCTLS (mTLS, agent config tls.rpc), when set, makes the RPC port
	// speak TLS only: raft and join connections, accepted and dialed,
	// run inside TLS with certificates from the cluster's CA (see
	// transport.go). The cluster key handshake still runs inside.
	RPCTLS *RPCTLS

	// RaftTransport, when set, replaces the TCP transport (tests pass
	// raft.InmemTransport). The join service then does not run.
	RaftTransport raft.Transport

	// JobGCInterval and GCThresholds are the server garbage collector's
	// (gc.go; Nomad's job_gc_interval and *_gc_threshold).
	JobGCInterval time.Duration
	GCThresholds  gc.Thresholds

	// Clock is the time the periodic launcher goes by, and that stamps
	// submitted, launched and dispatched jobs; nil is the wall clock.
	// Tests pass a fake one to launch without waiting.
	Clock Clock

	// Logger defaults to a null logger.
	Logger hclog.Logger
}

// DefaultMaxAllocsPerEntry is Config.MaxAllocsPerEntry's default.
const DefaultMaxAllocsPerEntry = 1000

// DefaultJobMaxCount is Config.JobMaxCount's default.
const DefaultJobMaxCount = 100_000

// RaftTimeouts are raft's timing knobs.
type RaftTimeouts struct {
	Heartbeat, Election, LeaderLease, Commit time.Duration
}

// devRaftTimeouts are a dev server's (Config.Dev, RaftTimeouts unset): the
// only voter elects itself 50-100 ms after start instead of raft's 1-2 s
// (scripts/bench-start.sh). Short timeouts only cost a lone voter nothing:
// it has no follower to heartbeat and is its own quorum.
var devRaftTimeouts = RaftTimeouts{
	Heartbeat: 50 * time.Millisecond, Election: 50 * time.Millisecond,
	LeaderLease: 50 * time.Millisecond, Commit: 50 * time.Millisecond,
}

// DefaultConfig returns a config for a single dev-ready server listening on
// 127.0.0.1:4647; set DataDir (or Dev) before use.
func DefaultConfig() Config {
	return Config{
		NodeName:                   "server",
		Region:                     nomadlike.DefaultRegion,
		Datacenter:                 "dc1",
		RPCAddr:                    "127.0.0.1:4647",
		HTTPAddr:                   "127.0.0.1:4646",
		RPCMaxConnsPerClient:       100,
		RPCHandshakeTimeout:        5 * time.Second,
		BootstrapExpect:            1,
		RetryInterval:              5 * time.Second,
		NumSchedulers:              runtime.NumCPU(),
		EnabledSchedulers:          []string{nomadlike.JobTypeService, nomadlike.JobTypeBatch, nomadlike.JobTypeSystem, nomadlike.JobTypeSysBatch},
		HeartbeatMinTTL:            10 * time.Second,
		MaxHeartbeatsPerSecond:     50,
		HeartbeatGrace:             10 * time.Second,
		FailoverHeartbeatTTL:       5 * time.Minute,
		EvalNackTimeout:            60 * time.Second,
		EvalDeliveryLimit:          3,
		EvalNackInitialDelay:       time.Second,
		EvalNackSubsequentDelay:    20 * time.Second,
		EvalFailedFollowupBaseline: time.Minute,
		EvalFailedFollowupRange:    5 * time.Minute,
		ClientUpdateBatch:          50 * time.Millisecond,
		MaxAllocsPerEntry:          DefaultMaxAllocsPerEntry,
		JobMaxCount:                DefaultJobMaxCount,
		DrainCheckInterval:         time.Second,
		RaftApplyTimeout:           30 * time.Second,
		SnapshotThreshold:          8192,
		SnapshotInterval:           2 * time.Minute,
		TrailingLogs:               10240,
		JobGCInterval:              5 * time.Minute,
		GCThresholds:               gc.DefaultThresholds(),
	}
}

// Validate reports the first invalid field.
func (c *Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.NodeName == "":
		return bad("NodeName", "must not be empty")
	case !c.Dev && c.DataDir == "":
		return bad("DataDir", "required unless Dev is set")
	case c.RaftTransport == nil && c.RPCAddr == "":
		return bad("RPCAddr", "required (host:port)")
	case c.BootstrapExpect < 0:
		return bad("BootstrapExpect", "must be >= 0, got %d", c.BootstrapExpect)
	case c.Dev && c.BootstrapExpect > 1:
		return bad("BootstrapExpect", "must be 1 in dev mode, got %d", c.BootstrapExpect)
	case c.NumSchedulers < 0:
		return bad("NumSchedulers", "must be >= 0, got %d", c.NumSchedulers)
	case c.RetryInterval <= 0:
		return bad("RetryInterval", "must be positive, got %v", c.RetryInterval)
	case c.HeartbeatMinTTL <= 0 || c.HeartbeatGrace < 0 || c.FailoverHeartbeatTTL <= 0:
		return bad("HeartbeatMinTTL", "heartbeat TTLs must be positive (grace >= 0)")
	case c.MaxHeartbeatsPerSecond <= 0:
		return bad("MaxHeartbeatsPerSecond", "must be positive, got %v", c.MaxHeartbeatsPerSecond)
	case c.EvalFailedFollowupBaseline < 0 || c.EvalFailedFollowupRange < 0:
		return bad("EvalFailedFollowupBaseline", "delays must be >= 0")
	case c.ClientUpdateBatch < 0:
		return bad("ClientUpdateBatch", "must be >= 0, got %v", c.ClientUpdateBatch)
	case c.MaxAllocsPerEntry <= 0:
		return bad("MaxAllocsPerEntry", "must be positive, got %d", c.MaxAllocsPerEntry)
	case c.JobMaxCount <= 0:
		return bad("JobMaxCount", "must be positive, got %d", c.JobMaxCount)
	case c.DrainCheckInterval <= 0:
		return bad("DrainCheckInterval", "must be positive, got %v", c.DrainCheckInterval)
	case c.RaftApplyTimeout <= 0:
		return bad("RaftApplyTimeout", "must be positive, got %v", c.RaftApplyTimeout)
	case c.SnapshotThreshold == 0 || c.SnapshotInterval <= 0:
		return bad("SnapshotThreshold", "snapshot threshold and interval must be positive")
	case c.JobGCInterval <= 0:
		return bad("JobGCInterval", "must be positive, got %v", c.JobGCInterval)
	case c.GCThresholds.Job < 0 || c.GCThresholds.Eval < 0 || c.GCThresholds.BatchEval < 0 ||
		c.GCThresholds.Deployment < 0 || c.GCThresholds.Node < 0:
		return bad("GCThresholds", "thresholds must be >= 0")
	case len(c.EncryptKey) != 0 && !validKeySize(len(c.EncryptKey)):
		return bad("EncryptKey", "%d bytes; want 16, 24 or 32", len(c.EncryptKey))
	}
	for i, k := range c.PreviousEncryptKeys {
		if !validKeySize(len(k)) {
			return bad(fmt.Sprintf("PreviousEncryptKeys[%d]", i), "%d bytes; want 16, 24 or 32", len(k))
		}
	}
	for i, a := range c.RetryJoin {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return bad(fmt.Sprintf("RetryJoin[%d]", i), "%q is not host:port: %v", a, err)
		}
	}
	for i, t := range c.EnabledSchedulers {
		switch t {
		case nomadlike.JobTypeService, nomadlike.JobTypeBatch, nomadlike.JobTypeSystem, nomadlike.JobTypeSysBatch:
		default:
			return bad(fmt.Sprintf("EnabledSchedulers[%d]", i), "unknown job type %q", t)
		}
	}
	if err := c.brokerConfig().Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return nil
}

func validKeySize(n int) bool {
	for _, k := range clusterKeySizes {
		if n == k {
			return true
		}
	}
	return false
}
