package typed

import (
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/distributer/distributer/schema"
)

// The fast path. jsonschema/v5 builds instance and keyword locations,
// result maps and big.Rat numbers for every value it checks, valid or not:
// most of the cost of validating a message. Almost every message is valid,
// so each schema is also compiled into a fnode tree that answers one
// question without allocating: "is this value certainly valid?". When the
// answer is yes, that is the result. When it is "no, or not sure" (an
// invalid value, or a keyword the fast path does not decide: oneOf, not,
// if, uniqueItems, formats, numbers too close to a bound to tell as
// float64, ...) jsonschema validates the value and has the final word, and
// builds the detailed error. FuzzFastPath checks that the fast path never
// accepts a value jsonschema rejects.

// type bits of fnode.types.
const (
	tNull = 1 << iota
	tBool
	tObject
	tArray
	tNumber
	tInteger
	tString
)

var typeBits = map[string]uint8{
	"null": tNull, "boolean": tBool, "object": tObject, "array": tArray,
	"number": tNumber, "integer": tInteger, "string": tString,
}

type fnode struct {
	js         *jsonschema.Schema // the schema it was compiled from (nil for merged nodes)
	unsure     bool               // has a keyword the fast path does not decide
	scanUnsure bool               // has more than 64 declared members: too many for scan's bit set
	never      bool               // the false schema
	types      uint8              // 0: any type
	consts     []any              // nil, or the one const value
	enum       []any

	// objects
	minProps, maxProps int
	required           []string
	requiredBits       uint64         // for scan: the bits of keys that are required
	keys               map[string]int // for scan: declared and required members -> bit
	propAt             []*fnode       // for scan: by bit, the member's schema (nil: required only)
	props              map[string]*fnode
	patProps           []patProp
	addlFalse          bool
	addl               *fnode
	propNames          *fnode

	// arrays
	minItems, maxItems int
	prefix             []*fnode // items (array form, draft-07) or prefixItems
	rest               *fnode   // items (schema form), additionalItems or 2020 items
	restFalse          bool     // additionalItems: false

	// strings
	minLen, maxLen int
	pattern        *regexp.Regexp
	format         func(any) bool

	// numbers
	min, exMin, max, exMax *bound
	multipleOf             *bound

	ref   *fnode
	allOf []*fnode
	anyOf []*fnode

	// own is false for a node that only applies others ($ref, allOf,
	// anyOf): scan then checks the bytes against those alone.
	own bool
	// merged, when set, is one node equivalent to this one's conjunction
	// of $ref and allOf, which scan uses instead (see merge.go).
	merged *fnode
}

type patProp struct {
	re *regexp.Regexp
	n  *fnode
}

// bound is a number from a schema: exact when it is an integer that fits
// int64 or uint64, and as the nearest float64.
type bound struct {
	f        float64
	i        int64
	u        uint64
	isI, isU bool
}

func newBound(r *big.Rat) *bound {
	if r == nil {
		return nil
	}
	b := &bound{}
	b.f, _ = r.Float64()
	if r.IsInt() {
		n := r.Num()
		if n.IsInt64() {
			b.i, b.isI = n.Int64(), true
		}
		if n.IsUint64() {
			b.u, b.isU = n.Uint64(), true
		}
	}
	return b
}

