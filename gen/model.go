package gen

import (
	"fmt"
	"math/big"
	"path"
	"strconv"
	"strings"

	"github.com/distributer/distributer/schema"
)

// tkind is the shape of a Go type expression.
type tkind uint8

const (
	tBuiltin tkind = iota // pkg.name or name
	tNamed                // a generated named type
	tSlice
	tMap
	tPtr
	tParam    // the type parameter of a generic envelope
	tNullable // Nullable[elem]: an optional member that may be null
)

// tref is a Go type expression.
type tref struct {
	kind  tkind
	pkg   string // import path of a builtin ("" for predeclared)
	name  string // builtin name
	named *named
	elem  *tref
}

var (
	tString  = &tref{kind: tBuiltin, name: "string"}
	tBool    = &tref{kind: tBuiltin, name: "bool"}
	tInt64   = &tref{kind: tBuiltin, name: "int64"}
	tUint64  = &tref{kind: tBuiltin, name: "uint64"}
	tFloat64 = &tref{kind: tBuiltin, name: "float64"}
	tTime    = &tref{kind: tBuiltin, pkg: "time", name: "Time"}
	tRaw     = &tref{kind: tBuiltin, pkg: "encoding/json", name: "RawMessage"}
	tBytes   = &tref{kind: tSlice, elem: &tref{kind: tBuiltin, name: "byte"}}
)

var intFormats = map[string]string{
	"int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64",
	"uint8": "uint8", "uint16": "uint16", "uint32": "uint32", "uint64": "uint64",
}

func ptrTo(t *tref) *tref { return &tref{kind: tPtr, elem: t} }

// isRaw reports whether t is json.RawMessage (or a named alias of it).
func (t *tref) isRaw() bool {
	if t.kind == tNamed && t.named.kind == nDefined && t.named.alias {
		return t.named.under.isRaw()
	}
	return t.kind == tBuiltin && t.pkg == "encoding/json" && t.name == "RawMessage"
}

// nkind is the kind of a generated named type.
type nkind uint8

const (
	nStruct  nkind = iota
	nEnum          // named scalar with constants
	nDefined       // type X <under> (or alias)
	nTuple         // JSON array of fixed positions
	nSum           // oneOf/anyOf
)

// named is a generated named type.
type named struct {
	name   string
	loc    string // file#pointer it comes from
	kind   nkind
	title  string   // the schema's title (its first line), "" when none
	doc    []string // the schema's description, one element a line
	more   []string // a further paragraph (distgen.json's description of an envelope)
	params bool     // generic envelope: has a type parameter T

	fields []*field // nStruct
	extras []*extra // nStruct: additionalProperties / patternProperties

	under *tref // nDefined, nEnum (base type)
	alias bool  // nDefined: type X = under

	values []enumValue // nEnum
	null   bool        // nEnum: null is among the values (decoding null is a no-op)

	items []*field // nTuple (name, type; required = position < minItems)
	rest  *tref    // nTuple: type of items after the fixed ones, nil = none

	branches []*branch // nSum
	oneOf    bool
	disc     string // discriminator member, "" = validate against each branch

	examples [][]byte // raw JSON of the schema's examples
	building bool
}

type field struct {
	goName   string
	jsonName string
	t        *tref
	optional bool // omitempty
	omitzero bool // omitzero instead (Nullable members)
	doc      []string
}

type extra struct {
	goName  string
	pattern string // "" = additionalProperties
	t       *tref  // value type
}

type enumValue struct {
	goName string
	lit    any // string, int64 / uint64, bool
	raw    string
}

type branch struct {
	goName string
	t      *tref
	ref    string // file#pointer of the branch schema
	disc   string // discriminator value
}

// mapper maps the schemas of a set to Go types.
type mapper struct {
	set          *Input
	ns           *namespace
	byLoc        map[string]*named
	types        []*named
	refs         map[string]bool // ref chains being followed
	errs         schema.ErrorList
	needRe       bool
	needNullable bool
	sums         bool
	needExtras   bool
}

func newMapper(s *Input, ns *namespace) *mapper {
	return &mapper{set: s, ns: ns, byLoc: map[string]*named{}, refs: map[string]bool{}}
}

