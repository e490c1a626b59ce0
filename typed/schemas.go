package typed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/internal/jsonguard"
	"github.com/distributer/distributer/topic"
)

// baseURL is the URL the schema files are served under: "user.json" is
// mem:///user.json to the compiler. Nothing is ever read from it; it only
// gives relative references a base to resolve against.
const baseURL = "mem:///"

// ErrRemoteRef is wrapped by the Compile error for a reference to a schema
// outside the given files (an http or https URL, for example). Such
// references are refused, never fetched.
var ErrRemoteRef = errors.New("remote schema reference refused")

// ErrSchema is wrapped by every Compile error about the schemas themselves.
var ErrSchema = errors.New("invalid schema set")

// Schemas is a compiled set of topic schemas: for each topic, the schema a
// whole message body on that topic must satisfy. Every schema is compiled
// once, by Compile, with github.com/santhosh-tekuri/jsonschema/v5; bodies are
// decoded with exact numbers (json.Number) before validation, so an integer
// such as 18446744073709551615 is checked as written.
//
// Schemas implements distributer.Validator: give it to distributer.Open with
// distributer.WithValidator to validate untyped publishes too. It is safe
// for concurrent use.
type Schemas struct {
	topics map[string]*schema
	refs   map[string]string // topic -> the reference it was compiled from
	names  []string          // sorted topic names
}