// compileFast builds the fnode of s, sharing nodes between references to
// one schema (memo), so recursive schemas make cyclic trees.
func compileFast(s *jsonschema.Schema, memo map[*jsonschema.Schema]*fnode) *fnode {
	if s == nil {
		return nil
	}
	if n, ok := memo[s]; ok {
		return n
	}
	// No limits until the schema sets them (true schemas never do).
	n := &fnode{js: s, minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}
	memo[s] = n
	if s.Always != nil {
		if !*s.Always {
			n.never = true
		}
		return n
	}
	if s.RecursiveRef != nil || s.DynamicRef != nil || s.Not != nil || len(s.OneOf) > 0 || s.If != nil ||
		len(s.Dependencies) > 0 || len(s.DependentSchemas) > 0 || s.UnevaluatedProperties != nil ||
		s.UnevaluatedItems != nil || s.UniqueItems || s.Contains != nil || s.RegexProperties ||
		s.ContentEncoding != "" || s.ContentMediaType != "" || s.ContentSchema != nil || len(s.Extensions) > 0 ||
		len(s.DependentRequired) > 0 {
		n.unsure = true
		return n
	}
	n.format = schema.FormatChecker(s.Format) // nil: not asserted

	for _, t := range s.Types {
		n.types |= typeBits[t]
	}
	if len(s.Constant) > 0 {
		n.consts = s.Constant[:1]
	}
	n.enum = s.Enum
	n.minProps, n.maxProps, n.required = s.MinProperties, s.MaxProperties, s.Required
	if len(s.Properties) > 0 {
		n.props = make(map[string]*fnode, len(s.Properties))
		for k, p := range s.Properties {
			n.props[k] = compileFast(p, memo)
		}
	}
	n.keys = map[string]int{}
	for _, k := range s.Required {
		if _, ok := n.keys[k]; !ok {
			n.keys[k] = len(n.keys)
		}
	}
	for k := range s.Properties {
		if _, ok := n.keys[k]; !ok {
			n.keys[k] = len(n.keys)
		}
	}
	if len(n.keys) > 64 {
		n.scanUnsure = true
	} else {
		for _, k := range s.Required {
			n.requiredBits |= 1 << n.keys[k]
		}
		n.propAt = make([]*fnode, len(n.keys))
		for k, p := range n.props {
			n.propAt[n.keys[k]] = p
		}
	}
	for re, p := range s.PatternProperties {
		n.patProps = append(n.patProps, patProp{re, compileFast(p, memo)})
	}
	switch a := s.AdditionalProperties.(type) {
	case bool:
		n.addlFalse = !a
	case *jsonschema.Schema:
		n.addl = compileFast(a, memo)
	}
	n.propNames = compileFast(s.PropertyNames, memo)

	n.minItems, n.maxItems = s.MinItems, s.MaxItems
	switch it := s.Items.(type) {
	case *jsonschema.Schema:
		n.rest = compileFast(it, memo)
	case []*jsonschema.Schema:
		for _, p := range it {
			n.prefix = append(n.prefix, compileFast(p, memo))
		}
		switch a := s.AdditionalItems.(type) {
		case bool:
			n.restFalse = !a
		case *jsonschema.Schema:
			n.rest = compileFast(a, memo)
		}
	}
	if len(s.PrefixItems) > 0 || s.Items2020 != nil {
		if n.prefix != nil || n.rest != nil || n.restFalse {
			n.unsure = true // both forms at once: leave it to jsonschema
			return n
		}
		for _, p := range s.PrefixItems {
			n.prefix = append(n.prefix, compileFast(p, memo))
		}
		n.rest = compileFast(s.Items2020, memo)
	}

	n.minLen, n.maxLen, n.pattern = s.MinLength, s.MaxLength, s.Pattern
	n.min, n.exMin = newBound(s.Minimum), newBound(s.ExclusiveMinimum)
	n.max, n.exMax = newBound(s.Maximum), newBound(s.ExclusiveMaximum)
	n.multipleOf = newBound(s.MultipleOf)
	n.ref = compileFast(s.Ref, memo)
	for _, a := range s.AllOf {
		n.allOf = append(n.allOf, compileFast(a, memo))
	}
	for _, a := range s.AnyOf {
		n.anyOf = append(n.anyOf, compileFast(a, memo))
	}
	n.own = n.types != 0 || n.consts != nil || n.enum != nil || n.format != nil ||
		n.minProps != -1 || n.maxProps != -1 || len(n.required) > 0 || len(n.props) > 0 || len(n.patProps) > 0 ||
		n.addlFalse || n.addl != nil || n.propNames != nil ||
		n.minItems != -1 || n.maxItems != -1 || n.prefix != nil || n.rest != nil || n.restFalse ||
		n.minLen != -1 || n.maxLen != -1 || n.pattern != nil ||
		n.min != nil || n.exMin != nil || n.max != nil || n.exMax != nil || n.multipleOf != nil
	return n
}

// maxFastDepth bounds the fast path's recursion: deeper (or a reference
// loop that consumes no input) is left to jsonschema.
const maxFastDepth = 200