func (m *mapper) fail(kind error, l loc, msg, hint string) {
	m.errs = append(m.errs, errAt(kind, l.f, l.ptr, msg, hint))
}

// fileHint is the Go name for a file's root schema.
func fileHint(f *file) string {
	if n := f.Root.Get("x-distgen-name"); n != nil && n.Kind == kString && isExportedIdent(n.Str) {
		return n.Str
	}
	base := strings.TrimSuffix(path.Base(f.Path), ".json")
	base = strings.TrimSuffix(base, ".schema")
	if g := goName(base); g != "" {
		return g
	}
	return "Schema"
}

// hintFor derives a readable Go name from a schema location.
func (m *mapper) hintFor(l loc) string {
	name := fileHint(l.f)
	cur := l.f.Root
	toks := splitPointer(l.ptr)
	for i := 0; i < len(toks); i++ {
		kw := toks[i]
		arg := ""
		if i+1 < len(toks) {
			arg = toks[i+1]
		}
		switch kw {
		case "properties":
			name += goNameOr(arg, "Field")
			i++
		case "$defs", "definitions":
			name = goNameOr(arg, name+"Def")
			i++
		case "patternProperties":
			name += "Value"
			i++
		case "dependentSchemas", "dependencies":
			name += goNameOr(arg, "Dep")
			i++
		case "items":
			if cur != nil && cur.Get("items") != nil && cur.Get("items").Kind == kArray {
				name += "Item" + arg
				i++
			} else {
				name += "Item"
			}
		case "prefixItems":
			name += "Item" + arg
			i++
		case "additionalProperties":
			name += "Value"
		case "additionalItems":
			name += "Rest"
		case "oneOf", "anyOf":
			n, _ := strconv.Atoi(arg)
			name += "Option" + strconv.Itoa(n+1)
			i++
		case "allOf":
			i++
		default:
			i++ // if/then/not...: keep the parent's name
		}
		next := l.f.Root.Lookup("/" + strings.Join(escapeAll(toks[:min(i+1, len(toks))]), "/"))
		if next != nil {
			cur = next
			if x := next.Get("x-distgen-name"); x != nil && x.Kind == kString && isExportedIdent(x.Str) {
				name = x.Str
			} else if t := next.Get("title"); t != nil && t.Kind == kString && (kw == "oneOf" || kw == "anyOf") {
				if g := goName(t.Str); g != "" && len(g) <= 40 {
					name = strings.TrimSuffix(name, "Option"+strconv.Itoa(atoi(arg)+1)) + g
				}
			}
		}
	}
	return name
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func escapeAll(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = escapePointer(t)
	}
	return out
}

func goNameOr(s, def string) string {
	if g := goName(s); g != "" {
		return g
	}
	return def
}

// docOf returns the doc lines of a schema: title, then description.
func docOf(n *node) []string {
	var parts []string
	for _, k := range []string{"title", "description"} {
		if v := n.Get(k); v != nil && v.Kind == kString && strings.TrimSpace(v.Str) != "" {
			if len(parts) > 0 {
				parts = append(parts, "")
			}
			parts = append(parts, docLines(v.Str)...)
		}
	}
	return parts
}

func examplesOf(n *node) [][]byte {
	var out [][]byte
	if e := n.Get("examples"); e != nil && e.Kind == kArray {
		for _, x := range e.Arr {
			out = append(out, x.Raw)
		}
	}
	return out
}

// newNamed registers a named type for l.
func (m *mapper) newNamed(l loc, k nkind) *named {
	n := l.node()
	nt := &named{kind: k, loc: l.String(), building: true}
	if x := n.Get("x-distgen-name"); x != nil && x.Kind == kString && isExportedIdent(x.Str) {
		nt.name = x.Str // reserved up front; collisions were reported
	} else {
		nt.name = m.ns.unique(m.hintFor(l))
	}
	nt.title, nt.doc = docParts(n)
	nt.examples = examplesOf(n)
	m.byLoc[l.String()] = nt
	m.types = append(m.types, nt)
	return nt
}

