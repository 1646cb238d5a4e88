package ui

import (
	"fmt"
	"html/template"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"short":    short,
	"trim":     trim,
	"jobURL":   jobURL,
	"allocURL": func(id string) string { return "/ui/allocations/" + url.PathEscape(id) },
	"nodeLink": nodeLink,
	"nanos":    func(n int64) string { return fmtTime(time.Unix(0, n)) },
	"unix":     func(n int64) string { return fmtTime(time.Unix(n, 0)) },
	"when":     func(t nomadlike.Time) string { return fmtTime(t.Time) },
	"mib":      func(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) },
	"pct":      func(f float64) string { return fmt.Sprintf("%.1f%%", f) },
	"share":    share,
	"sortedKeys": func(m map[string]int) []string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	},
	"cell":    func(row map[string]any, col string) string { return trim(fmt.Sprint(row[col])) },
	"query":   func(kv ...string) template.URL { return template.URL(queryString(kv...)) },
	"signals": func() []string { return signals },
	"addf":    func(a, b float64) float64 { return a + b },
}

// short is the first 8 characters of an ID, as Nomad's UI shows them.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// trim clips a message for a page.
func trim(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

func jobURL(ns, id string) string {
	return "/ui/job?" + url.Values{"id": {id}, "namespace": {ns}}.Encode()
}

func fmtTime(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// share is part as a percentage of total, for bar widths (0-100, to a
// hundredth, so that a small job still shows).
func share(part, total int64) float64 {
	if total <= 0 {
		return 0
	}
	return math.Round(min(100, float64(part)*100/float64(total))*100) / 100
}

// queryString encodes key, value pairs, leaving out empty values.
func queryString(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v.Encode()
}
