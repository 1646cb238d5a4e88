package dns

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// ErrInvalidConfig is wrapped by every configuration error.
var ErrInvalidConfig = errors.New("invalid dns config")

// Config configures a Server. Zero values take the defaults below.
type Config struct {
	// Bind is the address to listen on, UDP and TCP (default 127.0.0.1:
	// the interface serves this host's tasks and users, not the network).
	Bind string
	// Port defaults to 8600 (Consul's DNS port); 0 after defaults is
	// impossible, tests pass -1 for an ephemeral port.
	Port int
	// TTL of every record (default 0: resolvers do not cache, so an
	// instance that fails its checks is not handed out from a cache).
	TTL time.Duration
	// Domain is the zone (default "nomad").
	Domain string
	// MaxInFlight bounds the requests handled at once; more are dropped
	// (default 256).
	MaxInFlight int
	// MaxConnsPerIP bounds one address's open TCP connections (default 16).
	MaxConnsPerIP int
	// LookupTimeout bounds the first fetch of a service (default 2s); an
	// answer that cannot be fetched in time is SERVFAIL.
	LookupTimeout time.Duration
}

// Defaults.
const (
	DefaultBind          = "127.0.0.1"
	DefaultPort          = 8600
	DefaultDomain        = "nomad"
	DefaultMaxInFlight   = 256
	DefaultMaxConnsPerIP = 16
	DefaultLookupTimeout = 2 * time.Second
	// maxTTL bounds TTL (one day).
	maxTTL = 24 * time.Hour
)

func (c *Config) setDefaults() {
	if c.Bind == "" {
		c.Bind = DefaultBind
	}
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.Domain == "" {
		c.Domain = DefaultDomain
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxConnsPerIP <= 0 {
		c.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if c.LookupTimeout <= 0 {
		c.LookupTimeout = DefaultLookupTimeout
	}
}

// Validate reports the first bad field, named as in the agent config
// (client.dns.*).
func (c *Config) Validate() error {
	if net.ParseIP(c.Bind) == nil {
		return fmt.Errorf("%w: client.dns.bind: %q is not an IP address", ErrInvalidConfig, c.Bind)
	}
	if c.Port < -1 || c.Port > 65535 {
		return fmt.Errorf("%w: client.dns.port: %d is not a port", ErrInvalidConfig, c.Port)
	}
	if c.TTL < 0 || c.TTL > maxTTL {
		return fmt.Errorf("%w: client.dns.ttl: %s is not between 0s and 24h", ErrInvalidConfig, c.TTL)
	}
	return nil
}
