package compat

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// The comparison decides, for a writer schema W and a reader schema R,
// whether every value W accepts R accepts (W ⊆ R), keyword by keyword:
//
//   - Both schemas are flattened into conjunctions: a $ref (with its
//     siblings from 2019-09 on; alone in draft-07) and every allOf branch
//     become conjuncts, so that a $ref moved into or out of $defs and the
//     order of allOf branches change nothing.
//   - anyOf/oneOf of the writer split it into cases (one per branch);
//     every case must be contained in R.
//   - R holds when each of its conjuncts holds. A conjunct of R holds when
//     a conjunct of W is structurally equal to it, or when each of its
//     keywords is implied by W's keywords of the same kind: types, bounds
//     (the tightest of W against R's), enum/const (a writer with finitely
//     many values is decided exactly by validating each one against R),
//     required, the content model per property name (properties,
//     patternProperties, additionalProperties, unevaluatedProperties: the
//     writer's model decides whether it can send a name, the reader's what
//     it accepts under it), items per position, and the combinators.
//   - Keywords that are not modelled (contains, dependentSchemas, if/then/
//     else, ...) hold only when W has an equal one; otherwise they are
//     reported, so that "compatible" is never claimed without reason.
//   - Recursion terminates: a pair (W, R) met again while being compared is
//     assumed to hold, which is sound because every counterexample is a
//     finite value and shows up at a finite depth.
//
// Every shortfall is a finding with a rule name (rules.go).

// maxSteps bounds the work of one comparison; past it the comparison
// reports ANALYSIS_LIMIT.
const maxSteps = 200000

// maxCases bounds the writer cases made by splitting anyOf/oneOf.
const maxCases = 64

// raw is a finding before it is placed in a report.
type raw struct {
	rule  string
	ip    string // instance location
	msg   string
	w     []sch // writer schemas at ip
	r     sch   // reader schema at ip
	hasR  bool
	op    string // witness hint: "remove" (the property at ip) or "set"
	wPath string // where the witness search places values, when not ip
	hints []any  // values worth trying at ip
}

// checker compares one writer set against one reader set.
type checker struct {
	w, r    *side
	out     []raw
	inProg  map[string]bool
	eq      map[string]bool
	eqProg  map[string]int
	eqLow   int
	eqDepth int
	steps   int
	limited bool
}

func newChecker(w, r *side) *checker {
	return &checker{w: w, r: r, inProg: map[string]bool{}, eq: map[string]bool{}, eqProg: map[string]int{}}
}

// emit records a finding whose rule is nameNew when the reader r is the
// new schema and nameOld when it is the old one.
func (c *checker) emit(r sch, nameNew, nameOld, ip, msg string, ws []sch) *raw {
	name := nameOld
	if r.sd.isNew {
		name = nameNew
	}
	c.out = append(c.out, raw{rule: name, ip: ip, msg: msg, w: ws, r: r, hasR: true, op: "set"})
	return &c.out[len(c.out)-1]
}

// trial runs f and returns the findings it made, which are taken back.
func (c *checker) trial(f func()) []raw {
	n := len(c.out)
	f()
	got := append([]raw(nil), c.out[n:]...)
	c.out = c.out[:n]
	return got
}

func firstMsg(fs []raw) string {
	if len(fs) == 0 {
		return ""
	}
	f := fs[0]
	at := f.ip
	if at == "" {
		at = "/"
	}
	return fmt.Sprintf(" (at %s: %s: %s)", at, f.rule, f.msg)
}

// resolve follows the $ref of s.
func (c *checker) resolve(s sch, r string) (sch, bool) {
	l, err := s.sd.src.Resolve(s.loc, r)
	if err != nil {
		return sch{}, false
	}
	v, ok := s.sd.src.Value(l)
	if !ok {
		return sch{}, false
	}
	return sch{sd: s.sd, loc: l, v: v}, true
}

// flatten turns s into its conjuncts. false: s rejects everything.
func (c *checker) flatten(s sch) ([]sch, bool) {
	var out []sch
	ok := c.flattenInto(s, &out, 0)
	return out, !ok
}

func (c *checker) flattenInto(s sch, out *[]sch, depth int) bool {
	switch v := s.v.(type) {
	case bool:
		return v
	case map[string]any:
		if depth > 64 {
			*out = append(*out, s)
			return true
		}
		if r, ok := v["$ref"].(string); ok {
			t, found := c.resolve(s, r)
			if s.draft() == 7 {
				if !found {
					*out = append(*out, s)
					return true
				}
				return c.flattenInto(t, out, depth+1)
			}
			if found && !c.flattenInto(t, out, depth+1) {
				return false
			}
		}
		*out = append(*out, s)
		if all, ok := v["allOf"].([]any); ok {
			for i, b := range all {
				if !c.flattenInto(s.child(b, "allOf", strconv.Itoa(i)), out, depth+1) {
					return false
				}
			}
		}
	}
	return true
}

func (c *checker) flattenAll(ss []sch) ([]sch, bool) {
	var out []sch
	for _, s := range ss {
		if !c.flattenInto(s, &out, 0) {
			return nil, true
		}
	}
	return out, false
}

