package telemetry

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	metrics "github.com/hashicorp/go-metrics"
	promsink "github.com/hashicorp/go-metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Prefix is the name every metric starts with, as in Nomad
// ("nomad.nomad.broker.total_ready", "nomad.raft.apply").
const Prefix = "nomad"

// ErrPrometheusDisabled is returned for a Prometheus scrape when the
// agent's telemetry.prometheus_metrics is false.
var ErrPrometheusDisabled = errors.New("Prometheus is not enabled: set telemetry { prometheus_metrics = true } in the agent configuration")

// Config is the agent's telemetry block; the zero value is not valid, start
// from DefaultConfig.
type Config struct {
	// CollectionInterval is how often the collectors set the gauges
	// (collection_interval, 1s as Nomad's).
	CollectionInterval time.Duration
	// DisableHostname leaves the host name out of gauge names (Nomad puts
	// it after the prefix, "nomad.<host>.runtime.num_goroutines", unless
	// disable_hostname is set; Prometheus users usually set it).
	DisableHostname bool
	// EnableHostnameLabel adds the host name as a "host" label instead.
	EnableHostnameLabel bool
	// PrometheusMetrics serves GET /v1/metrics?format=prometheus
	// (prometheus_metrics, false as Nomad's).
	PrometheusMetrics bool
	// InMemoryInterval is the length of an interval of the in-memory sink
	// GET /v1/metrics reads (in_memory_collection_interval, 10s), and
	// InMemoryRetention how much of them it keeps
	// (in_memory_retention_period, 1m).
	InMemoryInterval, InMemoryRetention time.Duration
	// Hostname names the host; os.Hostname when empty.
	Hostname string
}

// DefaultConfig returns Nomad's defaults.
func DefaultConfig() Config {
	return Config{CollectionInterval: time.Second, InMemoryInterval: 10 * time.Second, InMemoryRetention: time.Minute}
}

// WithDefaults returns c with its zero durations set to DefaultConfig's, so
// that the zero Config is Nomad's defaults.
func (c Config) WithDefaults() Config {
	def := DefaultConfig()
	for _, f := range []struct{ v, def *time.Duration }{
		{&c.CollectionInterval, &def.CollectionInterval},
		{&c.InMemoryInterval, &def.InMemoryInterval},
		{&c.InMemoryRetention, &def.InMemoryRetention},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	return c
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.CollectionInterval <= 0:
		return fmt.Errorf("telemetry.collection_interval: must be > 0, got %s", c.CollectionInterval)
	case c.InMemoryInterval <= 0:
		return fmt.Errorf("telemetry.in_memory_collection_interval: must be > 0, got %s", c.InMemoryInterval)
	case c.InMemoryRetention < c.InMemoryInterval:
		return fmt.Errorf("telemetry.in_memory_retention_period: must be at least in_memory_collection_interval (%s), got %s", c.InMemoryInterval, c.InMemoryRetention)
	}
	return nil
}

// Collector sets gauges on m; it is called every collection interval and
// before every read of the metrics, so it must be quick and safe for
// concurrent use.
type Collector func(m *metrics.Metrics)

// Telemetry is one agent's metrics. Safe for concurrent use.
type Telemetry struct {
	cfg   Config
	m     *metrics.Metrics
	inmem *metrics.InmemSink
	sink  metrics.MetricSink
	reg   *prometheus.Registry // nil unless PrometheusMetrics

	mu         sync.Mutex
	collectors []Collector
	stopCh     chan struct{}
	doneCh     chan struct{}
}

