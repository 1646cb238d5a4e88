package httpapi

import (
	"crypto/tls"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/jsonx"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
	"github.com/nomadlike/nomadlike/nomadlike/telemetry"
)

// Backend is what the HTTP API needs from a server. *server.Server satisfies
// it through a thin adapter in package agent. Writes return after raft
// commit with the committed index; on a follower they return an error
// wrapping nomadlike.ErrNotLeader and the handler forwards the request.
type Backend interface {
	// State returns the current state store's reads (a restore replaces the store).
	State() Store
	IsLeader() bool
	// Leader returns the leader's raft and HTTP addresses, "" when unknown.
	Leader() (rpcAddr, httpAddr string)
	Peers() []Peer
	// LastContact is the time since the last contact with the leader (0 on
	// the leader).
	LastContact() time.Duration

	RegisterJob(job *nomadlike.Job, enforceIndex bool, jobModifyIndex uint64) (evalID string, index uint64, warnings string, err error)
	DeregisterJob(ns, jobID string, purge bool) (evalID string, index uint64, err error)
	// PlanJob dry-runs the scheduler. The handler fills Diff when the
	// backend leaves it nil and a diff was asked for.
	PlanJob(job *nomadlike.Job, diff bool) (*api.JobPlanResponse, error)
	ForceEvaluate(ns, jobID string) (evalID string, index uint64, err error)
	// ForcePeriodic launches a child of a periodic job now.
	ForcePeriodic(ns, jobID string) (evalID string, index uint64, err error)
	// DispatchJob runs a parameterized job once; the child and its
	// evaluation are created at index.
	DispatchJob(ns, jobID string, req nomadlike.DispatchRequest) (childID, evalID string, index uint64, err error)
	// RegisterNode, NodeHeartbeat and UpdateAllocsFromClient are the node
	// calls: a known node is authenticated by its SecretID (node.SecretID,
	// secretID), a wrong one fails with nomadlike.ErrPermission; sourceIP
	// is where the request came from ("" when unknown), which the servers
	// record for forwarding to the node.
	RegisterNode(node *nomadlike.Node, sourceIP string) (heartbeatTTL time.Duration, index uint64, err error)
	NodeHeartbeat(nodeID, secretID, status, sourceIP string) (heartbeatTTL time.Duration, index uint64, err error)
	UpdateAllocsFromClient(secretID string, allocs []*nomadlike.Allocation) (index uint64, err error)
	UpdateNodeDrain(nodeID string, drain *nomadlike.DrainStrategy, markEligible bool) (uint64, error)
	UpdateNodeEligibility(nodeID, eligibility string) (uint64, error)
	StopAlloc(allocID string) (evalID string, index uint64, err error)
	SnapshotSave(w io.Writer) error
	SnapshotRestore(r io.Reader) error
	// AddPeer adds the server at addr as a voter once it answered the join
	// protocol (as id, when id is not ""); RemovePeer removes one by ID or,
	// with id "", by address.
	AddPeer(id, addr string) error
	RemovePeer(id, addr string) error
}

// Peer is one raft server.
type Peer struct {
	ID string
	// Name is the server's node name when known ("" otherwise).
	Name string
	// Address is the raft (RPC) address; HTTPAddr the HTTP API's, when known.
	Address  string
	HTTPAddr string
	Leader   bool
	Voter    bool
}

// AgentInfo is what /v1/agent/* reports; the agent implements it.
type AgentInfo interface {
	Self() *api.AgentSelf
	Members() (*api.ServerMembers, error)
	// Health reports the health of the server and client halves; ok is
	// false when a half that runs is unhealthy (the reply is then a 500).
	Health() (resp *api.AgentHealthResponse, ok bool)
}

