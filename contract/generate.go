package contract

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the nesting depth beyond which the generator leaves optional
// properties out and keeps arrays at their minimum length, so that
// recursive schemas give finite instances.
const MaxDepth = 6

// attempts is how many candidates are tried for one location before giving
// up; the top level gets topAttempts.
const (
	attempts    = 8
	topAttempts = 40
)

// Instance is a generated JSON value that is valid for its schema.
type Instance struct {
	Ref   string // the schema reference it was generated for
	Seed  uint64 // the seed that reproduces it: Generator.Generate(Ref, Seed)
	Value any    // decoded JSON: map[string]any, []any, string, json.Number, bool, nil

	set   *Generator
	sites []site
}

// JSON returns the instance as compact JSON.
func (in *Instance) JSON() []byte {
	b, _ := json.Marshal(in.Value)
	return b
}

// site records the effective schema that produced the value at ptr.
type site struct {
	ptr string
	e   *eff
}

type genState struct {
	set   *Generator
	rng   *rand.Rand
	sites []site
}

// Generate returns a random instance valid for the schema at ref. The same
// ref and seed give the same instance.
func (s *Generator) Generate(ref string, seed uint64) (*Instance, error) {
	root, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	st := &genState{set: s, rng: newRand(seed)}
	e := newEff()
	if err := st.flatten(root, e, 0); err != nil {
		return nil, err
	}
	var last error
	for range topAttempts {
		st.sites = st.sites[:0]
		v, err := st.gen(e, "", 0)
		if err != nil {
			last = err
			continue
		}
		if err := s.validAt(root.loc, v); err != nil {
			last = fmt.Errorf("candidate %s: %w", compact(v), err)
			continue
		}
		return &Instance{Ref: ref, Seed: seed, Value: v, set: s, sites: slices.Clone(st.sites)}, nil
	}
	return nil, fmt.Errorf("contract: generate %s (seed %d): %w: %v", ref, seed, ErrUnsatisfiable, last)
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x636f6e7472616374)) }

// gen produces a value for e at instance location ptr, retrying until the
// value is valid for every constituent schema of e.
func (st *genState) gen(e *eff, ptr string, depth int) (any, error) {
	var last error
	for range attempts {
		mark := len(st.sites)
		v, used, err := st.genOnce(e, ptr, depth)
		if err == nil {
			err = st.check(e, v)
		}
		if err == nil {
			st.sites = append(st.sites, site{ptr: ptr, e: used})
			return v, nil
		}
		st.sites = st.sites[:mark]
		last = err
	}
	where := "(no schema)"
	if len(e.parts) > 0 {
		where = location(e.parts[0].loc)
	}
	if errors.Is(last, ErrUnsatisfiable) {
		return nil, last
	}
	return nil, fmt.Errorf("%w for %s at instance %s: %v", ErrUnsatisfiable, where, ptrOrRoot(ptr), last)
}

// check validates v against the constituents of e whose keywords the
// generator does not satisfy by construction (oneOf, not, uniqueItems, a
// second pattern, ...), so that a failing candidate is retried here rather
// than at the top. Generate checks the whole instance at the end anyway.
func (st *genState) check(e *eff, v any) error {
	for _, p := range e.parts {
		if !needsCheck(p.node) {
			continue
		}
		if err := st.set.validAt(p.loc, v); err != nil {
			return err
		}
	}
	return nil
}

// unguaranteed are the keywords that candidates can violate.
var unguaranteed = []string{"oneOf", "anyOf", "not", "if", "$dynamicRef", "pattern", "format",
	"uniqueItems", "contains", "propertyNames", "dependentSchemas", "dependencies", "unevaluatedProperties",
	"unevaluatedItems", "maxProperties", "minProperties", "multipleOf", "patternProperties"}

