package contract

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// MutationKind names how a mutant differs from the valid instance it was
// derived from.
type MutationKind string

// The mutations Instance.Mutants applies.
const (
	RemoveRequired MutationKind = "required-removed"    // a required property removed
	WrongType      MutationKind = "wrong-type"          // a value replaced by one of a type the schema does not allow
	OutOfRange     MutationKind = "out-of-range"        // a number below minimum / above maximum, or not a multiple
	BadLength      MutationKind = "bad-length"          // a string shorter than minLength or longer than maxLength
	BadItemCount   MutationKind = "bad-item-count"      // an array with fewer than minItems or more than maxItems
	NotInEnum      MutationKind = "not-in-enum"         // a value outside enum, or different from const
	PatternBroken  MutationKind = "pattern-mismatch"    // a string that does not match pattern
	ExtraProperty  MutationKind = "additional-property" // a property added where additionalProperties is false
)

// Mutant is an invalid variant of a valid instance.
type Mutant struct {
	Kind        MutationKind
	Pointer     string // JSON pointer of the changed (added, removed, replaced) location
	Description string // what was changed, for messages
	Value       any    // the whole mutated document
}

// JSON returns the mutant as compact JSON.
func (m Mutant) JSON() []byte {
	b, _ := json.Marshal(m.Value)
	return b
}

// String describes the mutation: kind, JSON pointer and what changed.
func (m Mutant) String() string {
	return fmt.Sprintf("%s at %s: %s", m.Kind, ptrOrRoot(m.Pointer), m.Description)
}

// Mutants returns invalid variants of the instance, at most one per kind and
// location, each confirmed invalid against the instance's schema (a
// candidate that the schema still accepts, for example because another oneOf
// branch takes it, is dropped). The order is deterministic.
func (in *Instance) Mutants() []Mutant {
	root, err := in.set.lookup(in.Ref)
	if err != nil {
		return nil
	}
	var out []Mutant
	seen := map[string]bool{}
	add := func(kind MutationKind, ptr, desc string, doc any) {
		key := string(kind) + " " + ptr
		if seen[key] {
			return
		}
		if in.set.validAt(root.loc, doc) == nil {
			return
		}
		seen[key] = true
		out = append(out, Mutant{Kind: kind, Pointer: ptr, Description: desc, Value: doc})
	}
	for _, s := range in.sites {
		v, ok := lookupPointer(in.Value, s.ptr)
		if !ok {
			continue
		}
		for _, c := range candidates(s.e, v) {
			ptr := s.ptr
			if c.member != "" {
				ptr += "/" + escapeToken(c.member)
			}
			var doc any
			if c.remove {
				doc = removeAt(in.Value, ptr)
			} else {
				doc = replaceAt(in.Value, ptr, c.value)
			}
			add(c.kind, ptr, c.desc, doc)
		}
	}
	return out
}

type candidate struct {
	kind   MutationKind
	member string // for object members: the member added or removed
	remove bool
	value  any
	desc   string
}

// candidates lists mutations of value v whose effective schema is e.
func candidates(e *eff, v any) []candidate {
	var cs []candidate
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(e.required) {
			if _, ok := x[k]; ok {
				cs = append(cs, candidate{kind: RemoveRequired, member: k, remove: true, desc: fmt.Sprintf("required property %q removed", k)})
			}
		}
		if e.addlFalse {
			k := "unexpectedProperty"
			for x[k] != nil || e.props[k] != nil {
				k += "_"
			}
			cs = append(cs, candidate{kind: ExtraProperty, member: k, value: true, desc: fmt.Sprintf("property %q added (additionalProperties is false)", k)})
		}
	case []any:
		if e.minItems > 0 {
			cs = append(cs, candidate{kind: BadItemCount, value: copyJSON(x[:e.minItems-1]), desc: fmt.Sprintf("%d items, minItems is %d", e.minItems-1, e.minItems)})
		}
		if e.maxItems >= 0 && len(x) > 0 {
			long := copyJSON(x).([]any)
			for len(long) <= e.maxItems {
				long = append(long, copyJSON(x[0]))
			}
			cs = append(cs, candidate{kind: BadItemCount, value: long, desc: fmt.Sprintf("%d items, maxItems is %d", len(long), e.maxItems)})
		}
	case string:
		if e.minLen > 0 {
			s := strings.Repeat("a", e.minLen-1)
			cs = append(cs, candidate{kind: BadLength, value: s, desc: fmt.Sprintf("string of length %d, minLength is %d", e.minLen-1, e.minLen)})
		}
		if e.maxLen >= 0 {
			s := strings.Repeat("a", e.maxLen+1)
			cs = append(cs, candidate{kind: BadLength, value: s, desc: fmt.Sprintf("string of length %d, maxLength is %d", e.maxLen+1, e.maxLen)})
		}
		for _, p := range e.patterns {
			re, err := regexp.Compile(p)
			if err != nil {
				continue
			}
			for _, s := range []string{"", "!", "~~ not matching ~~", " ", "0", "a"} {
				if !re.MatchString(s) {
					cs = append(cs, candidate{kind: PatternBroken, value: s, desc: fmt.Sprintf("%q does not match pattern %q", s, p)})
					break
				}
			}
		}
	case json.Number:
		r, ok := new(big.Rat).SetString(string(x))
		if !ok {
			break
		}
		one := big.NewRat(1, 1)
		if e.min != nil {
			below := new(big.Rat).Sub(e.min, one)
			if e.exMin {
				below = e.min
			}
			cs = append(cs, candidate{kind: OutOfRange, value: json.Number(ratDecimal(below)), desc: fmt.Sprintf("%s, below the minimum %s", ratDecimal(below), bound(e.min, e.exMin))})
		}
		if e.max != nil {
			above := new(big.Rat).Add(e.max, one)
			if e.exMax {
				above = e.max
			}
			cs = append(cs, candidate{kind: OutOfRange, value: json.Number(ratDecimal(above)), desc: fmt.Sprintf("%s, above the maximum %s", ratDecimal(above), bound(e.max, e.exMax))})
		}
		if len(e.multipleOf) > 0 {
			half := new(big.Rat).Quo(e.multipleOf[0], big.NewRat(2, 1))
			off := new(big.Rat).Add(r, half)
			cs = append(cs, candidate{kind: OutOfRange, value: json.Number(ratDecimal(off)), desc: fmt.Sprintf("%s, not a multiple of %s", ratDecimal(off), e.multipleOf[0].RatString())})
		}
	}
	if e.hasEnum {
		cs = append(cs, candidate{kind: NotInEnum, value: notIn(e.enum, v), desc: "value outside the enum " + compact(e.enum)})
	}
	if e.hasConst {
		cs = append(cs, candidate{kind: NotInEnum, value: notIn([]any{e.constV}, v), desc: "value different from the const " + compact(e.constV)})
	}
	if e.types != nil {
		if w, ok := wrongTypeValue(e.types); ok {
			cs = append(cs, candidate{kind: WrongType, value: w, desc: fmt.Sprintf("%s replaced by %s", describe(v), describe(w))})
		}
	}
	return cs
}

