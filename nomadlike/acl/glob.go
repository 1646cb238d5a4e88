package acl

import (
	"sort"
	"strings"
)

// globMatch reports whether name matches pattern, where '*' matches any run
// of characters (including none) and every other byte matches itself.
func globMatch(pattern, name string) bool {
	p, n := 0, 0
	starP, starN := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			starP, starN = p, n
			p++
		case p < len(pattern) && pattern[p] == name[n]:
			p++
			n++
		case starP >= 0:
			starN++
			p, n = starP+1, starN
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// table finds the rule for a name: the rule labelled with the exact name,
// else the matching glob with the most literal (non-*) characters, which is
// Nomad's "greatest number of matched characters". Globs that tie are all
// returned (lookup merges them). A table is read-only after buildTable.
type table[V any] struct {
	exact map[string]V
	globs []globEntry[V] // most literal characters first, then by pattern
}

type globEntry[V any] struct {
	pattern  string
	literals int
	v        V
}

func buildTable[V any](rules map[string]V) table[V] {
	t := table[V]{exact: map[string]V{}}
	for label, v := range rules {
		if !strings.Contains(label, "*") {
			t.exact[label] = v
			continue
		}
		t.globs = append(t.globs, globEntry[V]{
			pattern:  label,
			literals: len(label) - strings.Count(label, "*"),
			v:        v,
		})
	}
	sort.Slice(t.globs, func(i, j int) bool {
		a, b := t.globs[i], t.globs[j]
		if a.literals != b.literals {
			return a.literals > b.literals
		}
		return a.pattern < b.pattern
	})
	return t
}

// lookup returns the value of the exact rule for name, else the merge of
// the best-matching globs; ok is false when no rule applies.
func (t *table[V]) lookup(name string, merge func(V, V) V) (v V, ok bool) {
	if v, ok := t.exact[name]; ok {
		return v, true
	}
	best := -1
	for i := range t.globs {
		g := &t.globs[i]
		if ok && g.literals < best {
			break
		}
		if !globMatch(g.pattern, name) {
			continue
		}
		if ok {
			v = merge(v, g.v)
			continue
		}
		v, ok, best = g.v, true, g.literals
	}
	return v, ok
}

// each calls fn with the exact rule for name, else with every best-matching
// glob, and reports whether any rule applies.
func (t *table[V]) each(name string, fn func(V)) bool {
	if v, ok := t.exact[name]; ok {
		fn(v)
		return true
	}
	best := -1
	for i := range t.globs {
		g := &t.globs[i]
		if best >= 0 && g.literals < best {
			break
		}
		if globMatch(g.pattern, name) {
			fn(g.v)
			best = g.literals
		}
	}
	return best >= 0
}
