package typed

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/internal/jsonguard"
	"github.com/distributer/distributer/schema"
	"github.com/distributer/distributer/topic"
)

// Schemas is a compiled set of topic schemas: for each topic, the schema a
// whole message body on that topic must satisfy. It is built from a
// schema.Set, the one schema core of the module, so that a message gets the
// same verdict here as from distgen and package contract: every schema is
// compiled once, with the validator configuration of package schema
// (formats asserted in every draft, see schema.AssertedFormats); bodies
// are decoded with exact numbers (json.Number) before validation, so an
// integer such as 18446744073709551615 is checked as written.
//
// Schemas implements distributer.Validator: give it to distributer.Open with
// distributer.WithValidator to validate untyped publishes too. It is safe
// for concurrent use.
type Schemas struct {
	set    *schema.Set
	topics map[string]*compiled
	refs   map[string]string // topic -> the reference it was compiled from
	names  []string          // sorted topic names

	byLoc map[string]*compiled // every compiled schema, by schema.Loc; guarded by mu after CompileSet

	mu    sync.RWMutex
	byRef map[string]*compiled // ValidateRef's schemas, by reference
}

// Compile compiles a schema set. files maps the slash-separated path of each
// schema file, relative to the schema directory ("user.json",
// "defs/image.json"), to its JSON text; it is loaded with schema.LoadFiles,
// which checks every file. topics maps each topic to a reference to the
// schema of a whole message body on it: a file path, optionally with a
// fragment ("topics/raw.pose.json", "snapshot.json#/$defs/pose"), or the
// $id of a schema of the set. Without topics, the Schemas validates by
// reference only (ValidateRef, Matches).
//
// Draft 2020-12, 2019-09 and draft-07 schemas are supported ($schema
// selects; 2020-12 when absent). References resolve as schema.Set
// describes; a reference to anything else, such as an https URL that is
// not the $id of one of the files, is refused with an error wrapping
// schema.ErrRemoteRef and is never fetched. Every error wraps
// schema.ErrSchema and names the file, the JSON pointer or the topic.
func Compile(files map[string]string, topics map[string]string) (*Schemas, error) {
	b := make(map[string][]byte, len(files))
	for p, text := range files {
		b[p] = []byte(text)
	}
	set, err := schema.LoadFiles(b)
	if err != nil {
		return nil, fmt.Errorf("typed: compile: %w: %w", schema.ErrSchema, err)
	}
	return CompileSet(set, topics)
}

// CompileSet is Compile for a loaded schema set.
func CompileSet(set *schema.Set, topics map[string]string) (*Schemas, error) {
	s := &Schemas{
		set:    set,
		topics: make(map[string]*compiled, len(topics)),
		refs:   make(map[string]string, len(topics)),
		byLoc:  map[string]*compiled{},
		byRef:  map[string]*compiled{},
	}
	memo := map[*jsonschema.Schema]*fnode{}
	for _, name := range sortedKeys(topics) {
		ref := topics[name]
		if err := topic.ValidateTopic(name); err != nil {
			return nil, fmt.Errorf("typed: compile: topic %q: %w: %w", name, schema.ErrSchema, err)
		}
		sch, err := s.compileRef(ref, memo)
		if err != nil {
			return nil, fmt.Errorf("typed: compile: topic %q: schema %q: %w: %w", name, ref, schema.ErrSchema, err)
		}
		s.topics[name] = sch
		s.refs[name] = ref
		s.names = append(s.names, name)
	}
	mergeAll(memo)
	return s, nil
}

// compileRef compiles the schema at ref, once: fast path included.
func (s *Schemas) compileRef(ref string, memo map[*jsonschema.Schema]*fnode) (*compiled, error) {
	l, err := s.set.Lookup(ref)
	if err != nil {
		return nil, err
	}
	if sch, ok := s.byLoc[l.String()]; ok {
		return sch, nil
	}
	js, err := s.set.CompileLoc(l)
	if err != nil {
		return nil, err
	}
	sch := &compiled{js: js, fast: compileFast(js, memo), locate: !s.set.Contextual()}
	s.byLoc[l.String()] = sch
	return sch, nil
}

// mergeAll merges the fast-path nodes of memo in a fixed order (by schema
// location), so that every process builds the same nodes.
func mergeAll(memo map[*jsonschema.Schema]*fnode) {
	js := make([]*jsonschema.Schema, 0, len(memo))
	for j := range memo {
		js = append(js, j)
	}
	slices.SortFunc(js, func(a, b *jsonschema.Schema) int { return strings.Compare(a.Location, b.Location) })
	ms := &mergeSet{memo: map[string]*fnode{}}
	for _, j := range js {
		if n := memo[j]; !n.own && (n.ref != nil || len(n.allOf) > 0) {
			n.merged = ms.merged(n)
		}
	}
}

// MustCompile is like Compile but panics on error. It is meant for package
// variables of generated code, whose schemas are known to compile.
func MustCompile(files map[string]string, topics map[string]string) *Schemas {
	s, err := Compile(files, topics)
	if err != nil {
		panic(err)
	}
	return s
}

// Set returns the schema set s was compiled from: what package contract
// generates instances from.
func (s *Schemas) Set() *schema.Set { return s.set }

