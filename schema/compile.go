package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/distributer/distributer/internal/jsonguard"
)

// The one validator configuration. Every schema of every set is compiled
// by a compiler made here: one base URL (BaseURL), the files served only
// from the set (nothing is fetched), the formats of Formats asserted in
// every draft, and an empty enum accepting nothing. Instances are checked
// with the number guard of package internal/jsonguard before they reach
// the validator (Validate, and typed's validation path).

// compiler returns the jsonschema compiler of s.
func (s *Set) compiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.LoadURL = s.load
	c.AssertFormat = true
	for name, f := range formatCheckers {
		c.Formats[name] = f
	}
	c.RegisterExtension("distributer-empty-enum", nil, emptyEnum{})
	return c
}

// load serves the compiler the schema resources of the set, by file URL,
// $id or $id-directory alias, and refuses everything else.
func (s *Set) load(u string) (io.ReadCloser, error) {
	l, ok := s.byURL[u]
	if !ok {
		if strings.HasPrefix(u, BaseURL) {
			return nil, fmt.Errorf("%w: no file %q in the schema set", ErrRef, strings.TrimPrefix(u, BaseURL))
		}
		return nil, fmt.Errorf("%w: %s is outside the schema set and is never fetched", ErrRemoteRef, u)
	}
	if l.Ptr == "" {
		return io.NopCloser(bytes.NewReader(l.File.Data)), nil
	}
	// A resource embedded in a file (an $id below its root): its text,
	// with the file's draft unless it names its own.
	n := l.Node()
	if n.Kind != Object || n.Get("$schema") != nil {
		return io.NopCloser(bytes.NewReader(n.Raw)), nil
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "{%q: %q", "$schema", metaURL[l.File.Draft])
	if len(n.Keys) > 0 {
		b.WriteString(",")
	}
	b.Write(n.Raw[1:])
	return io.NopCloser(&b), nil
}

// Compile returns the compiled schema at ref (see Lookup), compiling it on
// first use. The error is an *Error.
func (s *Set) Compile(ref string) (*jsonschema.Schema, error) {
	l, err := s.Lookup(ref)
	if err != nil {
		return nil, err
	}
	return s.compile(l)
}

// CompileLoc is Compile for a location of the set.
func (s *Set) CompileLoc(l Loc) (*jsonschema.Schema, error) { return s.compile(l) }

func (s *Set) compile(l Loc) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := l.String()
	if js, ok := s.compiled[k]; ok {
		return js, nil
	}
	u := l.File.URL
	if l.Ptr != "" {
		var esc strings.Builder
		for _, tok := range SplitPointer(l.Ptr) {
			esc.WriteString("/")
			esc.WriteString(url.PathEscape(EscapeToken(tok)))
		}
		u += "#" + esc.String()
	}
	js, err := s.comp.Compile(u)
	if err != nil {
		msg := strings.ReplaceAll(strings.TrimPrefix(err.Error(), "jsonschema: "), BaseURL, "")
		return nil, ErrorAt(ErrSchema, l.File, l.Ptr, "compiling: "+msg, "fix the schema")
	}
	s.compiled[k] = js
	return js, nil
}

// Validate checks v, a decoded JSON value (numbers as json.Number, as
// jsonguard.Decode returns them), against the schema at l. It returns nil,
// a *jsonschema.ValidationError, or an error about the schema or a number
// outside the supported range. A panic of the validator is returned as an
// error.
func (s *Set) Validate(l Loc, v any) error {
	js, err := s.compile(l)
	if err != nil {
		return err
	}
	return jsonguard.Validate(js, v)
}

// ValidateJSON is Validate for b, the JSON text of one value: b is decoded
// with exact numbers and its numbers checked against the supported range
// first.
func (s *Set) ValidateJSON(l Loc, b []byte) error {
	js, err := s.compile(l)
	if err != nil {
		return err
	}
	return jsonguard.ValidateJSON(js, b)
}

// emptyEnum makes `"enum": []` accept nothing. jsonschema/v5 skips an empty
// enum, accepting every value; the specification's enum accepts only the
// values it lists, so none.
type emptyEnum struct{}

func (emptyEnum) Compile(_ jsonschema.CompilerContext, m map[string]any) (jsonschema.ExtSchema, error) {
	if e, ok := m["enum"].([]any); ok && len(e) == 0 {
		return emptyEnum{}, nil
	}
	return nil, nil
}

func (emptyEnum) Validate(ctx jsonschema.ValidationContext, _ any) error {
	return ctx.Error("enum", "no value is allowed: the enum is empty")
}

var (
	metaMu    sync.Mutex
	metaCache = map[Draft]*jsonschema.Schema{}
)

// metaSchema returns the compiled meta-schema of draft d.
func metaSchema(d Draft) (*jsonschema.Schema, error) {
	metaMu.Lock()
	defer metaMu.Unlock()
	if m, ok := metaCache[d]; ok {
		return m, nil
	}
	c := jsonschema.NewCompiler()
	c.LoadURL = func(u string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("%w: %s is never fetched", ErrRemoteRef, u)
	}
	m, err := c.Compile(metaURL[d])
	if err != nil {
		return nil, err
	}
	metaCache[d] = m
	return m, nil
}

// metaValidate checks f against its draft's meta-schema, to say where a
// file that does not compile is wrong.
func metaValidate(f *File) *Error {
	meta, err := metaSchema(f.Draft)
	if err != nil {
		return &Error{Kind: ErrSchema, File: f.Path, Msg: err.Error()}
	}
	if err := jsonguard.Validate(meta, f.Root.Value()); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			leaf := ve
			for len(leaf.Causes) > 0 {
				leaf = leaf.Causes[0]
			}
			return ErrorAt(ErrSchema, f, leaf.InstanceLocation, "not a valid "+f.Draft.String()+" schema: "+leaf.Message, "fix the keyword so that it matches the JSON Schema specification")
		}
		return ErrorAt(ErrSchema, f, "", err.Error(), "")
	}
	return nil
}
