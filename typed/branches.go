package typed

import (
	"encoding/json"
	"fmt"
)

// Branches holds the compiled schemas of the branches of the oneOf and
// anyOf types of a generated package that have no discriminator: such a
// value is decoded into the field of every branch whose schema it matches.
// The generated UnmarshalJSON of such a type is one call of OneOf or AnyOf:
//
//	func (v *Contact) UnmarshalJSON(b []byte) error {
//		*v = Contact{}
//		return distgenBranches.AnyOf("Contact", b,
//			typed.Into("contact.json#/anyOf/0", "Email", &v.Email),
//			typed.Into("contact.json#/anyOf/1", "Phone", &v.Phone),
//		)
//	}
//
// The schemas are compiled once, by CompileBranches; Branches is immutable
// and safe for concurrent use.
type Branches struct {
	schemas *Schemas
	refs    map[string]bool
}

// CompileBranches compiles the schemas at refs ("contact.json#/anyOf/0": a
// file path, relative to the schema directory, and a JSON pointer) of the
// schema files, with the loader of Compile: files is the same map, and
// references resolve as there. Errors name the reference and wrap ErrSchema.
func CompileBranches(files map[string]string, refs ...string) (*Branches, error) {
	schemas, err := Compile(files, nil)
	if err != nil {
		return nil, err
	}
	bs := &Branches{schemas: schemas, refs: make(map[string]bool, len(refs))}
	for _, ref := range refs {
		if _, err := schemas.at(ref); err != nil {
			return nil, fmt.Errorf("typed: compile branch schema %q: %w", ref, err)
		}
		bs.refs[ref] = true
	}
	return bs, nil
}

// MustCompileBranches is like CompileBranches but panics on error. It is
// meant for package variables of generated code, whose schemas are known to
// compile: a broken package then fails when it is initialized, not when a
// value is decoded.
func MustCompileBranches(files map[string]string, refs ...string) *Branches {
	bs, err := CompileBranches(files, refs...)
	if err != nil {
		panic(err)
	}
	return bs
}

// Branch is one branch of a oneOf or anyOf type: the reference of its
// schema and the field a matching value is decoded into. Make it with Into
// or IntoRaw.
type Branch struct {
	ref    string
	field  string
	decode func(b []byte) error
	reset  func()
}

// Into returns the branch whose schema is at ref, decoded into *dst (a new
// T) when the value matches it; field is the Go name of the field, for
// errors.
func Into[T any](ref, field string, dst **T) Branch {
	return Branch{
		ref:   ref,
		field: field,
		decode: func(b []byte) error {
			v := new(T)
			if err := json.Unmarshal(b, v); err != nil {
				return err
			}
			*dst = v
			return nil
		},
		reset: func() { *dst = nil },
	}
}

// IntoRaw returns the branch whose schema is at ref, kept as raw JSON in
// *dst when the value matches it.
func IntoRaw(ref, field string, dst *json.RawMessage) Branch {
	return Branch{
		ref:    ref,
		field:  field,
		decode: func(b []byte) error { *dst = append(json.RawMessage(nil), b...); return nil },
		reset:  func() { *dst = nil },
	}
}

// OneOf decodes b, one JSON value of the oneOf type typ, into the branch
// whose schema it matches. It returns a *BranchError when b matches none of
// them or more than one (then no field is left set), and the decoding error
// of a branch, prefixed with typ and the field.
func (bs *Branches) OneOf(typ string, b []byte, branches ...Branch) error {
	return bs.decode(typ, "oneOf", b, branches)
}

// AnyOf decodes b, one JSON value of the anyOf type typ, into every branch
// whose schema it matches. It returns a *BranchError when b matches none of
// them, and the decoding error of a branch, prefixed with typ and the field.
func (bs *Branches) AnyOf(typ string, b []byte, branches ...Branch) error {
	return bs.decode(typ, "anyOf", b, branches)
}

func (bs *Branches) decode(typ, keyword string, b []byte, branches []Branch) error {
	n := 0
	for _, br := range branches {
		if !bs.refs[br.ref] {
			return fmt.Errorf("%s: the schema of branch %s (%s) was not compiled: regenerate the package", typ, br.field, br.ref)
		}
		if !bs.schemas.Matches(br.ref, b) {
			continue
		}
		n++
		if err := br.decode(b); err != nil {
			return fmt.Errorf("%s: %s: %w", typ, br.field, err)
		}
	}
	if n == 0 || keyword == "oneOf" && n > 1 {
		for _, br := range branches {
			br.reset()
		}
		return &BranchError{Type: typ, Keyword: keyword, Matched: n}
	}
	return nil
}

// BranchError reports a value of a oneOf or anyOf type that matches none of
// the type's schemas, or (oneOf) more than one.
type BranchError struct {
	Type    string // the Go type
	Keyword string // "oneOf" or "anyOf"
	Matched int    // how many of the schemas the value matches
}

// Error says how many schemas the value matched and how many are allowed.
func (e *BranchError) Error() string {
	if e.Matched == 0 {
		return fmt.Sprintf("%s: the value matches none of the %s schemas", e.Type, e.Keyword)
	}
	return fmt.Sprintf("%s: the value matches %d of the %s schemas, exactly one is allowed", e.Type, e.Matched, e.Keyword)
}
