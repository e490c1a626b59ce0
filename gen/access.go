package gen

import (
	"fmt"

	"github.com/distributer/distributer/schema"
)

// Read-only accessors of a loaded Input for the schema comparison of
// schema/compat (distgen breaking). They expose the schema core's document
// tree, positions, draft detection and $ref resolution, so that the
// comparison never parses or resolves schemas a second way. Files are named
// by their slash-separated path in the set; the whole-body schemas distgen
// synthesizes for enveloped topics (see TopicSchemas) are files too.

// SchemaValue returns the JSON value at the JSON pointer ptr ("" for the
// whole document) of the file named file, decoded as encoding/json does
// with UseNumber (map[string]any, []any, string, json.Number, bool, nil).
// ok is false when there is no such file or no value at ptr.
func (s *Input) SchemaValue(file, ptr string) (v any, ok bool) {
	f := s.set.File(file)
	if f == nil {
		return nil, false
	}
	n := f.Root.Lookup(ptr)
	if n == nil {
		return nil, false
	}
	return n.Value(), true
}

// SchemaPosition returns the 1-based line and column of the value at ptr in
// file, or of its nearest enclosing value when ptr names none; 0, 0 when
// file is not a file of the set.
func (s *Input) SchemaPosition(file, ptr string) (line, col int) {
	f := s.set.File(file)
	if f == nil {
		return 0, 0
	}
	e := schema.ErrorAt(nil, f, ptr, "", "")
	return e.Line, e.Column
}

// SchemaDraft returns the JSON Schema draft of file as a year: 7 for
// draft-07, 2019 for 2019-09, 2020 for 2020-12 (also for synthesized
// files); 0 when file is not in the set.
func (s *Input) SchemaDraft(file string) int {
	if f := s.set.File(file); f != nil {
		return int(f.Draft)
	}
	return 0
}

// ResolveRef resolves the $ref value ref of the schema at ptr in file, with
// the base URI in effect there ($id), to the file and JSON pointer of the
// schema it names. The error is a *schema.Error saying what could not be
// found.
func (s *Input) ResolveRef(name, ptr, ref string) (toFile, toPtr string, err error) {
	f := s.set.File(name)
	if f == nil {
		return "", "", &schema.Error{Kind: schema.ErrRef, File: name, Pointer: ptr, Msg: fmt.Sprintf("no file %q in the schema set", name)}
	}
	l, err := s.set.Resolve(schema.Loc{File: f, Ptr: ptr}, ref)
	if err != nil {
		return "", "", err
	}
	return l.File.Path, l.Ptr, nil
}

// TopicCompatibility returns the "compatibility" that distgen.json declares
// for topic (on the topic or on its family): BACKWARD, FORWARD, FULL, their
// _TRANSITIVE forms or NONE; "" when it declares none (distgen breaking then
// uses its -mode).
func (s *Input) TopicCompatibility(topic string) string {
	if s.decl == nil {
		return ""
	}
	for _, t := range s.decl.topics {
		if t.name == topic {
			return t.compat
		}
	}
	return ""
}
