package contract

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
)

// eff is the effective schema at one instance location: the constraints of
// the schema, its $ref target and its allOf members merged, keeping every
// constituent schema (parts) so that a candidate value can be checked
// against each of them.
type eff struct {
	parts []sub
	never bool // false schema somewhere: nothing is valid

	types    map[string]bool // nil: any type
	enum     []any
	hasEnum  bool
	constV   any
	hasConst bool

	props     map[string][]sub
	required  map[string]bool
	addl      []sub
	addlFalse bool
	patProps  []patProp
	minProps  int
	maxProps  int // -1: none
	depReq    map[string][]string
	propNames []sub

	items      []sub
	itemsFalse bool
	prefix     [][]sub
	minItems   int
	maxItems   int // -1: none
	unique     bool
	contains   []sub

	min, max     *big.Rat
	exMin, exMax bool
	multipleOf   []*big.Rat
	format       string

	minLen   int
	maxLen   int // -1: none
	patterns []string
	encoding string

	oneOf [][]sub
	anyOf [][]sub
	ite   []ite

	examples []any
}

type patProp struct {
	re   string
	subs []sub
}

type ite struct {
	cond        sub
	then, else_ *sub
}

func newEff() *eff {
	return &eff{maxProps: -1, maxItems: -1, maxLen: -1}
}

// clone copies e deeply enough that adding constraints to the copy leaves e
// unchanged.
func (e *eff) clone() *eff {
	c := *e
	c.parts = slices.Clone(e.parts)
	if e.types != nil {
		c.types = map[string]bool{}
		for k, v := range e.types {
			c.types[k] = v
		}
	}
	c.props = map[string][]sub{}
	for k, v := range e.props {
		c.props[k] = slices.Clone(v)
	}
	c.required = map[string]bool{}
	for k, v := range e.required {
		c.required[k] = v
	}
	c.depReq = map[string][]string{}
	for k, v := range e.depReq {
		c.depReq[k] = slices.Clone(v)
	}
	c.addl = slices.Clone(e.addl)
	c.patProps = slices.Clone(e.patProps)
	c.propNames = slices.Clone(e.propNames)
	c.items = slices.Clone(e.items)
	c.prefix = slices.Clone(e.prefix)
	c.contains = slices.Clone(e.contains)
	c.multipleOf = slices.Clone(e.multipleOf)
	c.patterns = slices.Clone(e.patterns)
	c.oneOf = slices.Clone(e.oneOf)
	c.anyOf = slices.Clone(e.anyOf)
	c.ite = slices.Clone(e.ite)
	c.examples = slices.Clone(e.examples)
	return &c
}

// flatten adds the constraints of s (following $ref and allOf) to e.
func (st *genState) flatten(s sub, e *eff, depth int) error {
	if depth > 64 {
		return fmt.Errorf("contract: %s: $ref/allOf nesting deeper than 64 (a reference cycle?)", location(s.loc))
	}
	switch n := s.node.(type) {
	case bool:
		if !n {
			e.never = true
		}
		return nil
	case map[string]any:
		e.parts = append(e.parts, s)
		set := st.set
		if r, ok := n["$ref"].(string); ok {
			t, err := set.resolveRef(s, r)
			if err != nil {
				return err
			}
			if err := st.flatten(t, e, depth+1); err != nil {
				return err
			}
			if s.draft < 2019 { // draft-07: $ref siblings are ignored
				return nil
			}
		}
		if r, ok := n["$dynamicRef"].(string); ok {
			t, err := set.resolveRef(s, r)
			if err != nil {
				return err
			}
			if err := st.flatten(t, e, depth+1); err != nil {
				return err
			}
		}
		if all, ok := n["allOf"].([]any); ok {
			for i, a := range all {
				if err := st.flatten(set.child(s, a, "allOf", fmt.Sprint(i)), e, depth+1); err != nil {
					return err
				}
			}
		}
		e.add(set, s, n)
		return nil
	default:
		return fmt.Errorf("contract: %s: a schema must be an object or a boolean, not %T", location(s.loc), s.node)
	}
}