// typeAt returns the Go type of the schema at l, and whether null is
// allowed. top: give even scalars and arrays a named type (roots, $defs,
// $ref targets).
func (m *mapper) typeAt(l loc, top bool) (*tref, bool) {
	n := l.node()
	if n == nil || n.Kind == kBool {
		return tRaw, false
	}
	if nt, ok := m.byLoc[l.String()]; ok {
		return &tref{kind: tNamed, named: nt}, m.nullable(n)
	}
	// m.refs holds the schemas being mapped that have no named type yet: a
	// schema reached again before it has one refers to itself with no
	// object, array or sum in between.
	key := l.String()
	if m.refs[key] {
		m.fail(ErrUnsupported, l, "the schema refers to itself with no object, array, oneOf or anyOf in between (circular $ref)", "make the recursion go through an object member or array items")
		return tRaw, false
	}
	m.refs[key] = true
	defer delete(m.refs, key)
	if o := m.locOverride(l); o != nil {
		return m.maybeNamed(l, o.goType, top), m.nullable(n)
	}
	if r := n.Get("$ref"); r != nil && r.Kind == kString && !hasObjectKeywords(n) {
		target, err := m.set.resolveRef(l, r.Str)
		if err != nil {
			m.errs = append(m.errs, err)
			return tRaw, false
		}
		if nt, ok := m.byLoc[target.String()]; ok {
			return &tref{kind: tNamed, named: nt}, m.nullable(n) || m.nullable(target.node())
		}
		t, null := m.typeAt(target, true)
		return t, null || m.nullable(n)
	}
	if n.Get("$dynamicRef") != nil || n.Get("$recursiveRef") != nil {
		return tRaw, false // documented fallback
	}
	if n.Get("const") != nil || n.Get("enum") != nil {
		return m.enumType(l, n)
	}
	if a := n.Get("allOf"); a != nil && a.Kind == kArray {
		return m.allOfType(l, n, top)
	}
	if r := n.Get("$ref"); r != nil && r.Kind == kString {
		return m.allOfType(l, n, top) // $ref beside properties: merged like allOf
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		if a := n.Get(k); a != nil && a.Kind == kArray {
			return m.sumType(l, n, k)
		}
	}
	types, null := typeSet(n)
	if len(types) == 0 {
		types = inferTypes(n)
	}
	if len(types) == 2 && types[0] == "integer" && types[1] == "number" {
		types = []string{"number"}
	}
	if len(types) != 1 {
		return m.maybeNamed(l, tRaw, top), null
	}
	if t := m.scalarOverride(l, n, types[0]); t != nil {
		return m.maybeNamed(l, t, top), null
	}
	switch types[0] {
	case "object":
		return m.objectType(l, n, top), null
	case "array":
		return m.arrayType(l, n, top), null
	}
	if t := scalarType(n, types[0]); t != nil {
		return m.maybeNamed(l, t, top), null
	}
	return m.maybeNamed(l, tRaw, top), true // "null"
}

// scalarType is the Go type of the schema n of the JSON type typ (string,
// integer, number or boolean), nil for another type.
func scalarType(n *node, typ string) *tref {
	switch typ {
	case "string":
		if f := n.Get("format"); f != nil && f.Kind == kString && f.Str == "date-time" {
			return tTime
		} else if ce := n.Get("contentEncoding"); ce != nil && ce.Kind == kString && ce.Str == "base64" {
			return tBytes
		}
		return tString
	case "integer":
		return intType(n)
	case "number":
		if f := n.Get("format"); f != nil && f.Kind == kString && f.Str == "float" {
			return &tref{kind: tBuiltin, name: "float32"}
		}
		return tFloat64
	case "boolean":
		return tBool
	}
	return nil
}

func hasObjectKeywords(n *node) bool {
	for _, k := range []string{"properties", "patternProperties", "allOf"} {
		if n.Get(k) != nil {
			return true
		}
	}
	return false
}

func (m *mapper) nullable(n *node) bool {
	_, null := typeSet(n)
	return null
}