// Config configures the handler.
type Config struct {
	// Server is the local server; nil on a client-only agent, which then
	// forwards every server request to Servers.
	Server Backend
	// Servers are server HTTP addresses ("host:port") a client-only agent
	// forwards to.
	Servers []string
	// ResolveServer, when set, maps an address of Servers to the server's
	// HTTP address (Nomad configs name the servers' RPC port; the agent
	// resolves it). Nil: Servers are HTTP addresses.
	ResolveServer func(addr string) string
	// Agent answers /v1/agent/*.
	Agent AgentInfo
	// Client serves /v1/client/... for allocations on this node; nil when
	// the agent runs no client.
	Client http.Handler
	// NodeID returns the local client's node ID ("" when none).
	NodeID func() string
	// Logger defaults to a null logger.
	Logger hclog.Logger
	// ClusterKey is the servers' cluster key (server.encrypt), nil when none
	// is set. When set, the operator endpoints that change the raft peer set
	// or read or replace the whole state require it as the request's token
	// (see operatorAuth).
	ClusterKey []byte
	// MaxWait caps a blocking query's wait (10m) and DefaultWait is used
	// when ?wait is absent (5m).
	MaxWait, DefaultWait time.Duration
	// BodyLimits caps request bodies by route; zero fields take the
	// defaults (see BodyLimits).
	BodyLimits BodyLimits
	// LeaderHoldTimeout is how long a request that needs the leader waits
	// for one while none is known (an election), before failing with "no
	// cluster leader"; 5s by default (Nomad's rpc_hold_timeout). A node
	// registering while the servers elect is then served as soon as the
	// leader is up instead of retrying after a backoff.
	LeaderHoldTimeout time.Duration
	// Telemetry (metrics): the agent's, whose collection loop the handler
	// adds its server gauges to; nil builds a private one (see metrics.go).
	Telemetry *telemetry.Telemetry

	// ParseLimits bound each /v1/jobs/parse (jobs_parse.go); zero fields
	// take jobspec's defaults (1 GiB of memory, 10s of CPU).
	ParseLimits jobspec.ConfinedLimits

	// Region is the agent's region ("global" when empty): the only one
	// ?region= may name (regions.go).
	Region string

	// ACL enforcement (issue #11). ACL resolves the request's token when
	// ACLs are enabled (acl.enabled); nil means ACLs are off and no route
	// checks a token. On a server it reads the replicated ACL tables; on a
	// client-only agent it asks the servers (client/aclcache).
	ACL ACLResolver

	// mTLS (issue #11). With TLSServers set the agents serve HTTPS
	// (tls.http) and the handler forwards over HTTPS: to servers (the
	// leader, client.servers) with TLSServers, to client agents with
	// TLSNodes (their certificates name other roles).
	TLSServers, TLSNodes *tls.Config
}

// BodyLimits caps the request bodies the API reads, in bytes, by the kind
// of route. A body over its cap is refused with 413 before it is read when
// Content-Length says so, and as soon as the cap is passed otherwise; a
// zero field takes its default.
type BodyLimits struct {
	// Job caps job register, plan, dispatch, parse and validate bodies (8
	// MiB): a job's JSON, which is several times its HCL (Nomad keeps at
	// most 1 MB of a job's source, job_max_source_size).
	Job int64
	// Client caps what client agents send: node registration, heartbeats,
	// allocation fetches (a list of IDs) and batches of allocation updates
	// (32 MiB: a busy node's batch holds every allocation that changed
	// since the last one, with task events).
	Client int64
	// Snapshot caps a snapshot restore (1 GiB), which streams to the raft
	// snapshot store on disk rather than to memory.
	Snapshot int64
	// Other caps every other route (64 KiB): stop, evaluate, drain,
	// eligibility, raft join, search, and the client routes (signal,
	// restart, exec, stop) that are forwarded to a node.
	Other int64
}

// Default body limits (see BodyLimits).
const (
	DefaultJobBodyLimit      = 8 << 20
	DefaultClientBodyLimit   = 32 << 20
	DefaultSnapshotBodyLimit = 1 << 30
	DefaultOtherBodyLimit    = 64 << 10
)

func (l BodyLimits) withDefaults() BodyLimits {
	set := func(v *int64, def int64) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.Job, DefaultJobBodyLimit)
	set(&l.Client, DefaultClientBodyLimit)
	set(&l.Snapshot, DefaultSnapshotBodyLimit)
	set(&l.Other, DefaultOtherBodyLimit)
	return l
}