// add merges the keywords of one schema object into e.
func (e *eff) add(set *Generator, s sub, n map[string]any) {
	if t, ok := n["type"]; ok {
		ts := map[string]bool{}
		switch t := t.(type) {
		case string:
			ts[t] = true
		case []any:
			for _, x := range t {
				if x, ok := x.(string); ok {
					ts[x] = true
				}
			}
		}
		if ts["number"] {
			ts["integer"] = true
		}
		if e.types == nil {
			e.types = ts
		} else {
			for k := range e.types {
				if !ts[k] {
					delete(e.types, k)
				}
			}
		}
	}
	if v, ok := n["enum"].([]any); ok {
		if e.hasEnum {
			var keep []any
			for _, x := range e.enum {
				if containsJSON(v, x) {
					keep = append(keep, x)
				}
			}
			e.enum = keep
		} else {
			e.enum, e.hasEnum = v, true
		}
	}
	if v, ok := n["const"]; ok {
		e.constV, e.hasConst = v, true
	}
	if ps, ok := n["properties"].(map[string]any); ok {
		if e.props == nil {
			e.props = map[string][]sub{}
		}
		for _, k := range sortedKeys(ps) {
			e.props[k] = append(e.props[k], set.child(s, ps[k], "properties", k))
		}
	}
	if rs, ok := n["required"].([]any); ok {
		if e.required == nil {
			e.required = map[string]bool{}
		}
		for _, r := range rs {
			if r, ok := r.(string); ok {
				e.required[r] = true
			}
		}
	}
	if a, ok := n["additionalProperties"]; ok {
		if b, ok := a.(bool); ok && !b {
			e.addlFalse = true
		} else if _, ok := a.(map[string]any); ok {
			e.addl = append(e.addl, set.child(s, a, "additionalProperties"))
		}
	}
	if u, ok := n["unevaluatedProperties"].(bool); ok && !u {
		e.addlFalse = true
	}
	if pp, ok := n["patternProperties"].(map[string]any); ok {
		for _, k := range sortedKeys(pp) {
			e.patProps = append(e.patProps, patProp{re: k, subs: []sub{set.child(s, pp[k], "patternProperties", k)}})
		}
	}
	if pn, ok := n["propertyNames"]; ok {
		e.propNames = append(e.propNames, set.child(s, pn, "propertyNames"))
	}
	if v, ok := intKeyword(n, "minProperties"); ok && v > e.minProps {
		e.minProps = v
	}
	if v, ok := intKeyword(n, "maxProperties"); ok && (e.maxProps < 0 || v < e.maxProps) {
		e.maxProps = v
	}
	addDeps := func(d map[string]any) {
		if e.depReq == nil {
			e.depReq = map[string][]string{}
		}
		for k, v := range d {
			if arr, ok := v.([]any); ok {
				for _, x := range arr {
					if x, ok := x.(string); ok {
						e.depReq[k] = append(e.depReq[k], x)
					}
				}
			}
		}
	}
	if d, ok := n["dependentRequired"].(map[string]any); ok {
		addDeps(d)
	}
	if d, ok := n["dependencies"].(map[string]any); ok {
		addDeps(d)
	}

	// Arrays. Draft-07 tuples: items is an array, additionalItems the rest.
	if it, ok := n["items"]; ok {
		if arr, ok := it.([]any); ok {
			for i, x := range arr {
				e.addPrefix(i, set.child(s, x, "items", fmt.Sprint(i)))
			}
			if ai, ok := n["additionalItems"]; ok {
				if b, ok := ai.(bool); ok && !b {
					e.itemsFalse = true
				} else {
					e.items = append(e.items, set.child(s, ai, "additionalItems"))
				}
			}
		} else if b, ok := it.(bool); ok && !b {
			e.itemsFalse = true
		} else {
			e.items = append(e.items, set.child(s, it, "items"))
		}
	}
	if pi, ok := n["prefixItems"].([]any); ok {
		for i, x := range pi {
			e.addPrefix(i, set.child(s, x, "prefixItems", fmt.Sprint(i)))
		}
	}
	if u, ok := n["unevaluatedItems"].(bool); ok && !u && len(e.items) == 0 {
		e.itemsFalse = true
	}
	if v, ok := intKeyword(n, "minItems"); ok && v > e.minItems {
		e.minItems = v
	}
	if v, ok := intKeyword(n, "maxItems"); ok && (e.maxItems < 0 || v < e.maxItems) {
		e.maxItems = v
	}
	if u, ok := n["uniqueItems"].(bool); ok && u {
		e.unique = true
	}
	if c, ok := n["contains"]; ok {
		e.contains = append(e.contains, set.child(s, c, "contains"))
	}

	// Numbers.
	if r := ratKeyword(n, "minimum"); r != nil {
		e.setMin(r, false)
	}
	if r := ratKeyword(n, "maximum"); r != nil {
		e.setMax(r, false)
	}
	if b, ok := n["exclusiveMinimum"].(bool); ok { // draft-04 form
		if b && e.min != nil {
			e.exMin = true
		}
	} else if r := ratKeyword(n, "exclusiveMinimum"); r != nil {
		e.setMin(r, true)
	}
	if b, ok := n["exclusiveMaximum"].(bool); ok {
		if b && e.max != nil {
			e.exMax = true
		}
	} else if r := ratKeyword(n, "exclusiveMaximum"); r != nil {
		e.setMax(r, true)
	}
	if r := ratKeyword(n, "multipleOf"); r != nil && r.Sign() > 0 {
		e.multipleOf = append(e.multipleOf, r)
	}
	if f, ok := n["format"].(string); ok && e.format == "" {
		e.format = f
	}

	// Strings.
	if v, ok := intKeyword(n, "minLength"); ok && v > e.minLen {
		e.minLen = v
	}
	if v, ok := intKeyword(n, "maxLength"); ok && (e.maxLen < 0 || v < e.maxLen) {
		e.maxLen = v
	}
	if p, ok := n["pattern"].(string); ok {
		e.patterns = append(e.patterns, p)
	}
	if c, ok := n["contentEncoding"].(string); ok {
		e.encoding = c
	}

	// Branches.
	if one, ok := n["oneOf"].([]any); ok {
		var g []sub
		for i, x := range one {
			g = append(g, set.child(s, x, "oneOf", fmt.Sprint(i)))
		}
		e.oneOf = append(e.oneOf, g)
	}
	if any_, ok := n["anyOf"].([]any); ok {
		var g []sub
		for i, x := range any_ {
			g = append(g, set.child(s, x, "anyOf", fmt.Sprint(i)))
		}
		e.anyOf = append(e.anyOf, g)
	}
	if c, ok := n["if"]; ok {
		x := ite{cond: set.child(s, c, "if")}
		if t, ok := n["then"]; ok {
			ts := set.child(s, t, "then")
			x.then = &ts
		}
		if el, ok := n["else"]; ok {
			es := set.child(s, el, "else")
			x.else_ = &es
		}
		e.ite = append(e.ite, x)
	}
	if ex, ok := n["examples"].([]any); ok {
		e.examples = append(e.examples, ex...)
	}
}