func needsCheck(node any) bool {
	m, ok := node.(map[string]any)
	if !ok {
		return false
	}
	for _, k := range unguaranteed {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// genOnce produces one candidate for e, and returns the effective schema it
// used (e with the oneOf/anyOf/if branches it chose merged in).
func (st *genState) genOnce(e *eff, ptr string, depth int) (any, *eff, error) {
	if e.never {
		return nil, e, fmt.Errorf("%w: the schema is false", ErrUnsatisfiable)
	}
	// Resolve one branch choice at a time, then generate from the result.
	if len(e.oneOf) > 0 || len(e.anyOf) > 0 || len(e.ite) > 0 {
		e2 := e.clone()
		var pick sub
		switch {
		case len(e2.oneOf) > 0:
			g := e2.oneOf[0]
			e2.oneOf = e2.oneOf[1:]
			pick = st.branch(g, depth)
		case len(e2.anyOf) > 0:
			g := e2.anyOf[0]
			e2.anyOf = e2.anyOf[1:]
			pick = st.branch(g, depth)
		default:
			x := e2.ite[0]
			e2.ite = e2.ite[1:]
			if st.rng.IntN(2) == 0 || x.else_ == nil {
				if err := st.flatten(x.cond, e2, 0); err != nil {
					return nil, e, err
				}
				if x.then == nil {
					return st.genOnce(e2, ptr, depth)
				}
				pick = *x.then
			} else {
				pick = *x.else_
			}
		}
		if err := st.flatten(pick, e2, 0); err != nil {
			return nil, e, err
		}
		return st.genOnce(e2, ptr, depth)
	}
	if e.hasConst {
		return copyJSON(e.constV), e, nil
	}
	if e.hasEnum {
		if len(e.enum) == 0 {
			return nil, e, fmt.Errorf("%w: no enum value satisfies every constraint", ErrUnsatisfiable)
		}
		return copyJSON(e.enum[st.rng.IntN(len(e.enum))]), e, nil
	}
	switch st.pickType(e) {
	case "object":
		v, err := st.genObject(e, ptr, depth)
		return v, e, err
	case "array":
		v, err := st.genArray(e, ptr, depth)
		return v, e, err
	case "string":
		v, err := st.genString(e)
		return v, e, err
	case "integer":
		v, err := st.genNumber(e, true)
		return v, e, err
	case "number":
		v, err := st.genNumber(e, false)
		return v, e, err
	case "boolean":
		return st.rng.IntN(2) == 0, e, nil
	case "null":
		return nil, e, nil
	}
	return nil, e, fmt.Errorf("%w: the types allowed by the schemas exclude each other", ErrUnsatisfiable)
}

// branch picks a oneOf/anyOf member; deep in a recursive schema it prefers
// the first members, which by convention are the simple ones.
func (st *genState) branch(g []sub, depth int) sub {
	if depth > MaxDepth {
		return g[st.rng.IntN(min(len(g), 1+st.rng.IntN(2)))]
	}
	return g[st.rng.IntN(len(g))]
}

var allTypes = []string{"object", "array", "string", "number", "integer", "boolean", "null"}

func (st *genState) pickType(e *eff) string {
	var cand []string
	if e.types != nil {
		for _, t := range allTypes {
			if e.types[t] && !(t == "integer" && e.types["number"]) {
				cand = append(cand, t)
			}
		}
		if len(cand) == 0 {
			return ""
		}
		return cand[st.rng.IntN(len(cand))]
	}
	// No type: infer it from the keywords present.
	switch {
	case e.props != nil || e.required != nil || e.addl != nil || e.patProps != nil:
		return "object"
	case e.items != nil || e.prefix != nil || e.contains != nil || e.minItems > 0:
		return "array"
	case e.patterns != nil || e.minLen > 0 || e.maxLen >= 0 || e.format != "":
		return "string"
	case e.min != nil || e.max != nil || e.multipleOf != nil:
		return "number"
	}
	simple := []string{"string", "integer", "boolean", "null"}
	return simple[st.rng.IntN(len(simple))]
}

func (st *genState) genObject(e *eff, ptr string, depth int) (any, error) {
	obj := map[string]any{}
	include := map[string]bool{}
	for k := range e.required {
		include[k] = true
	}
	optional := []string{}
	for _, k := range sortedKeys(e.props) {
		if !include[k] {
			optional = append(optional, k)
		}
	}
	for _, k := range optional {
		if depth < MaxDepth && st.rng.IntN(2) == 0 {
			include[k] = true
		}
	}
	for _, k := range optional { // minProperties: add optional ones first
		if len(include) >= e.minProps {
			break
		}
		include[k] = true
	}
	// Dependencies pull in more properties.
	for changed := true; changed; {
		changed = false
		for _, k := range sortedKeys(include) {
			for _, d := range e.depReq[k] {
				if !include[d] {
					include[d], changed = true, true
				}
			}
		}
	}
	// Extra members through additionalProperties / patternProperties.
	extras := 0
	if (len(e.patProps) > 0 || (!e.addlFalse && len(e.addl) > 0)) && depth < MaxDepth && st.rng.IntN(3) == 0 {
		extras = 1 + st.rng.IntN(2)
	}
	if need := e.minProps - len(include); need > extras {
		extras = need
	}
	if e.maxProps >= 0 && len(include)+extras > e.maxProps {
		extras = max(0, e.maxProps-len(include))
	}
	for i := 0; i < extras; i++ {
		k, err := st.extraName(e, include)
		if err != nil {
			break
		}
		include[k] = true
	}
	for _, k := range sortedKeys(include) {
		ce, err := st.memberEff(e, k)
		if err != nil {
			return nil, err
		}
		v, err := st.gen(ce, ptr+"/"+escapeToken(k), depth+1)
		if err != nil {
			return nil, err
		}
		obj[k] = v
	}
	return obj, nil
}

// memberEff is the effective schema of member k of an object of e.
func (st *genState) memberEff(e *eff, k string) (*eff, error) {
	ce := newEff()
	matched := false
	for _, s := range e.props[k] {
		matched = true
		if err := st.flatten(s, ce, 0); err != nil {
			return nil, err
		}
	}
	for _, pp := range e.patProps {
		if re, err := regexp.Compile(pp.re); err == nil && re.MatchString(k) {
			matched = true
			for _, s := range pp.subs {
				if err := st.flatten(s, ce, 0); err != nil {
					return nil, err
				}
			}
		}
	}
	if !matched {
		for _, s := range e.addl {
			if err := st.flatten(s, ce, 0); err != nil {
				return nil, err
			}
		}
	}
	return ce, nil
}

// extraName invents a member name that is not a declared property: from a
// patternProperties pattern or a propertyNames schema when there is one.
func (st *genState) extraName(e *eff, taken map[string]bool) (string, error) {
	for range 10 {
		var k string
		switch {
		case len(e.patProps) > 0 && (e.addlFalse || len(e.addl) == 0 || st.rng.IntN(2) == 0):
			s, err := st.fromPattern(e.patProps[st.rng.IntN(len(e.patProps))].re, 1, 24, 0)
			if err != nil {
				continue
			}
			k = s
		case e.addlFalse:
			return "", ErrUnsatisfiable
		case len(e.propNames) > 0: // a name the propertyNames schema allows
			ne := newEff()
			for _, pn := range e.propNames {
				if err := st.flatten(pn, ne, 0); err != nil {
					return "", err
				}
			}
			ne.types = map[string]bool{"string": true}
			v, _, err := st.genOnce(ne, "", MaxDepth)
			s, ok := v.(string)
			if err != nil || !ok {
				continue
			}
			k = s
		default:
			k = "extra_" + strconv.Itoa(st.rng.IntN(1000))
		}
		if taken[k] || e.props[k] != nil {
			continue
		}
		ok := true
		for _, pn := range e.propNames {
			if st.set.validAt(pn.loc, k) != nil {
				ok = false
			}
		}
		if ok {
			return k, nil
		}
	}
	return "", ErrUnsatisfiable
}

func (st *genState) genArray(e *eff, ptr string, depth int) (any, error) {
	lo, hi := e.minItems, e.maxItems
	if hi < 0 || hi > lo+4 {
		hi = lo + 4
	}
	if e.itemsFalse && hi > len(e.prefix) {
		hi = max(len(e.prefix), lo)
	}
	if len(e.contains) > 0 && lo == 0 {
		lo = 1
	}
	if hi < lo {
		return nil, fmt.Errorf("%w: minItems %d > maxItems %d", ErrUnsatisfiable, lo, hi)
	}
	n := lo
	if depth < MaxDepth {
		n = lo + st.rng.IntN(hi-lo+1)
	}
	containsAt := -1
	if len(e.contains) > 0 {
		containsAt = st.rng.IntN(n)
	}
	arr := make([]any, 0, n)
	for i := 0; i < n; i++ {
		ce := newEff()
		var subs []sub
		if i < len(e.prefix) {
			subs = e.prefix[i]
		} else {
			subs = e.items
		}
		if i == containsAt {
			subs = append(slices.Clone(subs), e.contains...)
		}
		for _, s := range subs {
			if err := st.flatten(s, ce, 0); err != nil {
				return nil, err
			}
		}
		p := fmt.Sprintf("%s/%d", ptr, i)
		var v any
		var err error
		for try := 0; try < 6; try++ {
			v, err = st.gen(ce, p, depth+1)
			if err != nil {
				return nil, err
			}
			if !e.unique || !containsJSON(arr, v) {
				break
			}
		}
		arr = append(arr, v)
	}
	return arr, nil
}

// Strings.

const plainRunes = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// spiceRunes are occasionally mixed into plain strings: characters that JSON
// escapes or Go re-escapes, and multi-byte code points (lengths in JSON
// Schema count code points, not bytes).
var spiceRunes = []rune{' ', '-', '_', '"', '\\', '/', '<', '>', '&', '\n', '\t', 'é', 'ü', 'ß', '日', '本', '😀', '\u2028'}

func (st *genState) genString(e *eff) (any, error) {
	lo, hi := e.minLen, e.maxLen
	if hi < 0 {
		hi = lo + 16
	}
	if hi < lo {
		return nil, fmt.Errorf("%w: minLength %d > maxLength %d", ErrUnsatisfiable, lo, hi)
	}
	if len(e.patterns) > 0 {
		for i := range 8 {
			s, err := st.fromPattern(e.patterns[0], lo, hi, i)
			if err == nil {
				return s, nil
			}
		}
		return st.fromExamples(e)
	}
	if e.format != "" {
		if s, ok := st.formatted(e.format); ok {
			return s, nil
		}
	}
	if e.encoding == "base64" {
		b := make([]byte, st.rng.IntN(max(1, hi*3/4)+1))
		for i := range b {
			b[i] = byte(st.rng.IntN(256))
		}
		return base64.StdEncoding.EncodeToString(b), nil
	}
	n := lo + st.rng.IntN(hi-lo+1)
	var sb strings.Builder
	spicy := st.rng.IntN(4) == 0
	for i := 0; i < n; i++ {
		if spicy && st.rng.IntN(4) == 0 {
			sb.WriteRune(spiceRunes[st.rng.IntN(len(spiceRunes))])
		} else {
			sb.WriteByte(plainRunes[st.rng.IntN(len(plainRunes))])
		}
	}
	return sb.String(), nil
}

func (st *genState) fromExamples(e *eff) (any, error) {
	var strs []string
	for _, x := range e.examples {
		if s, ok := x.(string); ok {
			strs = append(strs, s)
		}
	}
	if len(strs) == 0 {
		return nil, fmt.Errorf("%w: no string matching %q of length %d..%d found, and the schema has no string examples to fall back to", ErrUnsatisfiable, e.patterns[0], e.minLen, e.maxLen)
	}
	return strs[st.rng.IntN(len(strs))], nil
}

// fromPattern generates a string matching pattern with between lo and hi
// code points; try > 0 lets open repetitions (*, +, {n,}) grow, to reach
// long minimum lengths.
func (st *genState) fromPattern(pattern string, lo, hi, try int) (string, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return "", fmt.Errorf("pattern %q: %w", pattern, err)
	}
	reps := maxRepeat
	if try > 0 {
		reps = maxRepeat + try*max(lo, 4)/2
	}
	s, err := genRegex(st.rng, pattern, reps)
	if err != nil {
		return "", err
	}
	n := utf8.RuneCountInString(s)
	if n < lo || n > hi || !re.MatchString(s) {
		return "", fmt.Errorf("generated %q does not fit", s)
	}
	return s, nil
}

func (st *genState) formatted(format string) (string, bool) {
	r := st.rng
	switch format {
	case "date-time":
		sec := int64(946684800 + r.IntN(1_000_000_000))
		ms := r.IntN(1000)
		tt := unixTime(sec)
		s := tt.Format("2006-01-02T15:04:05")
		if r.IntN(2) == 0 && ms != 0 {
			s += strings.TrimRight(fmt.Sprintf(".%03d", ms), "0")
		}
		if r.IntN(3) == 0 {
			h := r.IntN(25) - 12
			if h == 0 {
				h = 2
			}
			sign := "+"
			if h < 0 {
				sign, h = "-", -h
			}
			s += fmt.Sprintf("%s%02d:00", sign, h)
		} else {
			s += "Z"
		}
		return s, true
	case "date":
		return unixTime(int64(r.IntN(2_000_000_000))).Format("2006-01-02"), true
	case "time":
		return fmt.Sprintf("%02d:%02d:%02dZ", r.IntN(24), r.IntN(60), r.IntN(60)), true
	case "duration":
		return fmt.Sprintf("P%dDT%dH%dM", r.IntN(30), r.IntN(24), r.IntN(60)), true
	case "email", "idn-email":
		return fmt.Sprintf("user%d@example.com", r.IntN(10000)), true
	case "hostname", "idn-hostname":
		return fmt.Sprintf("host-%d.example.com", r.IntN(10000)), true
	case "ipv4":
		return fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(254), r.IntN(256), r.IntN(256), 1+r.IntN(254)), true
	case "ipv6":
		return fmt.Sprintf("2001:db8::%x", 1+r.IntN(0xfffe)), true
	case "uri", "iri":
		return fmt.Sprintf("https://example.com/items/%d", r.IntN(10000)), true
	case "uri-reference", "iri-reference":
		return fmt.Sprintf("/items/%d", r.IntN(10000)), true
	case "uri-template":
		return "https://example.com/items/{id}", true
	case "uuid":
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), true
	case "json-pointer":
		return fmt.Sprintf("/items/%d", r.IntN(100)), true
	case "relative-json-pointer":
		return fmt.Sprintf("%d/items", r.IntN(3)), true
	case "regex":
		return "^[a-z]+[0-9]*$", true
	}
	return "", false
}

