package schema

import (
	"fmt"
	"sort"
	"strings"
)

// inPlace lists the keywords whose subschemas apply to the instance itself
// (not to a member or an item of it): following only these, a validator
// never moves on in the instance.
var (
	inPlaceSingle = []string{"not", "if", "then", "else"}
	inPlaceArray  = []string{"allOf", "anyOf", "oneOf"}
	inPlaceMap    = []string{"dependentSchemas", "dependencies"} // draft-07 dependencies: its schema values
)

// edge is one in-place application from a schema: to its subschema, or,
// when ref is set, through its $ref (ref is the keyword's location).
type edge struct {
	from, to Loc
	ref      string
}

// inPlaceEdges returns the in-place applications of the schema at l.
func (s *Set) inPlaceEdges(l Loc) []edge {
	n := l.Node()
	if n == nil || n.Kind != Object {
		return nil
	}
	var out []edge
	if r := n.Get("$ref"); r != nil && r.Kind == String {
		if to, err := s.resolve(l, "$ref", r.Str); err == nil {
			out = append(out, edge{from: l, to: to, ref: l.String() + "/$ref"})
		}
	}
	for _, k := range inPlaceSingle {
		if c := n.Get(k); c != nil && c.Kind == Object {
			out = append(out, edge{from: l, to: Loc{l.File, l.Ptr + "/" + k}})
		}
	}
	for _, k := range inPlaceArray {
		if c := n.Get(k); c != nil && c.Kind == Array {
			for i := range c.Arr {
				out = append(out, edge{from: l, to: Loc{l.File, fmt.Sprintf("%s/%s/%d", l.Ptr, k, i)}})
			}
		}
	}
	for _, k := range inPlaceMap {
		if c := n.Get(k); c != nil && c.Kind == Object {
			for _, name := range c.Keys {
				out = append(out, edge{from: l, to: Loc{l.File, l.Ptr + "/" + k + "/" + EscapeToken(name)}})
			}
		}
	}
	return out
}

// checkCycles refuses cycles of in-place applications: a.json allOf $ref
// b.json, b.json allOf $ref a.json. Every value checked against such a
// schema would be checked against the same schema again, forever; the
// validator reports "infinite loop" for every message. Each cycle is
// reported once, at the first $ref of its chain (file and JSON pointer),
// with the chain of $ref locations.
func (s *Set) checkCycles() ErrorList {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []edge // the edges followed to reach the current schema
	var errs ErrorList
	reported := map[string]bool{}
	var visit func(l Loc)
	visit = func(l Loc) {
		key := l.String()
		color[key] = grey
		for _, e := range s.inPlaceEdges(l) {
			to := e.to.String()
			switch color[to] {
			case white:
				stack = append(stack, e)
				visit(e.to)
				stack = stack[:len(stack)-1]
			case grey:
				// A cycle: the edges from to's arrival on the stack, then e.
				start := len(stack)
				for start > 0 && stack[start-1].to.String() != to {
					start--
				}
				cyc := append(append([]edge(nil), stack[start:]...), e)
				if err := cycleError(cyc, reported); err != nil {
					errs = append(errs, err)
				}
			}
		}
		color[key] = black
	}
	for _, f := range s.files {
		var walk func(n *Node, ptr string)
		walk = func(n *Node, ptr string) {
			if color[f.Path+"#"+ptr] == white {
				visit(Loc{f, ptr})
			}
			EachSub(n, ptr, func(c *Node, cptr string) { walk(c, cptr) })
		}
		walk(f.Root, "")
	}
	return errs
}

// cycleError describes a cycle (its edges in order, the last one back to
// the first schema) by its $ref locations, starting from the smallest, and
// returns nil when that cycle was reported already.
func cycleError(cyc []edge, reported map[string]bool) *Error {
	var refs []int
	for i, e := range cyc {
		if e.ref != "" {
			refs = append(refs, i)
		}
	}
	if len(refs) == 0 {
		return nil // cannot happen: subschemas lie strictly inside their parent
	}
	first := 0
	for j, i := range refs {
		if cyc[i].ref < cyc[refs[first]].ref {
			first = j
		}
	}
	var chain []string
	for j := range refs {
		chain = append(chain, cyc[refs[(first+j)%len(refs)]].ref)
	}
	sorted := append([]string(nil), chain...)
	sort.Strings(sorted)
	key := strings.Join(sorted, "\x00")
	if reported[key] {
		return nil
	}
	reported[key] = true
	at := cyc[refs[first]]
	from := at.from
	ptr := from.Ptr
	msg := fmt.Sprintf("cycle of in-place references (allOf, anyOf, oneOf, not, if/then/else, $ref): %s -> back to %s; every value would be checked against itself forever (the validator reports \"infinite loop\")",
		strings.Join(chain, " -> "), chain[0])
	return ErrorAt(ErrSchema, from.File, ptr+"/$ref", msg, "break the cycle: one of these schemas must not apply the other to the same value (move the shared part into a third schema that both refer to)")
}
