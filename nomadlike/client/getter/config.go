package getter

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. A caller tells a download that may work when tried again
// from one that never will with Permanent.
var (
	// ErrChecksum is returned when a download does not match its checksum.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrUnsupportedSource is returned for a source scheme nomadlike cannot
	// fetch, and for a local source that is neither a file nor a directory.
	ErrUnsupportedSource = errors.New("unsupported artifact source")
	// ErrSourceNotAllowed is returned for a local path or file:// source
	// outside the task and shared alloc directories while filesystem
	// isolation is on (the default).
	ErrSourceNotAllowed = errors.New("local artifact source not allowed")
	// ErrLimitExceeded is returned when a download or an archive passes one
	// of the client's artifact limits.
	ErrLimitExceeded = errors.New("artifact limit exceeded")
	// ErrUnsafeArchive is returned for an archive entry that would land
	// outside the destination (absolute path, "..", a link out) or that
	// nomadlike does not unpack (devices, FIFOs).
	ErrUnsafeArchive = errors.New("unsafe archive entry")
	// ErrDestination is returned for a destination outside the allocation
	// directory.
	ErrDestination = errors.New("artifact destination outside the allocation directory")
)

// Permanent reports whether err will come back on every attempt, so that
// retrying the download through the restart policy is pointless.
func Permanent(err error) bool {
	for _, e := range []error{ErrUnsupportedSource, ErrSourceNotAllowed, ErrLimitExceeded, ErrUnsafeArchive, ErrDestination} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Config is the client's artifact policy, Nomad's client { artifact { } }
// block. DefaultConfig has Nomad's defaults; a zero limit means no limit.
type Config struct {
	// HTTPReadTimeout bounds one HTTP download from request to last byte
	// (http_read_timeout, 30m). Long enough for large downloads on slow
	// links; it stops a server that trickles bytes from holding a task in
	// pending forever. 0 means no bound.
	HTTPReadTimeout time.Duration
	// HTTPMaxSize is the largest HTTP download in bytes (http_max_size,
	// 100GB). 0 means no bound.
	HTTPMaxSize int64
	// DecompressionSizeLimit bounds the bytes unpacked from one archive or
	// copied from one local directory (decompression_size_limit, 100GB);
	// it stops an archive bomb from filling the client's disk. 0 means no
	// bound.
	DecompressionSizeLimit int64
	// DecompressionFileCountLimit bounds the entries (files, directories
	// and links) unpacked from one archive or copied from one local
	// directory (decompression_file_count_limit, 4096). 0 means no bound.
	DecompressionFileCountLimit int
	// DisableFilesystemIsolation lets jobs fetch local paths and file://
	// sources from anywhere on the host, as root
	// (disable_filesystem_isolation, false). Only for clusters whose job
	// authors may read every file of the client hosts.
	DisableFilesystemIsolation bool
}

// DefaultConfig returns Nomad's defaults: 30m, 100GB, 100GB, 4096 entries,
// isolation on.
func DefaultConfig() Config {
	return Config{
		HTTPReadTimeout:             30 * time.Minute,
		HTTPMaxSize:                 100 * 1000 * 1000 * 1000,
		DecompressionSizeLimit:      100 * 1000 * 1000 * 1000,
		DecompressionFileCountLimit: 4096,
	}
}

// Validate reports the first negative setting, by its HCL name.
func (c Config) Validate() error {
	switch {
	case c.HTTPReadTimeout < 0:
		return fmt.Errorf("http_read_timeout must be >= 0, got %s", c.HTTPReadTimeout)
	case c.HTTPMaxSize < 0:
		return fmt.Errorf("http_max_size must be >= 0, got %d", c.HTTPMaxSize)
	case c.DecompressionSizeLimit < 0:
		return fmt.Errorf("decompression_size_limit must be >= 0, got %d", c.DecompressionSizeLimit)
	case c.DecompressionFileCountLimit < 0:
		return fmt.Errorf("decompression_file_count_limit must be >= 0, got %d", c.DecompressionFileCountLimit)
	}
	return nil
}

// sizeUnits are the suffixes ParseSize knows: SI (KB = 1000) and IEC
// (KiB = 1024), as Nomad's configuration reads them.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12, "p": 1e15, "pb": 1e15,
	"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20, "gi": 1 << 30, "gib": 1 << 30,
	"ti": 1 << 40, "tib": 1 << 40, "pi": 1 << 50, "pib": 1 << 50,
}

// ParseSize reads a byte size such as "100GB" (10^9 bytes per GB), "512MiB"
// (2^20 bytes per MiB) or "4096"; units are case-insensitive.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("%q is not a size like \"100GB\", \"512MiB\" or \"4096\"", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size like \"100GB\", \"512MiB\" or \"4096\"", s)
	}
	b := v * mult
	if b >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(b), nil
}