// Numbers.

// intFormats are the ranges of the integer formats distgen maps to Go types.
var intFormats = map[string][2]string{
	"int8":   {"-128", "127"},
	"int16":  {"-32768", "32767"},
	"int32":  {"-2147483648", "2147483647"},
	"int64":  {"-9223372036854775808", "9223372036854775807"},
	"uint8":  {"0", "255"},
	"uint16": {"0", "65535"},
	"uint32": {"0", "4294967295"},
	"uint64": {"0", "18446744073709551615"},
}

var defaultSpan = new(big.Rat).SetInt64(1 << 40)

func (st *genState) genNumber(e *eff, integer bool) (any, error) {
	if !integer && len(e.multipleOf) == 0 {
		return st.genFloat(e)
	}
	// A lattice k*step inside [lo, hi].
	step := new(big.Rat).SetInt64(1)
	if len(e.multipleOf) > 0 {
		step = new(big.Rat).Set(e.multipleOf[0])
		for _, m := range e.multipleOf[1:] {
			step = ratLCM(step, m)
		}
		if integer {
			step = ratLCM(step, big.NewRat(1, 1))
		}
	}
	lo, hi := e.min, e.max
	exLo, exHi := e.exMin, e.exMax
	if f, ok := intFormats[e.format]; ok && integer {
		flo, _ := new(big.Rat).SetString(f[0])
		fhi, _ := new(big.Rat).SetString(f[1])
		if lo == nil || flo.Cmp(lo) > 0 {
			lo, exLo = flo, false
		}
		if hi == nil || fhi.Cmp(hi) < 0 {
			hi, exHi = fhi, false
		}
	}
	switch {
	case lo == nil && hi == nil:
		lo, hi = new(big.Rat).Neg(defaultSpan), defaultSpan
	case lo == nil:
		lo = new(big.Rat).Sub(hi, defaultSpan)
	case hi == nil:
		hi = new(big.Rat).Add(lo, defaultSpan)
	}
	kmin := ratCeil(new(big.Rat).Quo(lo, step))
	kmax := ratFloor(new(big.Rat).Quo(hi, step))
	if exLo && new(big.Rat).Mul(new(big.Rat).SetInt(kmin), step).Cmp(lo) == 0 {
		kmin.Add(kmin, big.NewInt(1))
	}
	if exHi && new(big.Rat).Mul(new(big.Rat).SetInt(kmax), step).Cmp(hi) == 0 {
		kmax.Sub(kmax, big.NewInt(1))
	}
	if kmin.Cmp(kmax) > 0 {
		return nil, fmt.Errorf("%w: no multiple of %s in the range", ErrUnsatisfiable, step.RatString())
	}
	// The k nearest zero within range.
	zero := new(big.Int)
	if zero.Cmp(kmin) < 0 {
		zero.Set(kmin)
	} else if zero.Cmp(kmax) > 0 {
		zero.Set(kmax)
	}
	var k *big.Int
	switch x := st.rng.IntN(10); {
	case x == 0:
		k = kmin
	case x == 1:
		k = kmax
	case x == 2:
		k = zero
	case x < 6: // small values near zero
		k = new(big.Int).Add(zero, big.NewInt(int64(st.rng.IntN(201)-100)))
		if k.Cmp(kmin) < 0 || k.Cmp(kmax) > 0 {
			k = zero
		}
	default:
		span := new(big.Int).Sub(kmax, kmin)
		span.Add(span, big.NewInt(1))
		k = new(big.Int).Add(kmin, randBig(st.rng, span))
	}
	v := new(big.Rat).Mul(new(big.Rat).SetInt(k), step)
	return json.Number(ratDecimal(v)), nil
}

