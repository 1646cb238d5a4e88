package jobspec

import "sort"

// schemaItem is one attribute or block of the job grammar, as the
// decoder's specs define it.
type schemaItem struct {
	// Key is "block.item", the key of noEffect.
	Key string
	// Block reports whether the item is a block.
	Block bool
	// Dropped reports whether nomadlike keeps no field for it.
	Dropped bool
	// Warned reports whether the item is in noEffect.
	Warned bool
}

// schemaItems walks the decoder's specs from the job block and returns
// every item once per block type, sorted by key. The insides of warned
// blocks are not listed: the block's warning covers them.
func schemaItems() []schemaItem {
	var out []schemaItem
	seen := map[string]bool{}
	var walk func(s *blockSpec)
	walk = func(s *blockSpec) {
		if s == nil || seen[s.name] {
			return
		}
		seen[s.name] = true
		add := func(name string, block, dropped bool) bool {
			key := s.name + "." + name
			_, warned := noEffect[key]
			out = append(out, schemaItem{Key: key, Block: block, Dropped: dropped, Warned: warned})
			return warned
		}
		for _, f := range s.fields {
			add(f.attr, false, false)
		}
		for _, a := range s.attrs {
			if _, alsoBlock := s.children[a]; !alsoBlock {
				add(a, false, false)
			}
		}
		for _, a := range s.extra {
			add(a.name, false, true)
		}
		for _, b := range s.blocks {
			if !add(b.Type, true, false) {
				walk(s.children[b.Type])
			}
		}
		for _, d := range s.drop {
			if !add(d.typ, true, true) && d.spec != anyBody && d.spec != mapBody {
				walk(d.spec)
			}
		}
	}
	walk(&jobSpec)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