func bound(r *big.Rat, excl bool) string {
	if excl {
		return ratDecimal(r) + " (exclusive)"
	}
	return ratDecimal(r)
}

// wrongTypeValue returns a value of a JSON type that types excludes.
func wrongTypeValue(types map[string]bool) (any, bool) {
	switch {
	case !types["string"]:
		return "not-a-" + firstType(types), true
	case !types["integer"] && !types["number"]:
		return json.Number("12345"), true
	case !types["object"]:
		return map[string]any{"unexpected": "object"}, true
	case !types["boolean"]:
		return true, true
	case !types["array"]:
		return []any{}, true
	case !types["null"]:
		return nil, true
	}
	return nil, false
}

func firstType(types map[string]bool) string {
	for _, t := range allTypes {
		if types[t] {
			return t
		}
	}
	return "value"
}

// notIn returns a value of the same JSON type as like that is not in list.
func notIn(list []any, like any) any {
	switch like.(type) {
	case json.Number:
		maxv := big.NewRat(0, 1)
		for _, x := range list {
			if r, ok := numRat(x); ok && r.Cmp(maxv) > 0 {
				maxv = r
			}
		}
		maxv.Add(maxv, big.NewRat(1, 1))
		if !maxv.IsInt() {
			maxv = new(big.Rat).SetInt(ratCeil(maxv))
		}
		return json.Number(ratDecimal(maxv))
	case bool:
		for _, b := range []bool{true, false} {
			if !containsJSON(list, b) {
				return b
			}
		}
	case string:
		s := "not-in-enum"
		for containsJSON(list, s) {
			s += "-" + strconv.Itoa(len(s))
		}
		return s
	}
	for _, c := range []any{"not-in-enum", json.Number("987654321"), false, nil} {
		if !containsJSON(list, c) {
			return c
		}
	}
	return map[string]any{"not": "in enum"}
}

// replaceAt returns a copy of doc with the value at ptr replaced by v.
func replaceAt(doc any, ptr string, v any) any {
	if ptr == "" {
		return copyJSON(v)
	}
	out := copyJSON(doc)
	parent, last := splitPointer(ptr)
	p, ok := lookupPointer(out, parent)
	if !ok {
		return out
	}
	switch c := p.(type) {
	case map[string]any:
		c[last] = copyJSON(v)
	case []any:
		if i, err := strconv.Atoi(last); err == nil && i >= 0 && i < len(c) {
			c[i] = copyJSON(v)
		}
	}
	return out
}

// removeAt returns a copy of doc without the object member at ptr.
func removeAt(doc any, ptr string) any {
	out := copyJSON(doc)
	parent, last := splitPointer(ptr)
	if p, ok := lookupPointer(out, parent); ok {
		if m, ok := p.(map[string]any); ok {
			delete(m, last)
		}
	}
	return out
}

func splitPointer(ptr string) (parent, last string) {
	i := strings.LastIndexByte(ptr, '/')
	return ptr[:i], unescapeToken(ptr[i+1:])
}