func (st *genState) genFloat(e *eff) (any, error) {
	const def = 1e6
	var lo, hi float64
	switch {
	case e.min == nil && e.max == nil:
		lo, hi = -def, def
	case e.min == nil:
		hi, _ = e.max.Float64()
		lo = hi - def
	case e.max == nil:
		lo, _ = e.min.Float64()
		hi = lo + def
	default:
		lo, _ = e.min.Float64()
		hi, _ = e.max.Float64()
	}
	if lo > hi {
		return nil, fmt.Errorf("%w: minimum above maximum", ErrUnsatisfiable)
	}
	var f float64
	switch x := st.rng.IntN(10); {
	case x == 0:
		f = lo
	case x == 1:
		f = hi
	case x == 2:
		f = math.Max(lo, math.Min(hi, 0))
	case x < 5: // short decimals
		f = math.Round((lo+st.rng.Float64()*(hi-lo))*100) / 100
	default:
		f = lo + st.rng.Float64()*(hi-lo)
	}
	f = math.Max(lo, math.Min(hi, f))
	single := e.format == "float" || e.format == "float32"
	if single { // a value the Go float32 a generator maps this to can hold
		f = float64(float32(f))
	}
	// Keep inside the exact (rational) bounds, honouring exclusivity.
	for range 4 {
		r := new(big.Rat).SetFloat64(f)
		if e.min != nil && (r.Cmp(e.min) < 0 || (e.exMin && r.Cmp(e.min) == 0)) {
			f = math.Nextafter(f, math.Inf(1))
			continue
		}
		if e.max != nil && (r.Cmp(e.max) > 0 || (e.exMax && r.Cmp(e.max) == 0)) {
			f = math.Nextafter(f, math.Inf(-1))
			continue
		}
		break
	}
	if single {
		return json.Number(strconv.FormatFloat(float64(float32(f)), 'g', -1, 32)), nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return json.Number(b), nil
}

func ratLCM(a, b *big.Rat) *big.Rat {
	// lcm(p/q, r/s) = lcm(p, r) / gcd(q, s)
	p, q := a.Num(), a.Denom()
	r, s := b.Num(), b.Denom()
	g := new(big.Int).GCD(nil, nil, p, r)
	l := new(big.Int).Mul(p, r)
	l.Quo(l, g)
	d := new(big.Int).GCD(nil, nil, q, s)
	return new(big.Rat).SetFrac(l, d)
}

func ratFloor(r *big.Rat) *big.Int {
	q, _ := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	return q // Euclidean division with a positive denominator is floor
}

func ratCeil(r *big.Rat) *big.Int {
	q := ratFloor(r)
	if !r.IsInt() {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// randBig returns a number in [0, n).
func randBig(rng *rand.Rand, n *big.Int) *big.Int {
	if n.IsUint64() {
		return new(big.Int).SetUint64(rng.Uint64N(n.Uint64()))
	}
	words := (n.BitLen() + 63) / 64
	x := new(big.Int)
	for i := 0; i < words+1; i++ {
		x.Lsh(x, 64)
		x.Or(x, new(big.Int).SetUint64(rng.Uint64()))
	}
	return x.Mod(x, n)
}

// ratDecimal renders r, whose denominator divides a power of ten, as a
// plain JSON number without trailing zeros.
func ratDecimal(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	ten := big.NewInt(10)
	p := big.NewInt(1)
	for n := 1; n <= 40; n++ {
		p.Mul(p, ten)
		if new(big.Int).Mod(p, r.Denom()).Sign() == 0 {
			s := r.FloatString(n)
			s = strings.TrimRight(s, "0")
			return strings.TrimSuffix(s, ".")
		}
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// copyJSON deep-copies a decoded JSON value.
func copyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = copyJSON(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = copyJSON(e)
		}
		return a
	}
	return v
}