// ValidateRef checks body, one JSON value, against the schema at ref (a
// reference as for Compile's topics: "user.json", "events.json#/$defs/ping",
// an $id), compiling it on first use, exactly as Validate checks a topic's
// messages. It returns nil when body is valid, a *ValidationError (with
// Schema set to ref) when it is not or is not JSON, and an error wrapping
// schema.ErrSchema when ref names no schema of the set.
func (s *Schemas) ValidateRef(ref string, body []byte) error {
	sch, err := s.at(ref)
	if err != nil {
		return err
	}
	err = validate(sch, "", body)
	if ve, ok := err.(*ValidationError); ok {
		ve.Schema = ref
	}
	return err
}

// at returns the compiled schema at ref, compiling it on first use.
func (s *Schemas) at(ref string) (*compiled, error) {
	s.mu.RLock()
	sch, ok := s.byRef[ref]
	s.mu.RUnlock()
	if ok {
		return sch, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	memo := map[*jsonschema.Schema]*fnode{}
	sch, err := s.compileRef(ref, memo)
	if err != nil {
		return nil, fmt.Errorf("typed: schema %q: %w: %w", ref, schema.ErrSchema, err)
	}
	mergeAll(memo)
	s.byRef[ref] = sch
	return sch, nil
}

// Matches reports whether b, one JSON value, is valid against the schema at
// ref (see ValidateRef). It is the check of the distgenMatch helper that
// distgen generates for oneOf and anyOf types.
func (s *Schemas) Matches(ref string, b []byte) bool {
	return s.ValidateRef(ref, b) == nil
}

// Topics returns the topics that have a schema, sorted.
func (s *Schemas) Topics() []string { return slices.Clone(s.names) }

// Has reports whether topic has a schema.
func (s *Schemas) Has(topic string) bool {
	_, ok := s.topics[topic]
	return ok
}

// Ref returns the schema reference topic was compiled from, as given to
// Compile, and whether topic has a schema.
func (s *Schemas) Ref(topic string) (string, bool) {
	r, ok := s.refs[topic]
	return r, ok
}

// Validate checks body, a whole message body, against the schema of topic. It
// returns nil when body is valid; a *ValidationError (which wraps
// distributer.ErrInvalidMessage) when it is not, or is not JSON; and an error
// wrapping distributer.ErrNoSchema when topic has no schema.
func (s *Schemas) Validate(topic string, body []byte) error {
	sch, ok := s.topics[topic]
	if !ok {
		return &NoSchemaError{Topic: topic}
	}
	return validate(sch, topic, body)
}

// compiled is one compiled schema: jsonschema's, and the fast path's.
type compiled struct {
	js   *jsonschema.Schema
	fast *fnode
	// locate is false when the set uses $dynamicRef or $recursiveRef, whose
	// meaning depends on the path that reached them: then jsonschema always
	// checks whole bodies.
	locate bool
}

// validate checks body against sch. Nothing in body can make it panic:
// numbers outside the range jsonschema handles are refused first (see
// package internal/jsonguard), and any panic left is recovered as a
// *ValidationError.
func validate(sch *compiled, topic string, body []byte) (err error) {
	if scanBody(sch.fast, body) {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			perr := fmt.Errorf("%w: panic: %v", jsonguard.ErrValidatorPanic, r)
			err = &ValidationError{Topic: topic, Err: perr, Causes: []Cause{{Message: perr.Error()}}}
		}
	}()
	if len(body) > detailLimit && sch.locate {
		return validateLarge(sch, topic, body)
	}
	v, err := decodeExact(body)
	if err != nil {
		return &ValidationError{Topic: topic, Err: err, Causes: []Cause{{Message: err.Error()}}}
	}
	if err := numbers(topic, body); err != nil {
		return err
	}
	if sch.fast.valid(v, 0) {
		return nil
	}
	if err := jsonguard.Validate(sch.js, v); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return &ValidationError{Topic: topic, Causes: leaves(ve, nil)}
		}
		return &ValidationError{Topic: topic, Err: err, Causes: []Cause{{Message: err.Error()}}}
	}
	return nil
}

// numbers refuses a body holding a number outside jsonguard's range, with
// a cause located like jsonschema's (pointer tokens URL-escaped).
func numbers(topic string, body []byte) error {
	err := jsonguard.Numbers(body)
	if err == nil {
		return nil
	}
	ne := err.(*jsonguard.NumberError)
	toks := strings.Split(ne.Pointer, "/")
	for i, t := range toks {
		toks[i] = url.PathEscape(t)
	}
	return &ValidationError{Topic: topic, Err: err, Causes: []Cause{{InstanceLocation: strings.Join(toks, "/"), Message: ne.Message()}}}
}

// ErrNumberRange is wrapped by the Err of a *ValidationError for a body
// holding a number outside the supported range: more than 1000 digits
// before the exponent, or an exponent beyond ±10000 (1e9999999). Such
// numbers are refused before validation because the validator cannot
// represent them (and they cost far more than their size to compare).
var ErrNumberRange = jsonguard.ErrNumberRange

// NoSchemaError reports a topic that has no schema in the set. It wraps
// distributer.ErrNoSchema.
type NoSchemaError struct {
	Topic string
}

// Error names the topic.
func (e *NoSchemaError) Error() string {
	return fmt.Sprintf("typed: topic %q has no schema", e.Topic)
}

// Unwrap returns distributer.ErrNoSchema.
func (e *NoSchemaError) Unwrap() error { return distributer.ErrNoSchema }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