func (e *eff) addPrefix(i int, s sub) {
	for len(e.prefix) <= i {
		e.prefix = append(e.prefix, nil)
	}
	e.prefix[i] = append(e.prefix[i], s)
}

func (e *eff) setMin(r *big.Rat, excl bool) {
	if e.min == nil || r.Cmp(e.min) > 0 {
		e.min, e.exMin = r, excl
	} else if r.Cmp(e.min) == 0 && excl {
		e.exMin = true
	}
}

func (e *eff) setMax(r *big.Rat, excl bool) {
	if e.max == nil || r.Cmp(e.max) < 0 {
		e.max, e.exMax = r, excl
	} else if r.Cmp(e.max) == 0 && excl {
		e.exMax = true
	}
}

func intKeyword(n map[string]any, k string) (int, bool) {
	num, ok := n[k].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := num.Int64()
	if err != nil {
		f, ferr := num.Float64()
		if ferr != nil {
			return 0, false
		}
		i = int64(f)
	}
	return int(i), true
}

func ratKeyword(n map[string]any, k string) *big.Rat {
	num, ok := n[k].(json.Number)
	if !ok {
		return nil
	}
	r, ok := new(big.Rat).SetString(string(num))
	if !ok {
		return nil
	}
	return r
}

func containsJSON(list []any, v any) bool {
	for _, x := range list {
		if equalJSON(x, v) {
			return true
		}
	}
	return false
}
