package compat

import "strconv"

// Structural equality of schemas, across the two sides: keywords compared
// one by one, annotations ignored, data keywords (enum, const) by JSON
// equality, and $ref by the equality of what it resolves to, so that a
// schema moved into or out of $defs is equal to itself. Cycles are
// assumed equal while being compared.

// schemaKW are the keywords whose values are schemas, by shape.
var (
	kwOne = map[string]bool{"additionalProperties": true, "propertyNames": true, "additionalItems": true,
		"contains": true, "not": true, "if": true, "then": true, "else": true, "unevaluatedItems": true,
		"unevaluatedProperties": true, "contentSchema": true}
	kwMapOf = map[string]bool{"properties": true, "patternProperties": true, "dependentSchemas": true}
	kwList  = map[string]bool{"allOf": true, "anyOf": true, "oneOf": true, "prefixItems": true}
)

func (c *checker) equiv(a, b sch) bool {
	if a.sd == b.sd && a.loc == b.loc {
		return true
	}
	key := a.key() + "|" + b.key()
	if v, ok := c.eq[key]; ok {
		return v
	}
	if d, ok := c.eqProg[key]; ok {
		if d < c.eqLow {
			c.eqLow = d
		}
		return true
	}
	c.eqDepth++
	depth := c.eqDepth
	c.eqProg[key] = depth
	saved := c.eqLow
	c.eqLow = depth
	res := c.equivBody(a, b)
	delete(c.eqProg, key)
	if !res || c.eqLow >= depth {
		c.eq[key] = res
	}
	if c.eqLow > saved {
		c.eqLow = saved
	}
	c.eqDepth--
	return res
}

func (c *checker) equivBody(a, b sch) bool {
	if a.isTrue() && b.isTrue() {
		return true
	}
	ab, aIsBool := a.v.(bool)
	bb, bIsBool := b.v.(bool)
	if aIsBool || bIsBool {
		if aIsBool && bIsBool {
			return ab == bb
		}
		return false
	}
	am, bm := a.m(), b.m()
	if am == nil || bm == nil {
		return false
	}
	if a.draft() != b.draft() && (am["items"] != nil || bm["items"] != nil || am["$ref"] != nil) {
		return false
	}
	for k := range am {
		if _, ok := bm[k]; !ok && !annotation[k] {
			return false
		}
	}
	for k, bv := range bm {
		if annotation[k] {
			continue
		}
		av, ok := am[k]
		if !ok || !c.equivKW(k, a, av, b, bv) {
			return false
		}
	}
	return true
}

// equivKW compares the values of keyword k of a and b.
func (c *checker) equivKW(k string, a sch, av any, b sch, bv any) bool {
	switch {
	case k == "$ref":
		as, aok := av.(string)
		bs, bok := bv.(string)
		if !aok || !bok {
			return false
		}
		ta, f1 := c.resolve(a, as)
		tb, f2 := c.resolve(b, bs)
		return f1 && f2 && c.equiv(ta, tb)
	case kwOne[k] || (k == "items" && !isArr(av) && !isArr(bv)):
		return c.equiv(a.child(av, k), b.child(bv, k))
	case kwMapOf[k] || (k == "dependencies" && isMap(av) && isMap(bv)):
		am, _ := av.(map[string]any)
		bm, _ := bv.(map[string]any)
		if am == nil || bm == nil || len(am) != len(bm) {
			return false
		}
		for n, x := range am {
			y, ok := bm[n]
			if !ok {
				return false
			}
			if k == "dependencies" && (isArr(x) || isArr(y)) {
				if !jsonEqual(x, y) {
					return false
				}
				continue
			}
			if !c.equiv(a.child(x, k, n), b.child(y, k, n)) {
				return false
			}
		}
		return true
	case kwList[k] || k == "items":
		al, _ := av.([]any)
		bl, _ := bv.([]any)
		if al == nil || bl == nil || len(al) != len(bl) {
			return false
		}
		for i := range al {
			if !c.equiv(a.child(al[i], k, strconv.Itoa(i)), b.child(bl[i], k, strconv.Itoa(i))) {
				return false
			}
		}
		return true
	}
	return jsonEqual(av, bv)
}

func isArr(v any) bool { _, ok := v.([]any); return ok }
func isMap(v any) bool { _, ok := v.(map[string]any); return ok }
