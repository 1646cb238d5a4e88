package command

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// Helpers shared by the commands that talk to an agent: the API client,
// tables, key/value blocks and time formats in Nomad's CLI style.

// apiClient returns a client for the agent at -address.
func apiClient(c *cli.Context) (*api.Client, error) {
	client, err := api.NewClient(api.Config{Address: agentAddress(c), Token: agentToken(c),
		Namespace: agentNamespace(c), // namespaces: -namespace (namespace_flag.go)
		TLSConfig: agentTLS(c),       // mTLS: -ca-cert, -client-cert, ... (tls_flags.go)
		Region:    agentRegion(c)})   // -region (region_flag.go)
	if err != nil {
		return nil, userError("%v", err)
	}
	return client, nil
}

// cmdContext is the command's context: cancelled by the caller (signals).
func cmdContext(c *cli.Context) context.Context {
	if c.Context != nil {
		return c.Context
	}
	return context.Background()
}

// agentError turns an API error into a user-facing one that names its
// cause once. An answer the agent refused (an HTTP error status) is the
// agent's own message, prefixed with what failed unless the message starts
// with it already (the servers' messages name the object: `dispatch job
// "x": 2 problems: ...`). An agent that gave no answer is named by address.
func agentError(c *cli.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	var se *api.StatusError
	if errors.As(err, &se) {
		return &refusedError{what: what, se: se}
	}
	return fmt.Errorf("%s: %w (agent %s)", what, err, agentAddress(c))
}

// refusedError is an agent's error answer to what the CLI asked.
type refusedError struct {
	what string
	se   *api.StatusError
}

func (e *refusedError) Error() string {
	msg := strings.TrimSpace(e.se.Body)
	if msg == "" {
		msg = fmt.Sprintf("the agent answered %d %s", e.se.Code, http.StatusText(e.se.Code))
	}
	if e.what == "" || strings.HasPrefix(msg, e.what) {
		return msg
	}
	// `job "x": not periodic` under `force launch of job "x"`: the
	// object is named once, by what.
	if q := lastQuoted(e.what); q != "" {
		if head, rest, ok := strings.Cut(msg, ": "); ok && strings.HasSuffix(head, q) {
			msg = rest
		}
	}
	return e.what + ": " + msg
}

// lastQuoted returns the last double-quoted part of s, quotes included.
func lastQuoted(s string) string {
	end := strings.LastIndexByte(s, '"')
	if end <= 0 {
		return ""
	}
	start := strings.LastIndexByte(s[:end], '"')
	if start < 0 {
		return ""
	}
	return s[start : end+1]
}

// Unwrap keeps errors.Is(err, api.ErrNotFound) and errors.As working.
func (e *refusedError) Unwrap() error { return e.se }

// jsonFlag is -json on read commands.
func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: "print the API object as JSON"}
}

func verboseFlag() cli.Flag {
	return &cli.BoolFlag{Name: "verbose", Usage: "show full IDs and more detail"}
}

// printJSON writes v indented.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(rawWriter(w), string(b))
	return err
}

// table writes rows as aligned columns separated by two spaces.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = cell(v)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
}

// kv writes "Key = value" lines with the "=" aligned, as Nomad does.
func kv(w io.Writer, pairs [][2]string) {
	width := 0
	for _, p := range pairs {
		if len(p[0]) > width {
			width = len(p[0])
		}
	}
	for _, p := range pairs {
		fmt.Fprintf(w, "%-*s = %s\n", width, p[0], cell(p[1]))
	}
}

// shortID shortens IDs unless verbose.
func shortID(id string, verbose bool) string {
	if verbose {
		return id
	}
	return nomadlike.ShortID(id)
}

// formatUnixNano formats a nanosecond timestamp as RFC 3339 (UTC).
func formatUnixNano(ns int64) string {
	if ns == 0 {
		return "<none>"
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339)
}

// formatAge formats a nanosecond timestamp relative to now ("5m ago").
func formatAge(ns int64, now time.Time) string {
	if ns == 0 {
		return "<none>"
	}
	d := now.Sub(time.Unix(0, ns))
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds ago", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm ago", int(d.Hours()), int(d.Minutes())%60)
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339)
}

// now stamps monitor lines.
func now() string { return time.Now().UTC().Format(time.RFC3339) }

// formatAllocMetric explains why allocations of a group could not be
// placed: the reasons nodes were filtered and the dimensions exhausted.
func formatAllocMetric(w io.Writer, m *nomadlike.AllocMetric, indent string) {
	if m == nil {
		return
	}
	if m.NodesEvaluated == 0 && m.NodesInPool == 0 {
		fmt.Fprintf(w, "%s* No nodes were eligible for evaluation\n", indent)
	}
	for _, dc := range sortedKeys(m.NodesAvailable) {
		if m.NodesAvailable[dc] == 0 {
			fmt.Fprintf(w, "%s* No nodes are available in datacenter %q\n", indent, dc)
		}
	}
	for _, class := range sortedKeys(m.ClassFiltered) {
		fmt.Fprintf(w, "%s* Class %q: %d nodes excluded by filter\n", indent, class, m.ClassFiltered[class])
	}
	for _, c := range sortedKeys(m.ConstraintFiltered) {
		fmt.Fprintf(w, "%s* Constraint %q: %d nodes excluded by filter\n", indent, c, m.ConstraintFiltered[c])
	}
	if m.NodesExhausted > 0 {
		fmt.Fprintf(w, "%s* Resources exhausted on %d nodes\n", indent, m.NodesExhausted)
	}
	for _, class := range sortedKeys(m.ClassExhausted) {
		fmt.Fprintf(w, "%s* Class %q exhausted on %d nodes\n", indent, class, m.ClassExhausted[class])
	}
	for _, d := range sortedKeys(m.DimensionExhausted) {
		fmt.Fprintf(w, "%s* Dimension %q exhausted on %d nodes\n", indent, d, m.DimensionExhausted[d])
	}
}

// formatFailedTGAllocs writes the placement failures of an evaluation.
func formatFailedTGAllocs(w io.Writer, failed map[string]*nomadlike.AllocMetric, indent string) {
	for _, tg := range sortedKeys(failed) {
		m := failed[tg]
		n := 1 + m.CoalescedFailures
		fmt.Fprintf(w, "%sTask Group %q (failed to place %d %s):\n", indent, tg, n, countNoun(n, "allocation", "allocations"))
		formatAllocMetric(w, m, indent+"  ")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// confirm asks a yes/no question on the app's streams; only "y" or "yes" is yes.
func confirm(c *cli.Context, question string) bool {
	fmt.Fprintf(c.App.Writer, "%s [y/N]: ", question)
	line, _ := bufio.NewReader(c.App.Reader).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// humanBytes formats mebibytes.
func humanMB(mb int64) string {
	switch {
	case mb >= 1024*1024:
		return fmt.Sprintf("%.1f TiB", float64(mb)/(1024*1024))
	case mb >= 1024:
		return fmt.Sprintf("%.1f GiB", float64(mb)/1024)
	}
	return fmt.Sprintf("%d MiB", mb)
}

func countNoun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
