package gen

import "fmt"

// Read-only accessors of a loaded Set for the schema comparison of
// schema/compat (distgen breaking). They expose the loader's own document
// tree, positions, draft detection and $ref resolution, so that the
// comparison never parses or resolves schemas a second way. Files are named
// by their slash-separated path in the set; the whole-body schemas distgen
// synthesizes for enveloped topics (see TopicSchemas) are files too.

// SchemaValue returns the JSON value at the JSON pointer ptr ("" for the
// whole document) of the file named file, decoded as encoding/json does
// with UseNumber (map[string]any, []any, string, json.Number, bool, nil).
// ok is false when there is no such file or no value at ptr.
func (s *Set) SchemaValue(file, ptr string) (v any, ok bool) {
	if f := s.byPath[file]; f != nil {
		n := f.root.lookup(ptr)
		if n == nil {
			return nil, false
		}
		return n.value(), true
	}
	src, ok := s.synth[file]
	if !ok {
		return nil, false
	}
	root, err := parseJSON([]byte(src))
	if err != nil {
		return nil, false
	}
	n := root.lookup(ptr)
	if n == nil {
		return nil, false
	}
	return n.value(), true
}

// SchemaPosition returns the 1-based line and column of the value at ptr in
// file, or of its nearest enclosing value when ptr names none; 0, 0 when
// file is not a file of the set (a synthesized file has no position).
func (s *Set) SchemaPosition(file, ptr string) (line, col int) {
	f := s.byPath[file]
	if f == nil {
		return 0, 0
	}
	e := errAt(nil, f, ptr, "", "")
	return e.Line, e.Column
}

// SchemaDraft returns the JSON Schema draft of file as a year: 7 for
// draft-07, 2019 for 2019-09, 2020 for 2020-12 (also for synthesized
// files); 0 when file is not in the set.
func (s *Set) SchemaDraft(file string) int {
	if f := s.byPath[file]; f != nil {
		return f.draft
	}
	if _, ok := s.synth[file]; ok {
		return draft2020
	}
	return 0
}

// ResolveRef resolves the $ref value ref of the schema at ptr in file, with
// the base URI in effect there ($id), to the file and JSON pointer of the
// schema it names. The error is an *Error saying what could not be found.
func (s *Set) ResolveRef(name, ptr, ref string) (toFile, toPtr string, err error) {
	f := s.byPath[name]
	if f == nil {
		if _, ok := s.synth[name]; !ok {
			return "", "", &Error{Kind: ErrRef, File: name, Pointer: ptr, Msg: fmt.Sprintf("no file %q in the schema set", name)}
		}
		f = &file{path: name, url: baseURL + name}
	}
	l, e := s.resolveRef(loc{f, ptr}, ref)
	if e != nil {
		return "", "", e
	}
	return l.f.path, l.ptr, nil
}

// TopicCompatibility returns the "compatibility" that distgen.json declares
// for topic (on the topic or on its family): BACKWARD, FORWARD, FULL, their
// _TRANSITIVE forms or NONE; "" when it declares none (distgen breaking then
// uses its -mode).
func (s *Set) TopicCompatibility(topic string) string {
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