// valid reports whether v is certainly valid against n. false means invalid
// or not sure.
func (n *fnode) valid(v any, depth int) bool {
	if n == nil {
		return true
	}
	if n.unsure || n.never || depth > maxFastDepth {
		return false
	}
	depth++
	if n.types != 0 && !n.typeOK(v) {
		return false
	}
	if n.consts != nil && !sureEqual(v, n.consts[0]) {
		return false
	}
	if n.enum != nil {
		ok := false
		for _, e := range n.enum {
			if sureEqual(v, e) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if n.format != nil && !n.format(v) {
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		if !n.objectOK(v, depth) {
			return false
		}
	case []any:
		if !n.arrayOK(v, depth) {
			return false
		}
	case string:
		if n.minLen != -1 || n.maxLen != -1 {
			l := utf8.RuneCountInString(v)
			if (n.minLen != -1 && l < n.minLen) || (n.maxLen != -1 && l > n.maxLen) {
				return false
			}
		}
		if n.pattern != nil && !n.pattern.MatchString(v) {
			return false
		}
	case json.Number:
		if !n.numberOK(v) {
			return false
		}
	}
	if n.ref != nil && !n.ref.valid(v, depth) {
		return false
	}
	for _, a := range n.allOf {
		if !a.valid(v, depth) {
			return false
		}
	}
	if n.anyOf != nil {
		ok := false
		for _, a := range n.anyOf {
			if a.valid(v, depth) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (n *fnode) typeOK(v any) bool {
	switch v := v.(type) {
	case nil:
		return n.types&tNull != 0
	case bool:
		return n.types&tBool != 0
	case map[string]any:
		return n.types&tObject != 0
	case []any:
		return n.types&tArray != 0
	case string:
		return n.types&tString != 0
	case json.Number:
		if n.types&tNumber != 0 {
			return true
		}
		// "integer": certain only for integer literals; 1.0 and 1e2 are
		// integers too, but jsonschema decides those.
		return n.types&tInteger != 0 && isIntLiteral(string(v))
	}
	return false
}

func isIntLiteral(s string) bool { return !strings.ContainsAny(s, ".eE") }

func (n *fnode) objectOK(v map[string]any, depth int) bool {
	if (n.minProps != -1 && len(v) < n.minProps) || (n.maxProps != -1 && len(v) > n.maxProps) {
		return false
	}
	for _, r := range n.required {
		if _, ok := v[r]; !ok {
			return false
		}
	}
	for k, pv := range v {
		evaluated := false
		if p, ok := n.props[k]; ok {
			evaluated = true
			if !p.valid(pv, depth) {
				return false
			}
		}
		for _, pp := range n.patProps {
			if pp.re.MatchString(k) {
				evaluated = true
				if !pp.n.valid(pv, depth) {
					return false
				}
			}
		}
		if !evaluated {
			if n.addlFalse {
				return false
			}
			if n.addl != nil && !n.addl.valid(pv, depth) {
				return false
			}
		}
		if n.propNames != nil && !n.propNames.valid(k, depth) {
			return false
		}
	}
	return true
}

func (n *fnode) arrayOK(v []any, depth int) bool {
	if (n.minItems != -1 && len(v) < n.minItems) || (n.maxItems != -1 && len(v) > n.maxItems) {
		return false
	}
	if n.restFalse && len(v) > len(n.prefix) {
		return false
	}
	for i, item := range v {
		var s *fnode
		if i < len(n.prefix) {
			s = n.prefix[i]
		} else {
			s = n.rest
		}
		if s != nil && !s.valid(item, depth) {
			return false
		}
	}
	return true
}

func (n *fnode) numberOK(v json.Number) bool {
	s := string(v)
	if n.min != nil {
		if c, ok := cmpNum(s, n.min); !ok || c < 0 {
			return false
		}
	}
	if n.exMin != nil {
		if c, ok := cmpNum(s, n.exMin); !ok || c <= 0 {
			return false
		}
	}
	if n.max != nil {
		if c, ok := cmpNum(s, n.max); !ok || c > 0 {
			return false
		}
	}
	if n.exMax != nil {
		if c, ok := cmpNum(s, n.exMax); !ok || c >= 0 {
			return false
		}
	}
	if m := n.multipleOf; m != nil {
		// Certain only for int64 values and positive int64 divisors.
		if !m.isI || m.i <= 0 || !isIntLiteral(s) {
			return false
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil || i%m.i != 0 {
			return false
		}
	}
	return true
}

// cmpNum compares the number literal s with b: -1, 0, +1, and whether the
// comparison is certain.
func cmpNum(s string, b *bound) (int, bool) {
	if isIntLiteral(s) {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			switch {
			case b.isI:
				return cmp3(i, b.i), true
			case b.isU: // b > MaxInt64
				return -1, true
			}
			return cmpFloat(float64(i), b.f)
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil { // u > MaxInt64
			switch {
			case b.isU:
				return cmp3(u, b.u), true
			case b.isI: // b < 0
				return 1, true
			}
			return cmpFloat(float64(u), b.f)
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return cmpFloat(f, b.f)
}

// cmpFloat compares two rounded values: a strict difference between the
// rounded values is a strict difference between the exact ones (rounding is
// monotonic); equality tells nothing.
func cmpFloat(a, b float64) (int, bool) {
	switch {
	case a < b:
		return -1, true
	case a > b:
		return 1, true
	}
	return 0, false
}

func cmp3[T int64 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sureEqual reports whether a and b are certainly equal JSON values. Numbers
// written differently (1 and 1.0) are not certain: jsonschema decides.
func sureEqual(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool:
		bb, ok := b.(bool)
		return ok && a == bb
	case string:
		bs, ok := b.(string)
		return ok && a == bs
	case json.Number:
		bn, ok := b.(json.Number)
		return ok && a == bn
	case []any:
		bb, ok := b.([]any)
		if !ok || len(a) != len(bb) {
			return false
		}
		for i := range a {
			if !sureEqual(a[i], bb[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bb, ok := b.(map[string]any)
		if !ok || len(a) != len(bb) {
			return false
		}
		for k, av := range a {
			bv, ok := bb[k]
			if !ok || !sureEqual(av, bv) {
				return false
			}
		}
		return true
	}
	return false
}