// typeSet returns the "type" keyword's types (sorted, without "null") and
// whether "null" is among them.
func typeSet(n *node) ([]string, bool) {
	t := n.Get("type")
	if t == nil {
		return nil, false
	}
	var out []string
	null := false
	add := func(s string) {
		if s == "null" {
			null = true
			return
		}
		for _, x := range out {
			if x == s {
				return
			}
		}
		out = append(out, s)
	}
	switch t.Kind {
	case kString:
		add(t.Str)
	case kArray:
		for _, e := range t.Arr {
			if e.Kind == kString {
				add(e.Str)
			}
		}
	}
	if len(out) == 0 && null {
		return []string{"null"}, true
	}
	sortStrings(out)
	return out, null
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// inferTypes guesses the type of a schema without "type" from its keywords.
func inferTypes(n *node) []string {
	has := func(ks ...string) bool {
		for _, k := range ks {
			if n.Get(k) != nil {
				return true
			}
		}
		return false
	}
	switch {
	case has("properties", "additionalProperties", "patternProperties", "required", "minProperties", "maxProperties", "propertyNames"):
		return []string{"object"}
	case has("items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains", "additionalItems"):
		return []string{"array"}
	case has("minLength", "maxLength", "pattern", "format", "contentEncoding"):
		return []string{"string"}
	case has("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
		return []string{"number"}
	}
	return nil
}

// intType picks the Go integer type: format wins, then minimum >= 0 ->
// uint64, else int64.
func intType(n *node) *tref {
	if f := n.Get("format"); f != nil && f.Kind == kString {
		if g, ok := intFormats[f.Str]; ok {
			return &tref{kind: tBuiltin, name: g}
		}
	}
	for _, k := range []string{"minimum", "exclusiveMinimum"} {
		if v := n.Get(k); v != nil && v.Kind == kNumber {
			r, ok := new(big.Rat).SetString(v.Str)
			if ok && r.Sign() >= 0 || ok && k == "exclusiveMinimum" && r.Cmp(big.NewRat(-1, 1)) >= 0 {
				return tUint64
			}
		}
	}
	return tInt64
}

// maybeNamed gives t a named type when the schema is top-level.
func (m *mapper) maybeNamed(l loc, t *tref, top bool) *tref {
	if !top {
		return t
	}
	nt := m.newNamed(l, nDefined)
	nt.under = t
	nt.alias = t.kind == tBuiltin && t.pkg != "" || t == tBytes
	nt.building = false
	return &tref{kind: tNamed, named: nt}
}

// finishNamed completes a named defined type registered early (nil: t is
// used inline).
func (m *mapper) finishNamed(nt *named, t *tref) *tref {
	if nt == nil {
		return t
	}
	nt.under = t
	nt.building = false
	return &tref{kind: tNamed, named: nt}
}

func (m *mapper) objectType(l loc, n *node, top bool) *tref {
	props := n.Get("properties")
	pats := n.Get("patternProperties")
	addl := n.Get("additionalProperties")
	nprops := 0
	if props != nil && props.Kind == kObject {
		nprops = len(props.Keys)
	}
	npats := 0
	if pats != nil && pats.Kind == kObject {
		npats = len(pats.Keys)
	}
	addlFalse := addl != nil && addl.Kind == kBool && !addl.Bool
	if nprops == 0 && npats == 0 {
		switch {
		case addl != nil && !addlFalse:
			var nt *named
			if top {
				nt = m.newNamed(l, nDefined)
			}
			vt, null := m.typeAt(loc{l.f, l.ptr + "/additionalProperties"}, false)
			return m.finishNamed(nt, &tref{kind: tMap, elem: elemType(vt, null)})
		case addlFalse:
			nt := m.newNamed(l, nStruct)
			nt.building = false
			return &tref{kind: tNamed, named: nt}
		}
		return m.maybeNamed(l, &tref{kind: tMap, elem: tRaw}, top)
	}
	if nprops == 0 && npats == 1 && addl == nil {
		var nt *named
		if top {
			nt = m.newNamed(l, nDefined)
		}
		vt, null := m.typeAt(loc{l.f, l.ptr + "/patternProperties/" + escapePointer(pats.Keys[0])}, false)
		return m.finishNamed(nt, &tref{kind: tMap, elem: elemType(vt, null)})
	}
	nt := m.newNamed(l, nStruct)
	m.fillStruct(nt, []loc{l})
	nt.building = false
	return &tref{kind: tNamed, named: nt}
}

func elemType(t *tref, null bool) *tref {
	if null && !t.isRaw() {
		return ptrTo(t)
	}
	return t
}

// fillStruct fills the fields of nt from the properties of parts (in
// order: allOf branches, then the schema itself). Extras come from the last
// part.
func (m *mapper) fillStruct(nt *named, parts []loc) {
	fns := fieldNamespace()
	seen := map[string]bool{}
	required := requiredMembers(parts)
	for _, p := range parts {
		props := p.node().Get("properties")
		if props == nil || props.Kind != kObject {
			continue
		}
		for i, name := range props.Keys {
			pn := props.Vals[i]
			if seen[name] || pn.Kind == kBool && !pn.Bool {
				continue
			}
			seen[name] = true
			pl := loc{p.f, p.ptr + "/properties/" + escapePointer(name)}
			if !validTag(name) {
				m.fail(ErrUnsupported, pl, fmt.Sprintf("member name %q cannot be written as a Go json tag (encoding/json allows letters, digits and !#$%%&()*+-./:;<=>?@[]^_{|}~ and space)", name), "rename the member")
				continue
			}
			t, null := m.typeAt(pl, false)
			f := &field{jsonName: name, doc: docOf(pn)}
			g := goName(name)
			if x := pn.Get("x-distgen-name"); x != nil && x.Kind == kString && pn.Get("$ref") == nil {
				if !isExportedIdent(x.Str) {
					m.fail(schema.ErrSchema, loc{pl.f, pl.ptr + "/x-distgen-name"}, fmt.Sprintf("x-distgen-name %q is not an exported Go identifier", x.Str), "use a name such as UserProfile")
				}
				g = x.Str
			}
			if g == "" {
				g = "Field"
			}
			f.goName = fns.unique(g)
			m.memberType(f, t, null, required[name])
			nt.fields = append(nt.fields, f)
		}
	}
	last := parts[len(parts)-1]
	ln := last.node()
	if pats := ln.Get("patternProperties"); pats != nil && pats.Kind == kObject {
		for i, p := range pats.Keys {
			vt, null := m.typeAt(loc{last.f, last.ptr + "/patternProperties/" + escapePointer(p)}, false)
			g := "PatternProperties"
			if len(pats.Keys) > 1 {
				g += strconv.Itoa(i + 1)
			}
			nt.extras = append(nt.extras, &extra{goName: fns.unique(g), pattern: p, t: elemType(vt, null)})
			m.needRe = true
		}
	}
	if addl := ln.Get("additionalProperties"); addl != nil && !(addl.Kind == kBool && !addl.Bool) {
		vt, null := m.typeAt(loc{last.f, last.ptr + "/additionalProperties"}, false)
		nt.extras = append(nt.extras, &extra{goName: fns.unique("AdditionalProperties"), t: elemType(vt, null)})
	}
	if len(nt.extras) > 0 {
		m.needExtras = true
	}
}

// requiredMembers returns the members that the parts of an object require.
func requiredMembers(parts []loc) map[string]bool {
	required := map[string]bool{}
	for _, p := range parts {
		if r := p.node().Get("required"); r != nil && r.Kind == kArray {
			for _, e := range r.Arr {
				if e.Kind == kString {
					required[e.Str] = true
				}
			}
		}
	}
	return required
}

// memberType sets the type of the member f, whose schema maps to t (null:
// it may be null): a pointer when it is optional, may be null or contains
// its own struct, Nullable when it is optional and may be null.
func (m *mapper) memberType(f *field, t *tref, null, required bool) {
	// A member whose struct type is being built contains itself: it must
	// be a pointer.
	self := t.kind == tNamed && t.named.building && (t.named.kind == nStruct || t.named.kind == nTuple || t.named.kind == nSum)
	switch {
	case !required && null && !self && !t.isRaw():
		// Absent, null and a value are three states.
		f.optional = true
		f.omitzero = true
		m.needNullable = true
		t = &tref{kind: tNullable, elem: t}
	case !required:
		f.optional = true
		if !t.isRaw() {
			t = ptrTo(t)
		}
	case null || self:
		if !t.isRaw() {
			t = ptrTo(t)
		}
	}
	f.t = t
}

func (m *mapper) arrayType(l loc, n *node, top bool) *tref {
	var prefix []loc
	var rest *node
	restPtr := ""
	items := n.Get("items")
	if l.f.Draft == draft07 || l.f.Draft == draft2019 {
		if items != nil && items.Kind == kArray {
			for i := range items.Arr {
				prefix = append(prefix, loc{l.f, fmt.Sprintf("%s/items/%d", l.ptr, i)})
			}
			rest, restPtr = n.Get("additionalItems"), "/additionalItems"
		} else {
			rest, restPtr = items, "/items"
		}
	} else {
		if p := n.Get("prefixItems"); p != nil && p.Kind == kArray {
			for i := range p.Arr {
				prefix = append(prefix, loc{l.f, fmt.Sprintf("%s/prefixItems/%d", l.ptr, i)})
			}
		}
		rest, restPtr = items, "/items"
	}
	if len(prefix) == 0 {
		var nt *named
		if top {
			nt = m.newNamed(l, nDefined) // before the items: they may refer back
		}
		et := tRaw
		if rest != nil {
			t, null := m.typeAt(loc{l.f, l.ptr + restPtr}, false)
			et = elemType(t, null)
		}
		return m.finishNamed(nt, &tref{kind: tSlice, elem: et})
	}
	nt := m.newNamed(l, nTuple)
	minItems := 0
	if mi := n.Get("minItems"); mi != nil && mi.Kind == kNumber {
		minItems, _ = strconv.Atoi(mi.Str)
	}
	fns := fieldNamespace()
	for i, p := range prefix {
		t, null := m.typeAt(p, false)
		g := "Item" + strconv.Itoa(i)
		if x := p.node().Get("x-distgen-name"); x != nil && x.Kind == kString && isExportedIdent(x.Str) {
			g = x.Str
		} else if tt := p.node().Get("title"); tt != nil && tt.Kind == kString && goName(tt.Str) != "" && len(goName(tt.Str)) <= 30 {
			g = goName(tt.Str)
		}
		f := &field{goName: fns.unique(g), t: t, doc: docOf(p.node())}
		if i >= minItems || null {
			f.optional = i >= minItems
			if !t.isRaw() {
				f.t = ptrTo(t)
			}
		}
		nt.items = append(nt.items, f)
	}
	if rest == nil || rest.Kind != kBool || rest.Bool {
		if rest == nil || rest.Kind == kBool {
			nt.rest = tRaw
		} else {
			t, null := m.typeAt(loc{l.f, l.ptr + restPtr}, false)
			nt.rest = elemType(t, null)
		}
	}
	nt.building = false
	return &tref{kind: tNamed, named: nt}
}

func isIntLiteral(s string) bool {
	return !strings.ContainsAny(s, ".eE")
}

func (m *mapper) enumType(l loc, n *node) (*tref, bool) {
	var vals []*node
	if c := n.Get("const"); c != nil {
		vals = []*node{c}
	} else if e := n.Get("enum"); e != nil && e.Kind == kArray {
		vals = e.Arr
	}
	null := false
	var rest []*node
	for _, v := range vals {
		if v.Kind == kNull {
			null = true
			continue
		}
		rest = append(rest, v)
	}
	if len(rest) == 0 {
		return tRaw, null
	}
	var base *tref
	k := rest[0].Kind
	for _, v := range rest {
		if v.Kind != k || k == kNumber && !isIntLiteral(v.Str) {
			k = kNull // mixed or fractional: fallback
			break
		}
	}
	switch k {
	case kString:
		base = tString
	case kBool:
		base = tBool
	case kNumber:
		base = tInt64
		for _, v := range rest {
			if _, err := strconv.ParseInt(v.Str, 10, 64); err != nil {
				base = tUint64
				if _, err := strconv.ParseUint(v.Str, 10, 64); err != nil {
					return m.maybeNamed(l, tRaw, true), null
				}
			}
		}
	default:
		return m.maybeNamed(l, tRaw, true), null // documented fallback
	}
	nt := m.newNamed(l, nEnum)
	nt.under = base
	nt.null = null
	names := m.enumNames(l, n, vals)
	for i, v := range rest {
		label := ""
		if i < len(names) {
			label = names[i]
		}
		ev, label := enumConst(v, k, base, label)
		g := goNameBody(label)
		if g == "" {
			if label == "" {
				g = "Empty"
			} else {
				g = "Value" + strconv.Itoa(i+1)
			}
		}
		ev.goName = m.ns.unique(nt.name + g)
		nt.values = append(nt.values, ev)
	}
	nt.building = false
	return &tref{kind: tNamed, named: nt}, null
}

// enumNames returns the names x-distgen-enum-names gives the values (null
// aside; "" where a name is not a string), nil without them.
func (m *mapper) enumNames(l loc, n *node, vals []*node) []string {
	x := n.Get("x-distgen-enum-names")
	if x == nil || x.Kind != kArray {
		return nil
	}
	if len(x.Arr) != len(vals) {
		m.fail(schema.ErrSchema, loc{l.f, l.ptr + "/x-distgen-enum-names"}, fmt.Sprintf("x-distgen-enum-names has %d names for %d enum values", len(x.Arr), len(vals)), "give one name per value, in the order of enum")
		return nil
	}
	var names []string
	for i, v := range vals {
		if v.Kind != kNull && x.Arr[i].Kind == kString {
			names = append(names, x.Arr[i].Str)
		} else if v.Kind != kNull {
			names = append(names, "")
		}
	}
	return names
}

// enumConst returns the constant of the enum value v (of kind k, Go type
// base) and the label its Go name is made of: label, or the value's text.
func enumConst(v *node, k schema.Kind, base *tref, label string) (enumValue, string) {
	ev := enumValue{raw: string(v.Raw)}
	switch k {
	case kString:
		ev.lit = v.Str
		if label == "" {
			label = v.Str
		}
	case kBool:
		ev.lit = v.Bool
		if label == "" {
			label = strconv.FormatBool(v.Bool)
		}
	case kNumber:
		if base == tInt64 {
			x, _ := strconv.ParseInt(v.Str, 10, 64)
			ev.lit = x
		} else {
			x, _ := strconv.ParseUint(v.Str, 10, 64)
			ev.lit = x
		}
		if label == "" {
			label = strings.Replace(v.Str, "-", "Minus", 1)
		}
	}
	return ev, label
}

// allOfType merges the branches of allOf (and a $ref beside properties).
func (m *mapper) allOfType(l loc, n *node, top bool) (*tref, bool) {
	var parts []loc
	var flatten func(l loc, depth int)
	flatten = func(l loc, depth int) {
		if depth > 32 {
			return
		}
		n := l.node()
		if n == nil || n.Kind != kObject {
			return
		}
		if r := n.Get("$ref"); r != nil && r.Kind == kString {
			t, err := m.set.resolveRef(l, r.Str)
			if err != nil {
				m.errs = append(m.errs, err)
			} else {
				flatten(t, depth+1)
			}
		}
		if a := n.Get("allOf"); a != nil && a.Kind == kArray {
			for i := range a.Arr {
				flatten(loc{l.f, fmt.Sprintf("%s/allOf/%d", l.ptr, i)}, depth+1)
			}
		}
		parts = append(parts, l)
	}
	flatten(l, 0)
	var typed []loc
	objectish := false
	for _, p := range parts {
		pn := p.node()
		ts, _ := typeSet(pn)
		if len(ts) == 0 {
			ts = inferTypes(pn)
		}
		shaped := pn.Get("properties") != nil || pn.Get("oneOf") != nil || pn.Get("anyOf") != nil || pn.Get("enum") != nil || pn.Get("const") != nil || pn.Get("items") != nil || pn.Get("prefixItems") != nil || pn.Get("additionalProperties") != nil || pn.Get("patternProperties") != nil
		if len(ts) == 1 && ts[0] == "object" {
			objectish = true
		}
		if shaped || len(ts) > 0 && p != l {
			typed = append(typed, p)
		}
	}
	null := m.nullable(n)
	// One part gives the shape: reuse its type (a shared named type when it
	// was reached by $ref).
	withProps := 0
	for _, p := range parts {
		if p.node().Get("properties") != nil || p.node().Get("patternProperties") != nil {
			withProps++
		}
	}
	if len(typed) == 1 && typed[0] != l && withProps <= 1 {
		t, null2 := m.typeAt(typed[0], m.isTarget(typed[0]))
		return t, null || null2
	}
	if !objectish && withProps == 0 {
		if len(typed) > 0 {
			t, null2 := m.typeAt(typed[0], m.isTarget(typed[0]))
			return t, null || null2
		}
		return m.maybeNamed(l, tRaw, top), null
	}
	nt := m.newNamed(l, nStruct)
	m.fillStruct(nt, parts)
	nt.building = false
	return &tref{kind: tNamed, named: nt}, null
}

// isTarget reports whether l is a root or a definition (reached by $ref).
func (m *mapper) isTarget(l loc) bool {
	if l.ptr == "" {
		return true
	}
	toks := splitPointer(l.ptr)
	return len(toks) >= 2 && (toks[len(toks)-2] == "$defs" || toks[len(toks)-2] == "definitions")
}

func (m *mapper) sumType(l loc, n *node, kw string) (*tref, bool) {
	a := n.Get(kw)
	null := m.nullable(n)
	var bl []loc
	for i, b := range a.Arr {
		bloc := loc{l.f, fmt.Sprintf("%s/%s/%d", l.ptr, kw, i)}
		if ts, _ := typeSet(b); len(ts) == 1 && ts[0] == "null" && b.Get("properties") == nil {
			null = true
			continue
		}
		bl = append(bl, bloc)
	}
	if len(bl) == 0 {
		return tRaw, null
	}
	if len(bl) == 1 {
		t, null2 := m.typeAt(bl[0], false)
		return t, null || null2
	}
	if n.Get("properties") != nil {
		return m.maybeNamed(l, tRaw, true), null // documented fallback
	}
	nt := m.newNamed(l, nSum)
	nt.oneOf = kw == "oneOf"
	m.sums = true
	fns := fieldNamespace()
	for _, b := range bl {
		t, null2 := m.typeAt(b, false)
		br := &branch{t: t, ref: b.String()}
		if null2 && !t.isRaw() {
			br.t = ptrTo(t)
		}
		br.goName = fns.unique(branchName(t))
		nt.branches = append(nt.branches, br)
	}
	nt.disc = m.discriminator(bl, nt.branches)
	nt.building = false
	return &tref{kind: tNamed, named: nt}, null
}

func branchName(t *tref) string {
	switch t.kind {
	case tNamed:
		return t.named.name
	case tSlice:
		return "Array"
	case tMap:
		return "Object"
	case tPtr:
		return branchName(t.elem)
	}
	switch t.name {
	case "RawMessage":
		return "Value"
	case "Time":
		return "Time"
	}
	return goName(t.name)
}

// discriminator finds a member that every branch requires with a distinct
// constant string value.
func (m *mapper) discriminator(bl []loc, brs []*branch) string {
	resolve := func(l loc) *node {
		for i := 0; i < 8; i++ {
			n := l.node()
			r := n.Get("$ref")
			if r == nil || r.Kind != kString {
				return n
			}
			t, err := m.set.resolveRef(l, r.Str)
			if err != nil {
				return nil
			}
			l = t
		}
		return nil
	}
	var cand []string
	for i, b := range bl {
		n := resolve(b)
		if n == nil {
			return ""
		}
		props := n.Get("properties")
		req := n.Get("required")
		if props == nil || req == nil || req.Kind != kArray {
			return ""
		}
		var here []string
		for _, r := range req.Arr {
			if r.Kind != kString {
				continue
			}
			if constString(props.Get(r.Str)) != nil {
				here = append(here, r.Str)
			}
		}
		if i == 0 {
			cand = here
		} else {
			cand = intersect(cand, here)
		}
	}
	for _, c := range cand {
		vals := map[string]bool{}
		ok := true
		for i, b := range bl {
			v := constString(resolve(b).Get("properties").Get(c))
			if vals[*v] {
				ok = false
				break
			}
			vals[*v] = true
			brs[i].disc = *v
		}
		if ok {
			return c
		}
	}
	for _, b := range brs {
		b.disc = ""
	}
	return ""
}

func constString(n *node) *string {
	if n == nil {
		return nil
	}
	if c := n.Get("const"); c != nil && c.Kind == kString {
		return &c.Str
	}
	if e := n.Get("enum"); e != nil && e.Kind == kArray && len(e.Arr) == 1 && e.Arr[0].Kind == kString {
		return &e.Arr[0].Str
	}
	return nil
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

// fieldNamespace is a namespace for the fields of a generated struct: the
// names of the methods distgen may generate on it are taken.
func fieldNamespace() *namespace {
	ns := newNamespace()
	for _, n := range []string{"MarshalJSON", "UnmarshalJSON", "Part"} {
		ns.reserve(n)
	}
	return ns
}