// bodyLimit returns the body cap of a route pattern ("PUT /v1/jobs"). A
// route not named here gets the smallest cap, Other.
func (h *Handler) bodyLimit(pattern string) int64 {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	l := h.cfg.BodyLimits
	switch pattern {
	case "/v1/jobs", "/v1/job/{id}", "/v1/job/{id}/plan", "/v1/job/{id}/dispatch",
		"/v1/jobs/parse", "/v1/validate/job": // parse and validate (jobs_parse.go)
		return l.Job
	case "/v1/client/register", "/v1/client/heartbeat/{id}", "/v1/client/allocations/update", "/v1/client/allocations/fetch":
		return l.Client
	case "/v1/operator/snapshot":
		return l.Snapshot
	case "/v1/var/{path...}": // variables (vars.go)
		return nomadlike.MaxVariableBodySize
	}
	return l.Other
}

// Handler is the HTTP API. Safe for concurrent use.
type Handler struct {
	cfg     Config
	mux     *http.ServeMux
	logger  hclog.Logger
	metrics *telemetry.Telemetry
	proxy   *forwarder
	// registry lists every route with its requirement (see route).
	registry []RouteInfo
	// parseSlotsCh holds a token per running confined parse (jobs_parse.go).
	parseSlotsCh chan struct{}
}

// New returns the handler for cfg.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 10 * time.Minute
	}
	if cfg.DefaultWait <= 0 {
		cfg.DefaultWait = 5 * time.Minute
	}
	if cfg.LeaderHoldTimeout <= 0 {
		cfg.LeaderHoldTimeout = DefaultLeaderHoldTimeout
	}
	if cfg.NodeID == nil {
		cfg.NodeID = func() string { return "" }
	}
	cfg.BodyLimits = cfg.BodyLimits.withDefaults()
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), logger: cfg.Logger.Named("http"), metrics: cfg.Telemetry,
		parseSlotsCh: make(chan struct{}, maxParses)}
	if h.metrics == nil {
		h.metrics = newTelemetry()
	}
	h.metrics.AddCollector(h.collectServer)
	h.proxy = newForwarder(h.logger, cfg.TLSServers, cfg.TLSNodes)
	h.proxy.sourceIP = h.sourceIP
	h.routes()
	return h
}

// writes lists the methods that write: Nomad accepts PUT and POST alike.
var writes = []string{http.MethodPut, http.MethodPost}