func keyOf(ss []sch) string {
	ks := make([]string, len(ss))
	for i, s := range ss {
		ks[i] = s.key()
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

// sub reports the ways a value accepted by every schema of ws can be
// rejected by r, at instance location ip.
func (c *checker) sub(ws []sch, r sch, ip string) {
	c.steps++
	if c.steps > maxSteps {
		if !c.limited {
			c.limited = true
			c.emit(r, "ANALYSIS_LIMIT", "ANALYSIS_LIMIT", ip, fmt.Sprintf("stopped after %d comparisons", maxSteps), ws)
		}
		return
	}
	wc, wFalse := c.flattenAll(ws)
	if wFalse {
		return
	}
	rc, rFalse := c.flatten(r)
	if rFalse {
		c.emit(r, "FALSE_SCHEMA_ADDED", "FALSE_SCHEMA_REMOVED", ip, "the reader's schema here is false", ws)
		return
	}
	if len(rc) == 0 {
		return
	}
	key := keyOf(wc) + "|" + r.key()
	if c.inProg[key] {
		return
	}
	c.inProg[key] = true
	defer delete(c.inProg, key)

	var pending []sch
	for _, rj := range rc {
		matched := false
		for _, wj := range wc {
			if c.equiv(wj, rj) {
				matched = true
				break
			}
		}
		if !matched && !rj.isTrue() {
			pending = append(pending, rj)
		}
	}
	if len(pending) == 0 {
		return
	}
	for _, cs := range c.split(wc) {
		for _, rj := range pending {
			c.conj(cs, rj, rc, ip)
		}
	}
}

// choice is a branch picked from a writer's anyOf/oneOf.
type choice struct {
	kw       string
	idx      int
	branches []sch
}

// wcase is one case of the writer: a conjunction, and the branches picked
// to make it.
type wcase struct {
	conj   []sch
	chosen []choice
	unsure bool // the case came from a disjunction: unevaluatedProperties of the writer is not trusted
}

// split turns the writer's disjunctions into cases.
func (c *checker) split(wc []sch) []wcase {
	cases := []wcase{{conj: wc}}
	done := map[string]bool{}
	for {
		progress := false
		var next []wcase
		for _, cs := range cases {
			found := false
			for _, s := range cs.conj {
				m := s.m()
				for _, kw := range []string{"oneOf", "anyOf"} {
					arr, ok := m[kw].([]any)
					if !ok || done[s.key()+kw] || found {
						continue
					}
					if len(cases)*len(arr) > maxCases {
						continue
					}
					found = true
					br := make([]sch, len(arr))
					for i, b := range arr {
						br[i] = s.child(b, kw, strconv.Itoa(i))
					}
					for i := range br {
						bc, bFalse := c.flatten(br[i])
						if bFalse {
							continue
						}
						nc := wcase{conj: append(append([]sch(nil), cs.conj...), bc...), chosen: append(append([]choice(nil), cs.chosen...), choice{kw, i, br}), unsure: true}
						next = append(next, nc)
					}
					done[s.key()+kw] = true
				}
			}
			if found {
				progress = true
			} else {
				next = append(next, cs)
			}
		}
		cases = next
		if !progress {
			break
		}
	}
	for i := range cases {
		for _, s := range cases[i].conj {
			m := s.m()
			for _, k := range []string{"if", "dependentSchemas", "dependencies", "not", "anyOf", "oneOf"} {
				if _, ok := m[k]; ok {
					cases[i].unsure = true
				}
			}
		}
	}
	return cases
}

// types returns the types a conjunction allows.
func types(ws []sch) int {
	t := tAll
	for _, s := range ws {
		if m := s.m(); m != nil {
			t &= typeMask(m)
		}
	}
	return t
}

// finite returns the values of a writer that allows finitely many, each
// checked against every conjunct.
func (c *checker) finite(ws []sch, tw int) ([]any, bool) {
	var cand []any
	found := false
	for _, s := range ws {
		m := s.m()
		if v, ok := m["const"]; ok {
			cand, found = []any{v}, true
			break
		}
		if e, ok := m["enum"].([]any); ok {
			cand, found = e, true
			break
		}
	}
	if !found {
		if tw&^(tNull|tBool) != 0 {
			return nil, false
		}
		if tw&tNull != 0 {
			cand = append(cand, nil)
		}
		if tw&tBool != 0 {
			cand = append(cand, false, true)
		}
	}
	var out []any
	for _, v := range cand {
		ok := true
		for _, s := range ws {
			if !s.sd.valid(s.loc, v) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, v)
		}
	}
	return out, true
}

func hasKW(ws []sch, k string) bool {
	for _, s := range ws {
		if _, ok := s.m()[k]; ok {
			return true
		}
	}
	return false
}

// conj reports how the writer case cs may violate the reader conjunct rj;
// rAll is the reader's whole conjunction (for unevaluatedProperties).
func (c *checker) conj(cs wcase, rj sch, rAll []sch, ip string) {
	m := rj.m()
	if m == nil {
		return
	}
	ws := cs.conj
	tw := types(ws)
	if tw == 0 {
		return
	}
	tr := typeMask(m)
	tt := typeMask(map[string]any{"type": m["type"]})
	typeFinding := false
	if tw&^tt != 0 {
		typeFinding = true
		msg := fmt.Sprintf("type %s -> %s", typeNames(tw), typeNames(tt))
		if !rj.sd.isNew {
			msg = fmt.Sprintf("type %s -> %s", typeNames(tt), typeNames(tw))
		}
		if tt&^tw == 0 {
			c.emit(rj, "TYPE_NARROWED", "TYPE_EXTENDED", ip, msg, ws)
		} else {
			c.emit(rj, "TYPE_CHANGED", "TYPE_CHANGED", ip, msg, ws)
		}
	}
	live := tw & tr
	if live == 0 && tw&tt == 0 {
		return
	}
	if vals, ok := c.finite(ws, tw); ok {
		c.finiteCheck(ws, rj, vals, ip, typeFinding, tr)
		return
	}
	if _, ok := m["const"]; ok {
		c.emit(rj, "CONST_ADDED", "CONST_REMOVED", ip, "const "+compactJSON(m["const"]), ws)
		return
	}
	if e, ok := m["enum"]; ok {
		c.emit(rj, "ENUM_ADDED", "ENUM_REMOVED", ip, "enum "+compactJSON(e), ws)
		return
	}
	if live&tString != 0 {
		c.strings(ws, rj, ip)
	}
	if live&(tInt|tNonInt) != 0 {
		c.numbers(ws, rj, live, ip)
	}
	if live&tArray != 0 {
		c.arrays(cs, rj, ip)
	}
	if live&tObject != 0 {
		c.objects(cs, rj, rAll, ip)
	}
	c.combinators(cs, rj, ip)
	c.others(ws, rj, ip)
}

func (c *checker) finiteCheck(ws []sch, rj sch, vals []any, ip string, typeFinding bool, tr int) {
	m := rj.m()
	var bad []any
	for _, v := range vals {
		if !rj.sd.valid(rj.loc, v) {
			bad = append(bad, v)
		}
	}
	if len(bad) == 0 {
		return
	}
	var rv []any
	_, isConst := m["const"]
	if isConst {
		rv = []any{m["const"]}
	} else if e, ok := m["enum"].([]any); ok {
		rv = e
	}
	in := func(v any, list []any) bool {
		for _, x := range list {
			if jsonEqual(v, x) {
				return true
			}
		}
		return false
	}
	if rv != nil {
		var missing, rest []any
		for _, v := range bad {
			if in(v, rv) {
				rest = append(rest, v)
			} else {
				missing = append(missing, v)
			}
		}
		if len(missing) > 0 {
			wHasConst, wHasEnum := hasKW(ws, "const"), hasKW(ws, "enum")
			wv := vals
			msg := fmt.Sprintf("%s no longer allowed", compactJSON(missing))
			if !rj.sd.isNew {
				msg = fmt.Sprintf("%s now allowed", compactJSON(missing))
			}
			switch {
			case isConst && wHasConst:
				c.emit(rj, "CONST_CHANGED", "CONST_CHANGED", ip, msg, ws)
			case isConst && !wHasEnum:
				c.emit(rj, "CONST_ADDED", "CONST_REMOVED", ip, msg, ws)
			case !wHasConst && !wHasEnum:
				c.emit(rj, "ENUM_ADDED", "ENUM_REMOVED", ip, msg, ws)
			default:
				sub := true
				for _, x := range rv {
					if !in(x, wv) {
						sub = false
					}
				}
				if sub || isConst {
					c.emit(rj, "ENUM_NARROWED", "ENUM_EXTENDED", ip, msg, ws)
				} else {
					c.emit(rj, "ENUM_CHANGED", "ENUM_CHANGED", ip, msg, ws)
				}
			}
		}
		bad = rest
	}
	if typeFinding {
		var rest []any
		for _, v := range bad {
			if valueType(v)&tr != 0 {
				rest = append(rest, v)
			}
		}
		bad = rest
	}
	if len(bad) > 0 && c.finiteCombinators(ws, rj, bad, ip) {
		return
	}
	if len(bad) > 0 {
		why := ""
		if err := rj.sd.validErr(rj.loc, bad[0]); err != nil {
			why = ": " + oneLine(err.Error())
		}
		c.emit(rj, "VALUE_REJECTED", "VALUE_REJECTED", ip, fmt.Sprintf("value %s%s", compactJSON(bad[0]), why), ws)
	}
}

// finiteCombinators names the reader's combinator that rejects values of
// a finite writer: a value no anyOf/oneOf branch accepts, one that two
// oneOf branches accept, one that not or if/then/else rejects.
func (c *checker) finiteCombinators(ws []sch, rj sch, bad []any, ip string) bool {
	m := rj.m()
	named := false
	for _, kw := range []string{"anyOf", "oneOf"} {
		arr, ok := m[kw].([]any)
		if !ok {
			continue
		}
		for _, v := range bad {
			n := 0
			for i := range arr {
				if rj.sd.valid(rj.child(arr[i], kw, strconv.Itoa(i)).loc, v) {
					n++
				}
			}
			var f *raw
			switch {
			case n == 0 && kw == "anyOf":
				f = c.emit(rj, "ANY_OF_NARROWED", "ANY_OF_EXTENDED", ip, "anyOf: no branch accepts "+compactJSON(v), ws)
			case n == 0:
				f = c.emit(rj, "ONE_OF_NARROWED", "ONE_OF_EXTENDED", ip, "oneOf: no branch accepts "+compactJSON(v), ws)
			case n > 1 && kw == "oneOf":
				f = c.emit(rj, "ONE_OF_AMBIGUOUS", "ONE_OF_AMBIGUOUS", ip, fmt.Sprintf("oneOf: %d branches accept %s", n, compactJSON(v)), ws)
			default:
				continue
			}
			f.hints = []any{v}
			named = true
			break
		}
	}
	if x, ok := m["not"]; ok {
		for _, v := range bad {
			if rj.sd.valid(rj.child(x, "not").loc, v) {
				name := "NOT_ADDED"
				if hasKW(ws, "not") {
					name = "NOT_CHANGED"
				}
				mirror := Mirror(name)
				f := c.emit(rj, name, mirror, ip, "not: forbids "+compactJSON(v), ws)
				f.hints = []any{v}
				named = true
				break
			}
		}
	}
	if _, ok := m["if"]; ok && !named {
		name := "CONDITIONAL_ADDED"
		if hasKW(ws, "if") {
			name = "CONDITIONAL_CHANGED"
		}
		f := c.emit(rj, name, Mirror(name), ip, "if/then/else rejects "+compactJSON(bad[0]), ws)
		f.hints = []any{bad[0]}
		named = true
	}
	return named
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

// lowerName and upperName name a bound the writer does not satisfy.
func lowerName(base string, wHas bool) (string, string) {
	if wHas {
		return base + "_INCREASED", base + "_DECREASED"
	}
	return base + "_ADDED", base + "_REMOVED"
}

func upperName(base string, wHas bool) (string, string) {
	if wHas {
		return base + "_DECREASED", base + "_INCREASED"
	}
	return base + "_ADDED", base + "_REMOVED"
}

// intBounds checks an integer lower or upper bound keyword.
func (c *checker) intBound(ws []sch, rj sch, kw, base string, lower bool, ip string) {
	rv, ok := intKW(rj.m(), kw)
	if !ok {
		return
	}
	if lower && rv <= 0 {
		return
	}
	var wv int64
	wHas := false
	for _, s := range ws {
		if v, ok := intKW(s.m(), kw); ok {
			if !wHas || (lower && v > wv) || (!lower && v < wv) {
				wv = v
			}
			wHas = true
		}
	}
	if wHas && ((lower && wv >= rv) || (!lower && wv <= rv)) {
		return
	}
	var nn, no string
	if lower {
		nn, no = lowerName(base, wHas)
	} else {
		nn, no = upperName(base, wHas)
	}
	c.emit(rj, nn, no, ip, boundMsg(kw, rj.sd.isNew, wHas, wv, rv), ws)
}

func boundMsg(kw string, rNew, wHas bool, wv, rv int64) string {
	ws, rs := "none", strconv.FormatInt(rv, 10)
	if wHas {
		ws = strconv.FormatInt(wv, 10)
	}
	if rNew {
		return fmt.Sprintf("%s %s -> %s", kw, ws, rs)
	}
	return fmt.Sprintf("%s %s -> %s", kw, rs, ws)
}

func (c *checker) strings(ws []sch, rj sch, ip string) {
	m := rj.m()
	c.intBound(ws, rj, "minLength", "MIN_LENGTH", true, ip)
	c.intBound(ws, rj, "maxLength", "MAX_LENGTH", false, ip)
	if p, ok := m["pattern"].(string); ok {
		wHas, same := false, false
		var wp string
		for _, s := range ws {
			if q, ok := s.m()["pattern"].(string); ok {
				wHas, wp = true, q
				if q == p {
					same = true
				}
			}
		}
		if !same {
			o, n := wp, p
			if !rj.sd.isNew {
				o, n = p, wp
			}
			msg := fmt.Sprintf("pattern %q -> %q", o, n)
			if wHas {
				c.emit(rj, "PATTERN_CHANGED", "PATTERN_CHANGED", ip, msg, ws)
			} else {
				c.emit(rj, "PATTERN_ADDED", "PATTERN_REMOVED", ip, msg, ws)
			}
		}
	}
	if f, ok := m["format"].(string); ok && assertedFormats[f] {
		wHas, same := false, false
		var wf string
		for _, s := range ws {
			if g, ok := s.m()["format"].(string); ok && assertedFormats[g] {
				wHas, wf = true, g
				if g == f {
					same = true
				}
			}
		}
		if !same {
			o, n := wf, f
			if !rj.sd.isNew {
				o, n = f, wf
			}
			msg := fmt.Sprintf("format %q -> %q (asserted)", o, n)
			if wHas {
				c.emit(rj, "FORMAT_CHANGED", "FORMAT_CHANGED", ip, msg, ws)
			} else {
				c.emit(rj, "FORMAT_ADDED", "FORMAT_REMOVED", ip, msg, ws)
			}
		}
	}
}

// bound is a numeric bound; nil val means none.
type bound struct {
	val  *big.Rat
	excl bool
}

func numBound(m map[string]any, lower bool) bound {
	incl, exclKW := "maximum", "exclusiveMaximum"
	if lower {
		incl, exclKW = "minimum", "exclusiveMinimum"
	}
	var b bound
	if r, ok := ratOf(m[incl]); ok {
		b = bound{val: r}
	}
	if r, ok := ratOf(m[exclKW]); ok {
		if b.val == nil || (lower && r.Cmp(b.val) >= 0) || (!lower && r.Cmp(b.val) <= 0) {
			b = bound{val: r, excl: true}
		}
	}
	return b
}

// tighter reports whether bound a is at least as tight as b.
func tighter(a, b bound, lower bool) bool {
	if b.val == nil {
		return true
	}
	if a.val == nil {
		return false
	}
	cmp := a.val.Cmp(b.val)
	if !lower {
		cmp = -cmp
	}
	return cmp > 0 || (cmp == 0 && (a.excl || !b.excl))
}

// intNorm turns a bound over integers into an inclusive integer bound.
func intNorm(b bound, lower bool) bound {
	if b.val == nil {
		return b
	}
	n, d := b.val.Num(), b.val.Denom()
	q := new(big.Int)
	if lower {
		// smallest integer allowed
		q.Div(n, d) // floor for positive d (Euclidean)
		if b.excl || new(big.Rat).SetInt(q).Cmp(b.val) < 0 {
			q.Add(q, big.NewInt(1))
		}
	} else {
		q.Div(n, d)
		if b.excl && new(big.Rat).SetInt(q).Cmp(b.val) == 0 {
			q.Sub(q, big.NewInt(1))
		}
	}
	return bound{val: new(big.Rat).SetInt(q)}
}

func boundString(b bound, lower bool) string {
	if b.val == nil {
		return "none"
	}
	op := "<="
	if lower {
		op = ">="
	}
	if b.excl {
		op = op[:1]
	}
	return op + " " + b.val.RatString()
}

func (c *checker) numbers(ws []sch, rj sch, live int, ip string) {
	m := rj.m()
	intOnly := live&tNonInt == 0
	for _, lower := range []bool{true, false} {
		rb := numBound(m, lower)
		if rb.val == nil {
			continue
		}
		var wb bound
		wHas := false
		for _, s := range ws {
			b := numBound(s.m(), lower)
			if b.val != nil {
				wHas = true
				if tighter(b, wb, lower) {
					wb = b
				}
			}
		}
		a, b := wb, rb
		if intOnly {
			a, b = intNorm(wb, lower), intNorm(rb, lower)
		}
		if tighter(a, b, lower) {
			continue
		}
		base := "MAXIMUM"
		nn, no := upperName(base, wHas)
		if lower {
			base = "MINIMUM"
			nn, no = lowerName(base, wHas)
		}
		o, n := boundString(wb, lower), boundString(rb, lower)
		if !rj.sd.isNew {
			o, n = n, o
		}
		c.emit(rj, nn, no, ip, fmt.Sprintf("bound %s -> %s", o, n), ws)
	}
	if mo, ok := ratOf(m["multipleOf"]); ok && mo.Sign() > 0 {
		okm := false
		wHas := false
		var wmo *big.Rat
		for _, s := range ws {
			if w, ok := ratOf(s.m()["multipleOf"]); ok && w.Sign() > 0 {
				wHas, wmo = true, w
				if new(big.Rat).Quo(w, mo).IsInt() {
					okm = true
				}
			}
		}
		if intOnly && new(big.Rat).Quo(big.NewRat(1, 1), mo).IsInt() {
			okm = true
		}
		if !okm {
			o, n := "none", mo.RatString()
			if wHas {
				o = wmo.RatString()
			}
			if !rj.sd.isNew {
				o, n = n, o
			}
			msg := fmt.Sprintf("multipleOf %s -> %s", o, n)
			if wHas {
				c.emit(rj, "MULTIPLE_OF_CHANGED", "MULTIPLE_OF_CHANGED", ip, msg, ws)
			} else {
				c.emit(rj, "MULTIPLE_OF_ADDED", "MULTIPLE_OF_REMOVED", ip, msg, ws)
			}
		}
	}
}

// item is the schema of one array position: from a tuple ("prefix"),
// from the schema of the remaining items ("rest"), or none ("absent").
type item struct {
	s    sch
	orig string
}

func tupleOf(s sch) (prefix []sch, rest *sch) {
	m := s.m()
	if s.draft() == 2020 {
		if p, ok := m["prefixItems"].([]any); ok {
			for i, x := range p {
				prefix = append(prefix, s.child(x, "prefixItems", strconv.Itoa(i)))
			}
		}
		if it, ok := m["items"]; ok {
			r := s.child(it, "items")
			rest = &r
		}
		return prefix, rest
	}
	switch it := m["items"].(type) {
	case []any:
		for i, x := range it {
			prefix = append(prefix, s.child(x, "items", strconv.Itoa(i)))
		}
		if ai, ok := m["additionalItems"]; ok {
			r := s.child(ai, "additionalItems")
			rest = &r
		}
	case nil:
	default:
		r := s.child(it, "items")
		rest = &r
	}
	return prefix, rest
}

func itemAt(s sch, i int) item {
	prefix, rest := tupleOf(s)
	if i < len(prefix) {
		return item{prefix[i], "prefix"}
	}
	if rest != nil {
		return item{*rest, "rest"}
	}
	return item{orig: "absent"}
}

func (c *checker) arrays(cs wcase, rj sch, ip string) {
	ws := cs.conj
	m := rj.m()
	c.intBound(ws, rj, "minItems", "MIN_ITEMS", true, ip)
	c.intBound(ws, rj, "maxItems", "MAX_ITEMS", false, ip)
	wMax := int64(-1)
	for _, s := range ws {
		if v, ok := intKW(s.m(), "maxItems"); ok && (wMax < 0 || v < wMax) {
			wMax = v
		}
	}
	if u, _ := m["uniqueItems"].(bool); u {
		ok := wMax >= 0 && wMax <= 1
		for _, s := range ws {
			if u2, _ := s.m()["uniqueItems"].(bool); u2 {
				ok = true
			}
		}
		if !ok {
			c.emit(rj, "UNIQUE_ITEMS_ADDED", "UNIQUE_ITEMS_REMOVED", ip, "uniqueItems", ws)
		}
	}
	rPrefix, _ := tupleOf(rj)
	n := len(rPrefix)
	for _, s := range ws {
		if p, _ := tupleOf(s); len(p) > n {
			n = len(p)
		}
	}
	for i := 0; i <= n; i++ {
		if wMax >= 0 && int64(i) >= wMax {
			break
		}
		ri := itemAt(rj, i)
		if ri.orig == "absent" || (ri.s.isTrue() && !ri.s.isFalse()) {
			continue
		}
		var wItems []sch
		wOrig := "absent"
		wNever := false
		for _, s := range ws {
			it := itemAt(s, i)
			if it.orig == "absent" {
				continue
			}
			if it.s.isFalse() {
				wNever = true
			}
			if it.orig == "prefix" || wOrig == "absent" {
				wOrig = it.orig
			}
			wItems = append(wItems, it.s)
		}
		if wNever {
			continue
		}
		ipi := ip + "/" + strconv.Itoa(i)
		where := fmt.Sprintf("item %d", i)
		if i == n {
			where = fmt.Sprintf("items from position %d on", i)
		}
		if ri.s.isFalse() {
			if wOrig == "prefix" {
				c.emit(rj, "TUPLE_ITEM_REMOVED_FROM_CLOSED_TUPLE", "TUPLE_ITEM_ADDED_TO_CLOSED_TUPLE", ipi, where, ws)
			} else {
				c.emit(rj, "ITEMS_CLOSED", "ITEMS_OPENED", ipi, where, ws)
			}
			continue
		}
		if wOrig == "absent" {
			got := c.trial(func() { c.sub(nil, ri.s, ipi) })
			if len(got) > 0 {
				var f *raw
				if ri.orig == "prefix" {
					f = c.emit(rj, "TUPLE_ITEM_ADDED_TO_OPEN_TUPLE", "TUPLE_ITEM_REMOVED_FROM_OPEN_TUPLE", ipi, where+firstMsg(got), ws)
				} else {
					f = c.emit(rj, "ITEMS_NARROWED", "ITEMS_EXTENDED", ipi, where+firstMsg(got), ws)
				}
				f.w, f.r = nil, ri.s
			}
			continue
		}
		c.sub(wItems, ri.s, ipi)
	}
}

// effProp returns the schemas that apply to property name p under the
// object schema s, and where they come from: "declared" (properties),
// "pattern", "additional", "closed" (false) or "open" (nothing applies).
// all is s's conjunction, for unevaluatedProperties; trust says whether it
// is complete.
func effProp(s sch, p string, all []sch, trust bool) ([]sch, string) {
	m := s.m()
	var out []sch
	orig := "open"
	if props, ok := m["properties"].(map[string]any); ok {
		if v, ok := props[p]; ok {
			out = append(out, s.child(v, "properties", p))
			orig = "declared"
		}
	}
	if pp, ok := m["patternProperties"].(map[string]any); ok {
		for _, k := range sortedKeys(pp) {
			if matches(k, p) {
				out = append(out, s.child(pp[k], "patternProperties", k))
				if orig != "declared" {
					orig = "pattern"
				}
			}
		}
	}
	if orig == "open" {
		var rest *sch
		if ap, ok := m["additionalProperties"]; ok {
			r := s.child(ap, "additionalProperties")
			rest = &r
		} else if up, ok := m["unevaluatedProperties"]; ok && trust && !evaluatedElsewhere(all, p) {
			r := s.child(up, "unevaluatedProperties")
			rest = &r
		}
		if rest != nil {
			switch {
			case rest.isFalse():
				return nil, "closed"
			case rest.isTrue():
				return nil, "open"
			}
			return []sch{*rest}, "additional"
		}
	}
	var keep []sch
	for _, x := range out {
		if x.isFalse() {
			return nil, "closed"
		}
		if !x.isTrue() {
			keep = append(keep, x)
		}
	}
	return keep, orig
}

// evaluatedElsewhere reports whether a conjunct of all evaluates name p
// (so unevaluatedProperties does not apply to it).
func evaluatedElsewhere(all []sch, p string) bool {
	for _, s := range all {
		m := s.m()
		if props, ok := m["properties"].(map[string]any); ok {
			if _, ok := props[p]; ok {
				return true
			}
		}
		if pp, ok := m["patternProperties"].(map[string]any); ok {
			for k := range pp {
				if matches(k, p) {
					return true
				}
			}
		}
		if _, ok := m["additionalProperties"]; ok {
			return true
		}
	}
	return false
}

func (c *checker) objects(cs wcase, rj sch, rAll []sch, ip string) {
	ws := cs.conj
	m := rj.m()
	for _, p := range stringList(m["required"]) {
		ok := false
		for _, s := range ws {
			for _, q := range stringList(s.m()["required"]) {
				if q == p {
					ok = true
				}
			}
		}
		if !ok {
			f := c.emit(rj, "REQUIRED_ADDED", "REQUIRED_REMOVED", ip+"/"+escTok(p), fmt.Sprintf("property %q", p), ws)
			f.op = "remove"
		}
	}
	c.intBound(ws, rj, "minProperties", "MIN_PROPERTIES", true, ip)
	c.intBound(ws, rj, "maxProperties", "MAX_PROPERTIES", false, ip)
	if dr, ok := m["dependentRequired"].(map[string]any); ok {
		for _, a := range sortedKeys(dr) {
			for _, b := range stringList(dr[a]) {
				ok := false
				for _, s := range ws {
					for _, q := range stringList(s.m()["required"]) {
						if q == b {
							ok = true
						}
					}
					if wd, ok2 := s.m()["dependentRequired"].(map[string]any); ok2 {
						for _, q := range stringList(wd[a]) {
							if q == b {
								ok = true
							}
						}
					}
				}
				if !ok {
					f := c.emit(rj, "DEPENDENT_REQUIRED_ADDED", "DEPENDENT_REQUIRED_REMOVED", ip+"/"+escTok(b), fmt.Sprintf("%q whenever %q is present", b, a), ws)
					f.op = "remove"
				}
			}
		}
	}

	// Per declared name.
	names := map[string]bool{}
	for _, s := range append([]sch{rj}, ws...) {
		if props, ok := s.m()["properties"].(map[string]any); ok {
			for k := range props {
				names[k] = true
			}
		}
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, p := range sorted {
		rEff, rOrig := effProp(rj, p, rAll, true)
		if rOrig == "open" {
			continue
		}
		var wEff []sch
		wOrig := "open"
		never := false
		for _, s := range ws {
			e, o := effProp(s, p, ws, !cs.unsure)
			switch o {
			case "closed":
				never = true
			case "declared":
				wOrig = "declared"
			case "pattern", "additional":
				if wOrig != "declared" {
					wOrig = "partial"
				}
			}
			wEff = append(wEff, e...)
		}
		if never {
			continue
		}
		ipp := ip + "/" + escTok(p)
		what := fmt.Sprintf("property %q", p)
		switch {
		case rOrig == "declared" && wOrig == "declared":
			for _, r := range rEff {
				c.sub(wEff, r, ipp)
			}
		case rOrig == "closed":
			if wOrig == "declared" {
				f := c.emit(rj, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "PROPERTY_ADDED_TO_CLOSED_CONTENT_MODEL", ipp, what, wEff)
				f.r = rj.child(false, "properties", p)
			}
		case wOrig == "declared": // reader: pattern or additional
			got := c.trial(func() {
				for _, r := range rEff {
					c.sub(wEff, r, ipp)
				}
			})
			if len(got) > 0 {
				f := c.emit(rj, "PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_CONTENT_MODEL", "PROPERTY_ADDED_TO_PARTIALLY_OPEN_CONTENT_MODEL", ipp, what+firstMsg(got), wEff)
				f.r = rEff[0]
			}
		case rOrig == "declared":
			got := c.trial(func() {
				for _, r := range rEff {
					c.sub(wEff, r, ipp)
				}
			})
			if len(got) > 0 {
				var f *raw
				if wOrig == "open" {
					f = c.emit(rj, "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", ipp, what+firstMsg(got), wEff)
				} else {
					f = c.emit(rj, "PROPERTY_ADDED_TO_PARTIALLY_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_CONTENT_MODEL", ipp, what+firstMsg(got), wEff)
				}
				if len(rEff) > 0 {
					f.r = rEff[0]
				}
			}
		}
	}

	// patternProperties of the reader.
	rpp, _ := m["patternProperties"].(map[string]any)
	for _, P := range sortedKeys(rpp) {
		rP := rj.child(rpp[P], "patternProperties", P)
		if rP.isTrue() {
			continue
		}
		same := false
		var firstGot []raw
		ok := false
		for _, s := range ws {
			cands, sameHere, never := patternSources(s, P, cs.unsure)
			same = same || sameHere
			if never {
				ok = true
				break
			}
			got := c.trial(func() {
				for _, w := range cands {
					c.sub([]sch{w}, rP, ip+"/"+escTok(P))
				}
			})
			if len(got) == 0 {
				ok = true
				break
			}
			if firstGot == nil {
				firstGot = got
			}
		}
		if len(ws) == 0 {
			firstGot = c.trial(func() { c.sub(nil, rP, ip) })
			ok = len(firstGot) == 0
		}
		if !ok {
			what := fmt.Sprintf("patternProperties %q", P) + firstMsg(firstGot)
			var f *raw
			if same {
				f = c.emit(rj, "PATTERN_PROPERTY_NARROWED", "PATTERN_PROPERTY_EXTENDED", ip, what, ws)
			} else {
				f = c.emit(rj, "PATTERN_PROPERTY_ADDED", "PATTERN_PROPERTY_REMOVED", ip, what, ws)
			}
			f.r = rP
			f.wPath = ip + "/" + escTok(sampleName(P))
		}
	}

	// Undeclared names: additionalProperties or unevaluatedProperties.
	var rRest *sch
	uneval := false
	if ap, ok := m["additionalProperties"]; ok {
		r := rj.child(ap, "additionalProperties")
		rRest = &r
	} else if up, ok := m["unevaluatedProperties"]; ok {
		r := rj.child(up, "unevaluatedProperties")
		rRest = &r
		uneval = true
		for _, s := range rAll {
			if _, ok := s.m()["additionalProperties"]; ok {
				rRest = nil
			}
		}
	}
	if rRest == nil || rRest.isTrue() {
		return
	}
	declared := func(name string) bool {
		if uneval {
			return evaluatedElsewhere(rAll, name)
		}
		if props, ok := m["properties"].(map[string]any); ok {
			if _, ok := props[name]; ok {
				return true
			}
		}
		for P := range rpp {
			if matches(P, name) {
				return true
			}
		}
		return false
	}
	ok := false
	var firstGot []raw
	for _, s := range ws {
		cands, never := restSources(s, rpp, cs.unsure)
		if never {
			ok = true
			break
		}
		got := c.trial(func() {
			for _, w := range cands {
				c.sub([]sch{w}, *rRest, ip)
			}
		})
		if len(got) == 0 {
			ok = true
			break
		}
		if firstGot == nil {
			firstGot = got
		}
	}
	if len(ws) == 0 {
		firstGot = c.trial(func() { c.sub(nil, *rRest, ip) })
		ok = len(firstGot) == 0
	}
	if ok {
		return
	}
	name := "extra"
	for i := 0; declared(name); i++ {
		name = fmt.Sprintf("extra%d", i)
	}
	kw := "additionalProperties"
	if uneval {
		kw = "unevaluatedProperties"
	}
	var f *raw
	if rRest.isFalse() {
		f = c.emit(rj, "CONTENT_MODEL_CLOSED", "CONTENT_MODEL_OPENED", ip, kw+": false (properties not declared)", ws)
	} else {
		f = c.emit(rj, "ADDITIONAL_PROPERTIES_NARROWED", "ADDITIONAL_PROPERTIES_EXTENDED", ip, kw+firstMsg(firstGot), ws)
	}
	f.r = *rRest
	f.wPath = ip + "/" + escTok(name)
}

// patternSources returns the writer schemas that may apply to a name
// matching the reader's pattern P in the writer conjunct s: its own entry
// for P when it has one, else its additionalProperties (or true) and its
// other patterns. never: s lets no such name through.
func patternSources(s sch, P string, unsure bool) (cands []sch, same, never bool) {
	m := s.m()
	pp, _ := m["patternProperties"].(map[string]any)
	if v, ok := pp[P]; ok {
		w := s.child(v, "patternProperties", P)
		return []sch{w}, true, w.isFalse()
	}
	for _, k := range sortedKeys(pp) {
		cands = append(cands, s.child(pp[k], "patternProperties", k))
	}
	return append(cands, restOf(s, unsure)), false, false
}

// restSources returns the writer schemas that may apply to a name the
// reader does not declare: additionalProperties (or true) and the patterns
// the reader does not have.
func restSources(s sch, rpp map[string]any, unsure bool) (cands []sch, never bool) {
	m := s.m()
	pp, _ := m["patternProperties"].(map[string]any)
	for _, k := range sortedKeys(pp) {
		if _, ok := rpp[k]; !ok {
			cands = append(cands, s.child(pp[k], "patternProperties", k))
		}
	}
	r := restOf(s, unsure)
	if r.isFalse() && len(cands) == 0 {
		return nil, true
	}
	return append(cands, r), false
}

func restOf(s sch, unsure bool) sch {
	m := s.m()
	if ap, ok := m["additionalProperties"]; ok {
		return s.child(ap, "additionalProperties")
	}
	if up, ok := m["unevaluatedProperties"]; ok && !unsure {
		return s.child(up, "unevaluatedProperties")
	}
	return s.child(true, "additionalProperties")
}

// sampleName returns a property name matching pattern P, for witnesses.
func sampleName(P string) string {
	for _, n := range []string{"x", "a", "x-extra", "extra", "A", "0", "_", "x_1", "aa"} {
		if matches(P, n) {
			return n
		}
	}
	return "x"
}

func (c *checker) combinators(cs wcase, rj sch, ip string) {
	m := rj.m()
	ws := cs.conj
	for _, kw := range []string{"anyOf", "oneOf"} {
		arr, ok := m[kw].([]any)
		if !ok {
			continue
		}
		br := make([]sch, len(arr))
		for i, b := range arr {
			br[i] = rj.child(b, kw, strconv.Itoa(i))
		}
		match := -1
		var best []raw
		for i, b := range br {
			got := c.trial(func() { c.sub(ws, b, ip) })
			if len(got) == 0 {
				match = i
				break
			}
			if best == nil || len(got) < len(best) {
				best = got
			}
		}
		if match < 0 {
			if kw == "anyOf" {
				c.emit(rj, "ANY_OF_NARROWED", "ANY_OF_EXTENDED", ip, "anyOf"+firstMsg(best), ws)
			} else {
				c.emit(rj, "ONE_OF_NARROWED", "ONE_OF_EXTENDED", ip, "oneOf"+firstMsg(best), ws)
			}
			continue
		}
		if kw != "oneOf" {
			continue
		}
		for k, b := range br {
			if k == match || c.excluded(cs, b) || c.disjoint(ws, b) {
				continue
			}
			c.emit(rj, "ONE_OF_AMBIGUOUS", "ONE_OF_AMBIGUOUS", ip, fmt.Sprintf("oneOf branches %d and %d may both match", match, k), ws)
			break
		}
	}
	if x, ok := m["not"]; ok {
		X := rj.child(x, "not")
		ok := false
		wHas := false
		for _, s := range ws {
			if y, has := s.m()["not"]; has {
				wHas = true
				Y := s.child(y, "not")
				if len(c.trial(func() { c.sub([]sch{X}, Y, ip) })) == 0 {
					ok = true
					break
				}
			}
		}
		if !ok && !c.disjoint(ws, X) {
			var f *raw
			if wHas {
				f = c.emit(rj, "NOT_CHANGED", "NOT_CHANGED", ip, "not "+compactJSON(x), ws)
			} else {
				f = c.emit(rj, "NOT_ADDED", "NOT_REMOVED", ip, "not "+compactJSON(x), ws)
			}
			f.hints = dataValues(x)
		}
	}
	if _, ok := m["if"]; ok {
		same := false
		wHas := false
		for _, s := range ws {
			wm := s.m()
			if _, ok := wm["if"]; !ok {
				continue
			}
			wHas = true
			eq := true
			for _, k := range []string{"if", "then", "else"} {
				a, aok := wm[k]
				b, bok := m[k]
				if aok != bok || (aok && !c.equiv(s.child(a, k), rj.child(b, k))) {
					eq = false
				}
			}
			if eq {
				same = true
				break
			}
		}
		if !same {
			if wHas {
				c.emit(rj, "CONDITIONAL_CHANGED", "CONDITIONAL_CHANGED", ip, "if/then/else", ws)
			} else {
				c.emit(rj, "CONDITIONAL_ADDED", "CONDITIONAL_REMOVED", ip, "if/then/else", ws)
			}
		}
	}
	if pn, ok := m["propertyNames"]; ok {
		R := rj.child(pn, "propertyNames")
		ok := R.isTrue()
		for _, s := range ws {
			if ok {
				break
			}
			if wp, has := s.m()["propertyNames"]; has {
				if len(c.trial(func() { c.sub([]sch{s.child(wp, "propertyNames")}, R, ip) })) == 0 {
					ok = true
				}
			}
		}
		if !ok && !cs.unsure {
			// A writer closed to its declared names: check each name.
			for _, s := range ws {
				sm := s.m()
				if ap, has := sm["additionalProperties"].(bool); has && !ap && sm["patternProperties"] == nil {
					props, _ := sm["properties"].(map[string]any)
					all := true
					for k := range props {
						if !R.sd.valid(R.loc, k) {
							all = false
						}
					}
					if all {
						ok = true
					}
				}
			}
		}
		if !ok {
			c.emit(rj, "PROPERTY_NAMES_NARROWED", "PROPERTY_NAMES_EXTENDED", ip, "propertyNames "+compactJSON(pn), ws)
		}
	}
}

// dataValues returns the const and enum values of a schema, as witness
// hints.
func dataValues(x any) []any {
	m, _ := x.(map[string]any)
	var out []any
	if v, ok := m["const"]; ok {
		out = append(out, v)
	}
	if e, ok := m["enum"].([]any); ok {
		out = append(out, e...)
	}
	return out
}

// excluded reports whether the reader branch b equals another branch of a
// oneOf that the writer case was picked from: a value of the case then
// does not match b.
func (c *checker) excluded(cs wcase, b sch) bool {
	for _, ch := range cs.chosen {
		if ch.kw != "oneOf" {
			continue
		}
		for l, x := range ch.branches {
			if l != ch.idx && c.equiv(x, b) {
				return true
			}
		}
	}
	return false
}

// disjoint reports whether no value satisfies both the conjunction ws and
// x, by types, finite values or a discriminating property.
func (c *checker) disjoint(ws []sch, x sch) bool {
	xc, xFalse := c.flatten(x)
	if xFalse {
		return true
	}
	tw, tx := types(ws), types(xc)
	if tw&tx == 0 {
		return true
	}
	if vals, ok := c.finite(ws, tw); ok {
		for _, v := range vals {
			if x.sd.valid(x.loc, v) {
				return false
			}
		}
		return true
	}
	if tw&tx != tObject {
		return false
	}
	required := func(ss []sch, p string) bool {
		for _, s := range ss {
			for _, q := range stringList(s.m()["required"]) {
				if q == p {
					return true
				}
			}
		}
		return false
	}
	values := func(ss []sch, p string) []any {
		for _, s := range ss {
			props, _ := s.m()["properties"].(map[string]any)
			pm, _ := props[p].(map[string]any)
			if v, ok := pm["const"]; ok {
				return []any{v}
			}
			if e, ok := pm["enum"].([]any); ok {
				return e
			}
		}
		return nil
	}
	for _, s := range xc {
		for _, p := range stringList(s.m()["required"]) {
			if !required(ws, p) {
				continue
			}
			a, b := values(ws, p), values(xc, p)
			if a == nil || b == nil {
				continue
			}
			common := false
			for _, u := range a {
				for _, v := range b {
					if jsonEqual(u, v) {
						common = true
					}
				}
			}
			if !common {
				return true
			}
		}
	}
	return false
}

// modelled keywords: everything else that asserts is compared for
// equality by others.
var unmodelled = []string{"contains", "minContains", "maxContains", "unevaluatedItems", "dependentSchemas",
	"dependencies", "$dynamicRef", "$recursiveRef"}

func (c *checker) others(ws []sch, rj sch, ip string) {
	m := rj.m()
	for _, k := range unmodelled {
		v, ok := m[k]
		if !ok {
			continue
		}
		same, wHas := false, false
		for _, s := range ws {
			wv, has := s.m()[k]
			if !has {
				continue
			}
			wHas = true
			if c.equivKW(k, s, wv, rj, v) {
				same = true
				break
			}
		}
		if same {
			continue
		}
		if k == "minContains" || k == "maxContains" {
			if _, ok := m["contains"]; !ok {
				continue
			}
		}
		if wHas {
			c.emit(rj, "KEYWORD_CHANGED", "KEYWORD_CHANGED", ip, k, ws)
		} else {
			c.emit(rj, "KEYWORD_ADDED", "KEYWORD_REMOVED", ip, k, ws)
		}
	}
}
