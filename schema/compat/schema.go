package compat

import (
	"encoding/json"
	"fmt"
	"github.com/distributer/distributer/internal/jsonval"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/distributer/distributer/contract"
)

// side is one of the two schema sets being compared.
type side struct {
	src   Source
	isNew bool
	name  string // "old", "new" or the base's name

	once sync.Once
	vset *contract.Generator
	verr error
}

func newSide(src Source, isNew bool, name string) *side {
	return &side{src: src, isNew: isNew, name: name}
}

// set returns the instance generator and validator of the side.
func (sd *side) set() (*contract.Generator, error) {
	sd.once.Do(func() { sd.vset, sd.verr = contract.NewGenerator(sd.src.Files()) })
	return sd.vset, sd.verr
}

// valid reports whether v is valid for the schema at loc of this side.
func (sd *side) valid(loc Location, v any) bool {
	return sd.validErr(loc, v) == nil
}

func (sd *side) validErr(loc Location, v any) error {
	s, err := sd.set()
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Validate(ref(loc), b)
}

// ref renders a location as a schema reference of package contract.
func ref(l Location) string {
	if l.Pointer == "" {
		return l.File
	}
	return l.File + "#" + l.Pointer
}

// sch is a schema of one side: its location and its value (a bool or an
// object; anything else counts as true).
type sch struct {
	sd  *side
	loc Location
	v   any
}

func (s sch) m() map[string]any { m, _ := s.v.(map[string]any); return m }

func (s sch) key() string { return s.sd.name + ":" + s.loc.String() }

func escTok(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}

// child returns the subschema v at the keyword path toks below s.
func (s sch) child(v any, toks ...string) sch {
	p := s.loc.Pointer
	for _, t := range toks {
		p += "/" + escTok(t)
	}
	return sch{sd: s.sd, loc: Location{s.loc.File, p}, v: v}
}

func (s sch) isTrue() bool {
	switch v := s.v.(type) {
	case bool:
		return v
	case map[string]any:
		for k := range v {
			if !annotation[k] {
				return false
			}
		}
		return true
	}
	return true
}

func (s sch) isFalse() bool { b, ok := s.v.(bool); return ok && !b }

func (s sch) draft() int { return s.sd.src.Draft(s.loc.File) }

// annotation lists keywords that never reject a value.
var annotation = map[string]bool{
	"$schema": true, "$id": true, "$anchor": true, "$dynamicAnchor": true, "$recursiveAnchor": true, "$comment": true,
	"$defs": true, "definitions": true, "$vocabulary": true, "title": true, "description": true, "default": true,
	"examples": true, "deprecated": true, "readOnly": true, "writeOnly": true, "contentMediaType": true,
	"contentEncoding": true, "contentSchema": true,
}

// assertedFormats are the formats the validator asserts in every draft.
var assertedFormats = map[string]bool{
	"date-time": true, "date": true, "time": true, "duration": true, "email": true, "idn-email": true,
	"hostname": true, "ipv4": true, "ipv6": true, "uri": true, "uri-reference": true, "uuid": true,
	"regex": true, "json-pointer": true,
}

// JSON types as a bit set; "number" is integer|nonInt.
const (
	tNull = 1 << iota
	tBool
	tInt
	tNonInt
	tString
	tArray
	tObject
	tAll = tNull | tBool | tInt | tNonInt | tString | tArray | tObject
)

var typeBits = map[string]int{"null": tNull, "boolean": tBool, "integer": tInt, "number": tInt | tNonInt,
	"string": tString, "array": tArray, "object": tObject}

func typeNames(t int) string {
	var out []string
	if t&(tInt|tNonInt) == tInt|tNonInt {
		out = append(out, "number")
	} else if t&tInt != 0 {
		out = append(out, "integer")
	} else if t&tNonInt != 0 {
		out = append(out, "non-integer number")
	}
	for _, n := range []string{"null", "boolean", "string", "array", "object"} {
		if t&typeBits[n] != 0 {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// valueType returns the type bit of a decoded JSON value.
func valueType(v any) int {
	switch x := v.(type) {
	case nil:
		return tNull
	case bool:
		return tBool
	case json.Number:
		if r, ok := rat(x); ok && r.IsInt() {
			return tInt
		}
		return tNonInt
	case float64:
		if x == float64(int64(x)) {
			return tInt
		}
		return tNonInt
	case string:
		return tString
	case []any:
		return tArray
	case map[string]any:
		return tObject
	}
	return 0
}

// typeMask is the set of types one schema object allows by type, const
// and enum.
func typeMask(m map[string]any) int {
	t := tAll
	switch ty := m["type"].(type) {
	case string:
		t = typeBits[ty]
	case []any:
		t = 0
		for _, x := range ty {
			if s, ok := x.(string); ok {
				t |= typeBits[s]
			}
		}
	}
	if c, ok := m["const"]; ok {
		t &= valueType(c)
	}
	if e, ok := m["enum"].([]any); ok {
		et := 0
		for _, v := range e {
			et |= valueType(v)
		}
		t &= et
	}
	return t
}

func rat(n json.Number) (*big.Rat, bool) { return jsonval.Rat(n) }

func ratOf(v any) (*big.Rat, bool) { return jsonval.Rat(v) }

// jsonEqual is JSON Schema equality of data values (1 equals 1.0).
func jsonEqual(a, b any) bool { return jsonval.Equal(a, b) }

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

func intKW(m map[string]any, k string) (int64, bool) {
	r, ok := ratOf(m[k])
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

var (
	reMu    sync.Mutex
	reCache = map[string]*regexp.Regexp{}
)

// matches reports whether name matches the patternProperties pattern p
// (Go regexp syntax, as the validator compiles patterns); a pattern that
// does not compile matches nothing.
func matches(p, name string) bool {
	reMu.Lock()
	re, ok := reCache[p]
	if !ok {
		re, _ = regexp.Compile(p)
		reCache[p] = re
	}
	reMu.Unlock()
	return re != nil && re.MatchString(name)
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func stringList(v any) []string {
	a, _ := v.([]any)
	out := make([]string, 0, len(a))
	for _, x := range a {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
