package typed

import (
	"fmt"
	"strings"
)

// Merging, for scan. Generated topic schemas are conjunctions: allOf of the
// envelope and of the topic's own constraints on its members, through $ref
// chains. Scanning each conjunct over the whole body reads it several times.
// When every conjunct is a plain object schema (type, properties, required,
// additionalProperties), their conjunction is itself one: merge builds that
// node, so scan reads the body once. Members constrained by several
// conjuncts are merged the same way, or else checked against each (the
// conjunction as an allOf). Anything else is not merged and scan reads the
// conjuncts one by one as before. FuzzScan covers the merged nodes.

// mergeSet merges nodes by the set of conjuncts they stand for.
type mergeSet struct {
	memo  map[string]*fnode
	depth int
}

// conjuncts flattens n into the nodes whose conjunction it is: n itself when
// it has keywords of its own, and the conjuncts of its $ref and allOf. ok is
// false when n has something merge does not handle (anyOf, an unsure or
// false node, too deep).
func conjuncts(n *fnode, out []*fnode, depth int) ([]*fnode, bool) {
	if n == nil {
		return out, true
	}
	if depth > 32 || n.unsure || n.never || n.scanUnsure || n.anyOf != nil {
		return nil, false
	}
	if n.own {
		out = append(out, n)
	}
	var ok bool
	if out, ok = conjuncts(n.ref, out, depth+1); !ok {
		return nil, false
	}
	for _, a := range n.allOf {
		if out, ok = conjuncts(a, out, depth+1); !ok {
			return nil, false
		}
	}
	return out, true
}

// objectOnly reports whether the own keywords of n are plain object ones.
func objectOnly(n *fnode) bool {
	return n.types&^tObject == 0 && n.consts == nil && n.enum == nil && n.format == nil &&
		n.minProps == -1 && n.maxProps == -1 && len(n.patProps) == 0 && n.propNames == nil &&
		n.minItems == -1 && n.maxItems == -1 && n.prefix == nil && n.rest == nil && !n.restFalse &&
		n.minLen == -1 && n.maxLen == -1 && n.pattern == nil &&
		n.min == nil && n.exMin == nil && n.max == nil && n.exMax == nil && n.multipleOf == nil
}

// merged returns one node equivalent, for scan, to the conjunction of n's
// conjuncts, or nil when it cannot.
func (ms *mergeSet) merged(n *fnode) *fnode {
	cs, ok := conjuncts(n, nil, 0)
	if !ok || len(cs) < 2 {
		return nil
	}
	return ms.merge(cs)
}

func (ms *mergeSet) merge(cs []*fnode) *fnode {
	for _, c := range cs {
		if !objectOnly(c) {
			return nil
		}
	}
	key := setKey(cs)
	if m, ok := ms.memo[key]; ok {
		return m // nil while being built: a cycle, not merged
	}
	if ms.depth > 32 {
		return nil
	}
	ms.memo[key] = nil
	ms.depth++
	defer func() { ms.depth-- }()

	m := &fnode{minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLen: -1, maxLen: -1, own: true}
	m.types = tObject
	anyTyped := false
	for _, c := range cs {
		if c.types != 0 {
			anyTyped = true
		}
	}
	if !anyTyped {
		m.types = 0
	}
	m.keys = map[string]int{}
	add := func(k string) {
		if _, ok := m.keys[k]; !ok {
			m.keys[k] = len(m.keys)
		}
	}
	for _, c := range cs {
		m.required = append(m.required, c.required...)
		for _, k := range c.required {
			add(k)
		}
		for k := range c.props {
			add(k)
		}
		if c.addlFalse {
			m.addlFalse = true
		}
	}
	if len(m.keys) > 64 {
		return nil
	}
	for _, k := range m.required {
		m.requiredBits |= 1 << m.keys[k]
	}
	m.props = map[string]*fnode{}
	m.propAt = make([]*fnode, len(m.keys))
	never := &fnode{never: true}
	for k, idx := range m.keys {
		var list []*fnode
		declared, forbidden := false, false
		for _, c := range cs {
			if p, ok := c.props[k]; ok {
				declared = true
				list = append(list, p)
			} else if c.addlFalse {
				forbidden = true
			} else if c.addl != nil {
				list = append(list, c.addl)
			}
		}
		if !declared {
			continue // required only: an undeclared member, checked as such below
		}
		child := ms.conjunction(list)
		if forbidden {
			child = never
		}
		m.props[k] = child
		m.propAt[idx] = child
	}
	// Members no conjunct declares: each conjunct's additionalProperties.
	if !m.addlFalse {
		var list []*fnode
		for _, c := range cs {
			if c.addl != nil {
				list = append(list, c.addl)
			}
		}
		m.addl = ms.conjunction(list)
	}
	ms.memo[key] = m
	return m
}

// conjunction returns a node for "valid against every node of list": nil
// for none, the node for one, their merge, or else an allOf of them.
// Nodes that only ask for valid JSON (true schemas) are dropped.
func (ms *mergeSet) conjunction(list []*fnode) *fnode {
	var keep []*fnode
	for _, n := range list {
		if n != nil && (n.own || n.unsure || n.never || n.scanUnsure || n.ref != nil || n.allOf != nil || n.anyOf != nil) {
			keep = append(keep, n)
		}
	}
	switch len(keep) {
	case 0:
		return &fnode{minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}
	case 1:
		return keep[0]
	}
	var cs []*fnode
	for _, n := range keep {
		var ok bool
		if cs, ok = conjuncts(n, cs, 0); !ok {
			cs = nil
			break
		}
	}
	if cs != nil {
		if m := ms.merge(cs); m != nil {
			return m
		}
	}
	return &fnode{minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLen: -1, maxLen: -1, allOf: keep}
}

func setKey(cs []*fnode) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%p,", c)
	}
	return b.String()
}