// Compile compiles a schema set. files maps the slash-separated path of each
// schema file, relative to the schema directory ("user.json",
// "defs/image.json"), to its JSON text. topics maps each topic to a reference
// to the schema of a whole message body on it: a file path, optionally with
// a fragment ("topics/raw.pose.json", "snapshot.json#/$defs/pose").
//
// Draft 2020-12 and draft-07 schemas are supported ($schema selects; 2020-12
// when absent). References between the files resolve by relative path and by
// $id; a reference to anything else, such as an https URL that is not the
// $id of one of the files, is refused with an error wrapping ErrRemoteRef and
// is never fetched. Errors name the topic, the file and what is wrong, and
// wrap ErrSchema.
func Compile(files map[string]string, topics map[string]string) (*Schemas, error) {
	if len(topics) == 0 {
		return nil, fmt.Errorf("typed: compile: no topics given: %w", ErrSchema)
	}
	c, err := newCompiler(files)
	if err != nil {
		return nil, err
	}
	s := &Schemas{
		topics: make(map[string]*schema, len(topics)),
		refs:   make(map[string]string, len(topics)),
	}
	byURL := map[string]*schema{}
	memo := map[*jsonschema.Schema]*fnode{}
	for _, name := range sortedKeys(topics) {
		ref := topics[name]
		if err := topic.ValidateTopic(name); err != nil {
			return nil, fmt.Errorf("typed: compile: topic %q: %w: %w", name, ErrSchema, err)
		}
		u, err := resolve(ref)
		if err != nil {
			return nil, fmt.Errorf("typed: compile: topic %q: schema reference %q: %w: %w", name, ref, ErrSchema, err)
		}
		sch, ok := byURL[u]
		if !ok {
			js, err := c.Compile(u)
			if err != nil {
				return nil, fmt.Errorf("typed: compile: topic %q: schema %q: %w: %w", name, ref, ErrSchema, schemaError(err))
			}
			sch = &schema{js: js, fast: compileFast(js, memo)}
			byURL[u] = sch
		}
		s.topics[name] = sch
		s.refs[name] = ref
		s.names = append(s.names, name)
	}
	// Merge in a fixed order (by schema location), so that every process
	// builds the same nodes.
	js := make([]*jsonschema.Schema, 0, len(memo))
	for j := range memo {
		js = append(js, j)
	}
	slices.SortFunc(js, func(a, b *jsonschema.Schema) int { return strings.Compare(a.Location, b.Location) })
	// Conservative: a file that mentions the keywords at all.
	contextual := false
	for _, text := range files {
		contextual = contextual || strings.Contains(text, `"$dynamicRef"`) || strings.Contains(text, `"$recursiveRef"`)
	}
	for _, sch := range byURL {
		sch.locate = !contextual
	}
	ms := &mergeSet{memo: map[string]*fnode{}}
	for _, j := range js {
		if n := memo[j]; !n.own && (n.ref != nil || len(n.allOf) > 0) {
			n.merged = ms.merged(n)
		}
	}
	return s, nil
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

// newCompiler returns a compiler that loads the schema files and nothing
// else (see serve): Compile's, and CompileBranches'.
func newCompiler(files map[string]string) (*jsonschema.Compiler, error) {
	served, err := serve(files)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.LoadURL = func(u string) (io.ReadCloser, error) {
		if text, ok := served[u]; ok {
			return io.NopCloser(strings.NewReader(text)), nil
		}
		if strings.HasPrefix(u, baseURL) {
			return nil, fmt.Errorf("no schema file %q in the set (files: %s)", strings.TrimPrefix(u, baseURL), strings.Join(sortedKeys(files), ", "))
		}
		return nil, fmt.Errorf("%w: %q is not one of the schema files nor the $id of one", ErrRemoteRef, u)
	}
	return c, nil
}

// serve returns the URLs the compiler may load: each file under baseURL, and
// each file again under its top-level $id (and the $id of its direct $defs
// and definitions) when that is absolute, so that references by $id resolve
// inside the set. When a file's $id ends with the file's own path
// ("https://shop.example/order.json" for "order.json"), the $id's directory
// is taken to be the schema directory: every file is served under it too,
// so that relative references from that file resolve to the set's files.
func serve(files map[string]string) (map[string]string, error) {
	served := make(map[string]string, len(files))
	var roots []string
	for _, p := range sortedKeys(files) {
		if !fs.ValidPath(p) || p == "." || strings.Contains(p, "\\") {
			return nil, fmt.Errorf("typed: compile: file name %q: want a clean slash-separated relative path such as \"defs/image.json\": %w", p, ErrSchema)
		}
		u := baseURL + p
		text := files[p]
		served[u] = text
		var doc struct {
			ID          string                     `json:"$id"`
			Defs        map[string]json.RawMessage `json:"$defs"`
			Definitions map[string]json.RawMessage `json:"definitions"`
		}
		if err := json.Unmarshal([]byte(text), &doc); err != nil {
			// Not an object, or not JSON: the compiler reports it, with the
			// file name, if the file is used.
			continue
		}
		if err := jsonguard.Numbers([]byte(text)); err != nil {
			return nil, fmt.Errorf("typed: compile: file %q: %w: %w", p, ErrSchema, err)
		}
		ids := []string{doc.ID}
		for _, defs := range []map[string]json.RawMessage{doc.Defs, doc.Definitions} {
			for _, raw := range defs {
				var sub struct {
					ID string `json:"$id"`
				}
				if json.Unmarshal(raw, &sub) == nil {
					ids = append(ids, sub.ID)
				}
			}
		}
		for i, id := range ids {
			if id == "" {
				continue
			}
			base, _ := url.Parse(u)
			ref, err := url.Parse(id)
			if err != nil {
				return nil, fmt.Errorf("typed: compile: file %q: $id %q: %w: %w", p, id, ErrSchema, err)
			}
			abs := base.ResolveReference(ref)
			abs.Fragment = ""
			a := abs.String()
			if a == u {
				continue
			}
			if _, dup := served[a]; !dup {
				served[a] = text
			}
			if root, ok := strings.CutSuffix(a, "/"+p); ok && i == 0 && !slices.Contains(roots, root) {
				roots = append(roots, root)
			}
		}
	}
	for _, root := range roots {
		for p, text := range files {
			if _, dup := served[root+"/"+p]; !dup {
				served[root+"/"+p] = text
			}
		}
	}
	return served, nil
}

// resolve turns a topic's schema reference into an absolute URL.
func resolve(ref string) (string, error) {
	if ref == "" {
		return "", errors.New("empty reference")
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	if r.IsAbs() {
		return ref, nil
	}
	base, _ := url.Parse(baseURL)
	return base.ResolveReference(r).String(), nil
}

// schemaError makes compiler errors readable: the jsonschema error text with
// mem:/// URLs shown as file names, keeping the original in the chain.
func schemaError(err error) error {
	return &compileError{err: err}
}

type compileError struct{ err error }

func (e *compileError) Error() string {
	msg := e.err.Error()
	var ve *jsonschema.ValidationError
	if errors.As(e.err, &ve) {
		// A meta-schema violation: list every leaf, not only the first.
		var b strings.Builder
		b.WriteString("schema does not conform to its meta-schema:")
		for _, c := range leaves(ve, nil) {
			fmt.Fprintf(&b, " at %s: %s;", pointerOrRoot(c.InstanceLocation), c.Message)
		}
		msg = strings.TrimSuffix(b.String(), ";")
	}
	return strings.ReplaceAll(msg, baseURL, "")
}

func (e *compileError) Unwrap() error { return e.err }

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

// schema is one compiled topic schema: jsonschema's, and the fast path's.
type schema struct {
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
func validate(sch *schema, topic string, body []byte) (err error) {
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

// Matches reports whether b, one JSON value, is valid against s, with the
// guards of Schemas.Validate: it never panics, and a number outside the
// supported range (ErrNumberRange) does not match. It is the check of
// Branches, the decoder of generated oneOf and anyOf types.
func Matches(s *jsonschema.Schema, b []byte) bool {
	return jsonguard.ValidateJSON(s, b) == nil
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
