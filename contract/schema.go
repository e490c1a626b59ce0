package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/distributer/distributer/schema"
	"github.com/distributer/distributer/typed"
)

// ErrUnsatisfiable is wrapped by Generate's error when no valid instance
// could be produced for a schema.
var ErrUnsatisfiable = errors.New("no valid instance found")

// Generator is a schema set prepared for generating and validating instances: a
// schema.Set, the one schema core of the module (references, formats and
// validator configuration are those of typed and distgen), with the
// typed.Schemas that judges values. It is safe for concurrent use.
type Generator struct {
	set     *schema.Set
	schemas *typed.Schemas
}

// NewGenerator prepares files (slash-separated path relative to the schema
// directory -> JSON text, as for typed.Compile) for generation and
// validation. It fails as typed.Compile does: on a file that is not JSON or
// not a valid schema, and on a reference that does not resolve inside the
// set (schema.ErrRef, schema.ErrRemoteRef).
func NewGenerator(files map[string]string) (*Generator, error) {
	s, err := typed.Compile(files, nil)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	return setOf(s), nil
}

// setOf is the Generator of the schemas a typed.Schemas was compiled from.
func setOf(s *typed.Schemas) *Generator { return &Generator{set: s.Set(), schemas: s} }

// sub is a schema together with where it is: its location, for
// references, validation and messages, and its file's draft.
type sub struct {
	node  any // map[string]any or bool
	loc   schema.Loc
	draft schema.Draft
}

// location renders a schema location for humans: "order.json" or
// "order.json#/$defs/item".
func location(l schema.Loc) string {
	if l.Ptr == "" {
		return l.File.Path
	}
	return l.String()
}

// at is the sub of the schema at l.
func (s *Generator) at(l schema.Loc) sub {
	return sub{node: s.set.Value(l), loc: l, draft: l.File.Draft}
}

// lookup resolves ref ("user.json", "defs/image.json#/$defs/x",
// "https://example.com/schemas/user.json" when a file of the set has that
// $id) to a schema of the set.
func (s *Generator) lookup(ref string) (sub, error) {
	l, err := s.set.Lookup(ref)
	if err != nil {
		return sub{}, fmt.Errorf("contract: %w", err)
	}
	return s.at(l), nil
}

// resolveRef resolves ref, the $ref (or $dynamicRef, taken as a $ref) of
// from.
func (s *Generator) resolveRef(from sub, ref string) (sub, error) {
	l, err := s.set.Resolve(from.loc, ref)
	if err != nil {
		return sub{}, fmt.Errorf("contract: %w", err)
	}
	return s.at(l), nil
}

// child returns the subschema node of from at path (a keyword, or keyword
// and name).
func (s *Generator) child(from sub, node any, path ...string) sub {
	l := from.loc
	for _, p := range path {
		l.Ptr += "/" + schema.EscapeToken(p)
	}
	return sub{node: node, loc: l, draft: from.draft}
}

// validAt reports whether v (decoded JSON, numbers as json.Number) is valid
// for the schema at l.
func (s *Generator) validAt(l schema.Loc, v any) error {
	return s.set.Validate(l, v)
}

// Validate checks body against the schema at ref with typed's validation
// path, so that its verdict is Publish's. It returns nil, a
// *typed.ValidationError (a body that is not JSON, or holds a number outside
// the supported range, included), or an error about ref wrapping
// schema.ErrSchema.
func (s *Generator) Validate(ref string, body []byte) error {
	return s.schemas.ValidateRef(ref, body)
}

// Examples returns the examples listed by the schema at ref (following a
// top-level $ref when the schema itself has none), as decoded JSON values.
func (s *Generator) Examples(ref string) ([]any, error) {
	sb, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	for range 16 {
		m, ok := sb.node.(map[string]any)
		if !ok {
			return nil, nil
		}
		if ex, ok := m["examples"].([]any); ok {
			return ex, nil
		}
		r, ok := m["$ref"].(string)
		if !ok {
			return nil, nil
		}
		if sb, err = s.resolveRef(sb, r); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// decodeJSON decodes one JSON document with numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(b, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid JSON: data after the first value")
	}
	return v, nil
}

// syntaxError adds line:column to a JSON syntax error.
func syntaxError(b []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := schema.LineCol(b, int(se.Offset))
		return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// lookupPointer returns the value at ptr in doc, an instance.
func lookupPointer(doc any, ptr string) (any, bool) {
	cur := doc
	for _, tok := range schema.SplitPointer(ptr) {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func escapeToken(s string) string { return schema.EscapeToken(s) }

func unescapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
