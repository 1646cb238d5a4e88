package allocrunner

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// ErrBadSignal is wrapped by ParseSignal's errors.
var ErrBadSignal = errors.New("invalid signal")

// maxSignalName is longer than any signal name ("SIGVTALRM" is 9 bytes).
const maxSignalName = 16

// ParseSignal returns the canonical name ("SIGHUP") of a signal named as
// Nomad accepts it: "SIGHUP", "HUP" or "sighup". Anything else (numbers,
// unknown or overlong names) is an error wrapping ErrBadSignal that quotes
// at most a short prefix of name, so a request can never get an unbounded
// string into a task event or a driver call.
func ParseSignal(name string) (string, error) {
	if name == "" || len(name) > maxSignalName {
		return "", fmt.Errorf("%w %s: want a signal name such as SIGHUP or SIGUSR1", ErrBadSignal, reqlimit.Quote(name))
	}
	upper := strings.ToUpper(name)
	if !strings.HasPrefix(upper, "SIG") {
		upper = "SIG" + upper
	}
	if unix.SignalNum(upper) == 0 {
		return "", fmt.Errorf("%w %s: not a known signal name (such as SIGHUP or SIGUSR1)", ErrBadSignal, reqlimit.Quote(name))
	}
	return upper, nil
}