// New builds the sinks of cfg. Nothing runs until Start.
func New(cfg Config) (*Telemetry, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Telemetry{cfg: cfg, inmem: metrics.NewInmemSink(cfg.InMemoryInterval, cfg.InMemoryRetention)}
	fanout := metrics.FanoutSink{t.inmem}
	if cfg.PrometheusMetrics {
		t.reg = prometheus.NewRegistry()
		ps, err := promsink.NewPrometheusSinkFrom(promsink.PrometheusOpts{
			Expiration: promsink.DefaultPrometheusOpts.Expiration,
			Registerer: t.reg,
			Name:       "nomadlike",
		})
		if err != nil {
			return nil, fmt.Errorf("telemetry: prometheus sink: %w", err)
		}
		fanout = append(fanout, ps)
	}
	t.sink = fanout
	mc := metrics.DefaultConfig(Prefix)
	mc.EnableHostname = !cfg.DisableHostname
	mc.EnableHostnameLabel = cfg.EnableHostnameLabel
	mc.EnableRuntimeMetrics = false // emitted by the collection loop, which stops
	mc.ProfileInterval = cfg.CollectionInterval
	if cfg.Hostname != "" {
		mc.HostName = cfg.Hostname
	}
	m, err := metrics.New(mc, fanout)
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	t.m = m
	t.AddCollector(func(m *metrics.Metrics) { m.EmitRuntimeStats() })
	return t, nil
}

// Metrics is the handle to emit through.
func (t *Telemetry) Metrics() *metrics.Metrics { return t.m }

// AddCollector registers c with the collection loop.
func (t *Telemetry) AddCollector(c Collector) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.collectors = append(t.collectors, c)
}

// Collect runs every collector now.
func (t *Telemetry) Collect() {
	t.mu.Lock()
	cs := append([]Collector(nil), t.collectors...)
	t.mu.Unlock()
	for _, c := range cs {
		c(t.m)
	}
}

// Start runs the collectors every collection interval until Close.
func (t *Telemetry) Start() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopCh != nil {
		return
	}
	t.stopCh, t.doneCh = make(chan struct{}), make(chan struct{})
	go t.loop(t.stopCh, t.doneCh)
}

func (t *Telemetry) loop(stop, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(t.cfg.CollectionInterval)
	defer tick.Stop()
	for {
		t.Collect()
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// Close stops the collection loop and waits for it.
func (t *Telemetry) Close() {
	t.mu.Lock()
	stop, done := t.stopCh, t.doneCh
	t.stopCh = nil
	t.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// Summary is GET /v1/metrics in Nomad's JSON shape (decodable as
// github.com/hashicorp/nomad/api's MetricsSummary). Counters and samples
// are those of the last finished in-memory interval, as in Nomad; gauges
// are their latest values, after the collectors have run.
func (t *Telemetry) Summary() metrics.MetricsSummary {
	t.Collect()
	data := t.inmem.Data()
	finished := data[len(data)-1]
	if len(data) > 1 {
		finished = data[len(data)-2]
	}
	// DisplayMetrics reads the same finished interval; it fails only when
	// no interval exists, and Data has just made one.
	v, _ := t.inmem.DisplayMetrics(nil, nil)
	sum, _ := v.(metrics.MetricsSummary)
	sum.Timestamp = finished.Interval.Round(time.Second).UTC().String()
	sum.Gauges = latestGauges(data)
	return sum
}

// latestGauges merges the gauges of every retained interval, the newest
// value of each winning, sorted by name and labels.
func latestGauges(data []*metrics.IntervalMetrics) []metrics.GaugeValue {
	byHash := map[string]metrics.GaugeValue{}
	for _, iv := range data {
		iv.RLock()
		for hash, g := range iv.Gauges {
			g.Hash = hash
			byHash[hash] = g
		}
		iv.RUnlock()
	}
	out := make([]metrics.GaugeValue, 0, len(byHash))
	for _, g := range byHash {
		g.DisplayLabels = make(map[string]string, len(g.Labels))
		for _, l := range g.Labels {
			g.DisplayLabels[l.Name] = l.Value
		}
		g.Labels = nil
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hash < out[j].Hash })
	return out
}

// ServePrometheus writes the metrics in Prometheus' text format (or what
// the scraper's Accept header asks for), after the collectors have run.
func (t *Telemetry) ServePrometheus(w http.ResponseWriter, r *http.Request) error {
	if t.reg == nil {
		return ErrPrometheusDisabled
	}
	t.Collect()
	promhttp.HandlerFor(t.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
	return nil
}
