package gen

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distributer/distributer/schema"
)

// An override is an entry of "overrides" in distgen.json: the Go type of
// the schemas it matches, in place of the one of the type mapping (like
// sqlc's overrides). It matches one schema by location ("schema"), the
// schemas of a format ("format") or the schemas of a JSON type that have
// no format ("type").
type overrideDecl struct {
	ptr      string // its location in distgen.json
	loc      *loc   // "schema": the schema it replaces
	format   string // "format"
	jsonType string // "type"
	goType   *tref
	spelled  string // go_type as written
	used     bool
}

// goBuiltins are the predeclared types an override may name, with the JSON
// types whose values they can hold.
var goBuiltins = map[string][]string{
	"bool": {"boolean"}, "string": {"string"},
	"int": {"integer"}, "int8": {"integer"}, "int16": {"integer"}, "int32": {"integer"}, "int64": {"integer"},
	"uint": {"integer"}, "uint8": {"integer"}, "uint16": {"integer"}, "uint32": {"integer"}, "uint64": {"integer"},
	"float32": {"integer", "number"}, "float64": {"integer", "number"},
}

// qualifiedType is an import path, a dot and an exported type name:
// github.com/shopspring/decimal.Decimal, time.Duration.
var qualifiedType = regexp.MustCompile(`^([A-Za-z0-9_~+-][A-Za-z0-9_.~+-]*(?:/[A-Za-z0-9_~+-][A-Za-z0-9_.~+-]*)*)\.([A-Z][A-Za-z0-9_]*)$`)

// parseGoType reads the go_type of an override: a predeclared type
// (int64), or an exported type of a package named by its import path
// (github.com/shopspring/decimal.Decimal). The message says what is wrong
// when it is neither.
func parseGoType(s string) (*tref, string) {
	if _, ok := goBuiltins[s]; ok {
		return &tref{kind: tBuiltin, name: s}, ""
	}
	m := qualifiedType.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Sprintf("go_type %q is not a Go type distgen can use", s)
	}
	return &tref{kind: tBuiltin, pkg: m[1], name: m[2]}, ""
}

// loadOverrides reads the "overrides" of distgen.json (root) and checks
// them: a valid go_type, exactly one of schema, format and type, a schema
// that resolves, no matcher given twice, a predeclared go_type that can
// hold the JSON type it replaces.
func (s *Input) loadOverrides(mf *file, root *node, resolve func(ptr, ref string) (loc, *schema.Error)) ([]*overrideDecl, *schema.Error) {
	on := root.Get("overrides")
	if on == nil {
		return nil, nil
	}
	var out []*overrideDecl
	seen := map[string]string{}
	for i, d := range on.Arr {
		ptr := fmt.Sprintf("/overrides/%d", i)
		o := &overrideDecl{ptr: ptr, spelled: d.Get("go_type").Str}
		var msg string
		if o.goType, msg = parseGoType(o.spelled); msg != "" {
			return nil, errAt(ErrManifest, mf, ptr+"/go_type", msg, "write a predeclared type (int64, float64, string, ...) or an import path, a dot and an exported type name (github.com/shopspring/decimal.Decimal)")
		}
		var keys []string
		for _, k := range []string{"schema", "format", "type"} {
			if d.Get(k) != nil {
				keys = append(keys, k)
			}
		}
		if len(keys) != 1 {
			return nil, errAt(ErrManifest, mf, ptr, fmt.Sprintf("an override matches by exactly one of schema, format and type; this one has %d (%s)", len(keys), strings.Join(keys, ", ")), "split it into one override per matcher")
		}
		match := keys[0] + " " + d.Get(keys[0]).Str
		switch keys[0] {
		case "schema":
			l, e := resolve(ptr+"/schema", d.Get("schema").Str)
			if e != nil {
				return nil, e
			}
			o.loc = &l
			match = "schema " + l.String()
		case "format":
			o.format = d.Get("format").Str
		case "type":
			o.jsonType = d.Get("type").Str
			if fits, ok := goBuiltins[o.goType.name]; ok && o.goType.pkg == "" && !contains(fits, o.jsonType) {
				return nil, errAt(ErrManifest, mf, ptr+"/go_type", fmt.Sprintf("go_type %s cannot hold a JSON %s", o.spelled, o.jsonType), "choose a Go type for "+o.jsonType+" values")
			}
		}
		if prev, dup := seen[match]; dup {
			return nil, errAt(ErrManifest, mf, ptr, fmt.Sprintf("this override matches the same schemas as %s (%s)", prev, match), "keep one of them")
		}
		seen[match] = ptr
		out = append(out, o)
	}
	return out, nil
}

// locOverride returns the override of the schema at l, nil when there is
// none.
func (m *mapper) locOverride(l loc) *overrideDecl {
	for _, o := range m.set.overrides {
		if o.loc != nil && *o.loc == l {
			o.used = true
			return o
		}
	}
	return nil
}

// scalarOverride returns the Go type that an override gives a schema of
// JSON type jsonType ("integer", "string", ...), nil when none does: the
// override of its format, else, without a format, that of its type. A
// predeclared go_type that cannot hold the schema's values is an error.
func (m *mapper) scalarOverride(l loc, n *node, jsonType string) *tref {
	format := ""
	if f := n.Get("format"); f != nil && f.Kind == kString {
		format = f.Str
	}
	for _, o := range m.set.overrides {
		if o.loc != nil || o.format != format || o.format == "" && o.jsonType != jsonType {
			continue
		}
		o.used = true
		if fits, ok := goBuiltins[o.goType.name]; ok && o.goType.pkg == "" && !contains(fits, jsonType) {
			m.errs = append(m.errs, errAt(ErrManifest, m.set.manifestFile, o.ptr+"/go_type", fmt.Sprintf("go_type %s cannot hold the %s values of %s", o.spelled, jsonType, l), "choose a Go type for "+jsonType+" values, or match the schemas by location"))
		}
		return o.goType
	}
	return nil
}

// unusedOverrides reports the overrides by location whose schema the
// generator never mapped (it is not a type of its own, a member, an item
// or a definition: under not, if, ...).
func (m *mapper) unusedOverrides() {
	for _, o := range m.set.overrides {
		if o.loc != nil && !o.used {
			m.errs = append(m.errs, errAt(ErrManifest, m.set.manifestFile, o.ptr+"/schema", fmt.Sprintf("override of %s: no Go type is generated for that schema", o.loc), "point at a file, a definition, a member, an item or a map value"))
		}
	}
}