// routes registers every route through h.route (get, write, del), each
// with its permission requirement (authz.go); a route without one panics.
// The requirements follow Nomad's "ACL Required" column:
//
//   - public(): no token (status leader/peers, agent health, ACL
//     bootstrap). An unknown token is not checked there.
//   - anyToken(): any token that resolves, the anonymous one excepted
//     (ACL token self; namespace list and read, whose handlers filter).
//   - ns(cap), nsList(cap), nsOf(src, cap): a namespace capability, the
//     namespace from ?namespace=, the job body or the object in the path;
//     nsList lets ?namespace=* through and the handler filters each item
//     with allowNS / aclFrom.
//   - nodeRead(), nodeWrite(), agentRead(), agentWrite(), operatorRead(),
//     operatorWrite(), management().
//   - nodeCall(), nodeSecret(), nodeSecretOrRead(): client nodes' calls,
//     authenticated by the node's SecretID, not by a user token.
//   - resolvedToken(): any token that resolves, anonymous included; the
//     handler decides with aclFrom(r) and requestToken(r).
//
// Routes added by the ACL store (h.aclRoutes) declare: bootstrap =
// public(); token self = anyToken(); policy read = resolvedToken(), the
// handler allowing a management token or a token the policy is attached
// to, and the anonymous token the "anonymous" policy (client agents
// resolve tokens this way, see client/aclcache); everything else (policy
// and token list, write, delete, token read) = management(). Namespace
// routes (h.namespaceRoutes): list and read = anyToken() with the handler
// filtering by aclFrom(r).AllowNamespace; write and delete = management().
func (h *Handler) routes() {
	h.get("/v1/jobs", nsList(acl.NamespaceCapabilityListJobs), h.serverOnly(h.jobList))
	// nomadlike's queue (queue.go): waiting jobs in placement order.
	h.get("/v1/queue", nsList(acl.NamespaceCapabilityListJobs), h.serverOnly(h.queueList))
	h.write("/v1/jobs", nsOf(nsJobBody, acl.NamespaceCapabilitySubmitJob), h.serverOnly(h.jobRegister))
	h.get("/v1/job/{id}", ns(acl.NamespaceCapabilityReadJob), h.serverOnly(h.jobInfo))
	h.write("/v1/job/{id}", nsOf(nsJobBody, acl.NamespaceCapabilitySubmitJob), h.serverOnly(h.jobRegister))
	h.del("/v1/job/{id}", ns(acl.NamespaceCapabilitySubmitJob), h.serverOnly(h.jobDeregister))
	h.get("/v1/job/{id}/allocations", ns(acl.NamespaceCapabilityReadJob), h.serverOnly(h.jobAllocations))
	h.get("/v1/job/{id}/evaluations", ns(acl.NamespaceCapabilityReadJob), h.serverOnly(h.jobEvaluations))
	h.get("/v1/job/{id}/summary", ns(acl.NamespaceCapabilityReadJob), h.serverOnly(h.jobSummary))
	h.get("/v1/job/{id}/versions", ns(acl.NamespaceCapabilityReadJob), h.serverOnly(h.jobVersions))
	h.write("/v1/job/{id}/plan", nsOf(nsJobBody, acl.NamespaceCapabilitySubmitJob), h.serverOnly(h.jobPlan))
	h.write("/v1/job/{id}/evaluate", ns(acl.NamespaceCapabilitySubmitJob), h.serverOnly(h.jobEvaluate)) // Nomad: submit-job (found by the e2e ACL matrix)
	h.write("/v1/job/{id}/periodic/force", ns(acl.NamespaceCapabilitySubmitJob), h.serverOnly(h.jobPeriodicForce))
	h.write("/v1/job/{id}/dispatch", ns(acl.NamespaceCapabilityDispatchJob), h.serverOnly(h.jobDispatch))

	h.get("/v1/allocations", nsList(acl.NamespaceCapabilityReadJob), h.serverOnly(h.allocList))
	h.get("/v1/allocation/{id}", nsOf(nsAlloc, acl.NamespaceCapabilityReadJob), h.serverOnly(h.allocInfo))
	h.write("/v1/allocation/{id}/stop", nsOf(nsAlloc, acl.NamespaceCapabilityAllocLifecycle), h.serverOnly(h.allocStop))

	h.get("/v1/evaluations", nsList(acl.NamespaceCapabilityReadJob), h.serverOnly(h.evalList))
	h.get("/v1/evaluation/{id}", nsOf(nsEval, acl.NamespaceCapabilityReadJob), h.serverOnly(h.evalInfo))
	h.get("/v1/evaluation/{id}/allocations", nsOf(nsEval, acl.NamespaceCapabilityReadJob), h.serverOnly(h.evalAllocations))

	h.get("/v1/nodes", nodeRead(), h.serverOnly(h.nodeList))
	h.get("/v1/node/{id}", nodeRead(), h.serverOnly(h.nodeInfo))
	// Client agents without the cheap watch read their allocations here.
	h.get("/v1/node/{id}/allocations", nodeSecretOrRead(), h.serverOnly(h.nodeAllocations))
	h.write("/v1/node/{id}/drain", nodeWrite(), h.serverOnly(h.nodeDrain))
	h.write("/v1/node/{id}/eligibility", nodeWrite(), h.serverOnly(h.nodeEligibility))

	h.write("/v1/client/register", nodeCall(), h.serverOnly(h.clientRegister))
	h.write("/v1/client/heartbeat/{id}", nodeCall(), h.serverOnly(h.clientHeartbeat))
	h.write("/v1/client/allocations/update", nodeCall(), h.serverOnly(h.clientAllocsUpdate))
	h.clientUsageRoutes() // autoscaler usage samples (client_usage.go, issue #17)
	h.clientAllocRoutes()
	h.route(nil, "/v1/client/", clientNeed(), h.clientRoute)
	h.varRoutes() // variables, keyring and JWKS (vars.go)

	h.get("/v1/status/leader", public(), h.serverOnly(h.statusLeader))
	h.get("/v1/status/peers", public(), h.serverOnly(h.statusPeers))
	h.get("/v1/agent/self", agentRead(), h.agentSelf)
	h.get("/v1/agent/members", nodeRead(), h.agentMembers)
	h.get("/v1/agent/health", public(), h.agentHealth)
	h.get("/v1/operator/raft/configuration", operatorRead(), h.serverOnly(h.raftConfiguration))
	h.write("/v1/operator/raft/join", operatorWrite(), h.serverOnly(h.operatorAuth(h.raftJoin)))
	h.del("/v1/operator/raft/peer", operatorWrite(), h.serverOnly(h.operatorAuth(h.raftRemovePeer)))
	h.get("/v1/operator/snapshot", management(), h.serverOnly(h.operatorAuth(h.snapshotSave)))
	h.write("/v1/operator/snapshot", management(), h.serverOnly(h.operatorAuth(h.snapshotRestore)))
	h.write("/v1/search", searchNeed(), h.serverOnly(h.search))
	// Nomad leaves /v1/metrics open; ours also reports cluster state
	// gauges, so it needs agent:read when ACLs are on.
	h.get("/v1/metrics", agentRead(), h.metricsHandler)
	// Event stream and agent monitor (events.go, monitor.go).
	h.get("/v1/event/stream", resolvedToken(), h.serverOnly(h.eventStream))
	h.get("/v1/agent/monitor", agentRead(), h.agentMonitor)
	h.namespaceRoutes()     // namespaces (namespaces.go)
	h.regionRoutes()        // regions (regions.go)
	h.systemRoutes()        // server garbage collection (system.go)
	h.parseRoutes()         // job parse and validate (jobs_parse.go)
	h.scaleRoutes()         // job scale (jobs_scale.go)
	h.deploymentRoutes()    // deployments (deployments.go)
	h.hostVolumeRoutes()    // dynamic host volumes (host_volumes.go, issue #17)
	h.rerunRoutes()         // batch and CI: job rerun (jobs_rerun.go)
	h.fuzzySearchRoutes()   // fuzzy search (search_fuzzy.go)
	h.aclRoutes()           // ACL store (acl.go)
	h.serviceRoutes()       // service catalog (services.go)
	h.scalingPolicyRoutes() // scaling policies (scaling_policies.go, issue #17)
	// scheduler configuration (scheduler_config.go)
	h.schedulerConfigRoutes()
}

// ServeHTTP serves the API, counting requests and their latency by route.
// Every request body is capped by its route's limit (Config.BodyLimits).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
	_, pattern := h.mux.Handler(r)
	if reqlimit.Body(rec, r, h.bodyLimit(pattern)) {
		if err := h.checkRegion(r); err != nil { // regions (regions.go)
			writeError(rec, err)
		} else {
			h.mux.ServeHTTP(rec, r)
		}
	}
	if pattern == "" {
		pattern = "unmatched"
	}
	h.observeRequest(pattern, rec.code, time.Since(start))
	h.logger.Trace("request", "method", r.Method, "path", r.URL.Path, "code", rec.code, "duration", time.Since(start))
}

// statusRecorder remembers the status code written.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Flush lets streamed replies (forwarded logs) through.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// serverOnly forwards the request to a server when this agent runs none.
func (h *Handler) serverOnly(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.cfg.Server == nil {
			h.forwardToServers(w, r)
			return
		}
		fn(w, r)
	}
}

// writeJSON writes v as JSON (indented with ?pretty), as encoding/json
// writes it, newline included. Nothing is written if v does not encode.
// A list answer (streamedList) is encoded element by element straight to
// w, after its X-Nomad-NextToken header.
func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	w.Header().Set("Content-Type", "application/json")
	_, pretty := r.URL.Query()["pretty"]
	if l, ok := v.(streamedList); ok {
		if tok := l.nextToken(); tok != "" {
			w.Header().Set(nextTokenHeader, tok)
		}
		if err := l.writeTo(w, pretty); err != nil && r.Context().Err() == nil {
			// The status line is gone: cut the connection so that the
			// client sees a failed answer, not a short list.
			panic(http.ErrAbortHandler)
		}
		return
	}
	if pretty {
		enc := jsonx.NewEncoder(w)
		enc.SetIndent("", "    ")
		// On an error the status line is gone; nothing else to do.
		_ = enc.Encode(v)
		return
	}
	// Append encodes big answers (allocation fetches) element by element
	// into one buffer.
	b, err := jsonx.Append(nil, v)
	if err != nil {
		return
	}
	_, _ = w.Write(append(b, '\n'))
}

func setIndex(w http.ResponseWriter, index uint64) {
	if index == 0 {
		index = 1
	}
	w.Header().Set("X-Nomad-Index", strconv.FormatUint(index, 10))
}
