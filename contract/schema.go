package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/distributer/distributer/internal/jsonguard"
	"github.com/distributer/distributer/internal/jsonpos"
)

// baseURL is the made-up absolute URL the files of a Set live under, so that
// relative references resolve the way they do on disk.
const baseURL = "distributer-schema:///"

// ErrRemoteRef is wrapped by errors about a reference that leaves the schema
// set (http, https, ...). Such references are never fetched.
var ErrRemoteRef = errors.New("reference outside the schema set")

// ErrUnsatisfiable is wrapped by Generate's error when no valid instance
// could be produced for a schema.
var ErrUnsatisfiable = errors.New("no valid instance found")

// Set is a schema set prepared for generating and validating instances. It
// is safe for concurrent use.
type Set struct {
	files map[string]any    // file URL -> decoded document
	byID  map[string]string // absolute resource URL ($id or file URL) -> file URL
	ptrOf map[string]string // absolute resource URL -> JSON pointer of the resource in its file
	draft map[string]int    // file URL -> draft year (7 or 2020; 2019 treated as 2020)

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
}

// NewSet prepares files (slash-separated path relative to the schema
// directory -> JSON text, as for typed.Compile) for generation and
// validation. It fails on a file that is not JSON.
func NewSet(files map[string]string) (*Set, error) {
	s := &Set{
		files:    map[string]any{},
		byID:     map[string]string{},
		ptrOf:    map[string]string{},
		draft:    map[string]int{},
		compiled: map[string]*jsonschema.Schema{},
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		doc, err := decodeJSON([]byte(files[name]))
		if err == nil {
			err = jsonguard.Numbers([]byte(files[name]))
		}
		if err != nil {
			return nil, fmt.Errorf("contract: schema file %s: %w", name, err)
		}
		fu := fileURL(name)
		s.files[fu] = doc
		s.draft[fu] = draftOf(doc)
		s.byID[fu] = fu
		s.ptrOf[fu] = ""
		s.indexIDs(fu, fu, "", doc)
	}
	// A file whose top-level $id ends with its own path
	// ("https://shop.example/schemas/order.json" for "order.json") makes the
	// $id's directory an alias of the schema directory, as typed.Compile
	// does: relative references from that file reach the other files.
	for _, name := range names {
		m, ok := s.files[fileURL(name)].(map[string]any)
		if !ok {
			continue
		}
		id, _ := m["$id"].(string)
		abs, err := resolve(fileURL(name), id)
		if id == "" || err != nil {
			continue
		}
		abs, _, _ = strings.Cut(abs, "#")
		root, ok := strings.CutSuffix(abs, "/"+name)
		if !ok {
			continue
		}
		for _, other := range names {
			alias := root + "/" + other
			if _, dup := s.byID[alias]; !dup {
				s.byID[alias] = fileURL(other)
				s.ptrOf[alias] = ""
			}
		}
	}
	c := jsonschema.NewCompiler()
	c.LoadURL = s.load
	s.compiler = c
	return s, nil
}

func fileURL(name string) string {
	u := &url.URL{Path: strings.TrimPrefix(name, "/")}
	return baseURL + u.EscapedPath()
}

// fileName is the inverse of fileURL, for messages.
func fileName(fu string) string {
	p := strings.TrimPrefix(fu, baseURL)
	if q, err := url.PathUnescape(p); err == nil {
		return q
	}
	return p
}

// location renders a schema location (file URL + "#" + pointer) for humans.
func location(loc string) string {
	u, f, _ := strings.Cut(loc, "#")
	if strings.HasPrefix(u, baseURL) {
		u = fileName(u)
	}
	if f == "" {
		return u
	}
	return u + "#" + f
}

func draftOf(doc any) int {
	m, ok := doc.(map[string]any)
	if !ok {
		return 2020
	}
	sch, _ := m["$schema"].(string)
	switch {
	case strings.Contains(sch, "draft-07"), strings.Contains(sch, "draft-06"), strings.Contains(sch, "draft-04"):
		return 7
	}
	return 2020
}

// dataKeywords hold JSON data, not schemas: their contents are never
// scanned for $id.
var dataKeywords = map[string]bool{"enum": true, "const": true, "examples": true, "default": true}

// indexIDs records every embedded $id so that references by $id find it.
func (s *Set) indexIDs(fu, base, ptr string, node any) {
	switch n := node.(type) {
	case map[string]any:
		if id, ok := n["$id"].(string); ok && !strings.HasPrefix(id, "#") {
			if abs, err := resolve(base, id); err == nil {
				abs, _, _ = strings.Cut(abs, "#")
				base = abs
				if _, dup := s.byID[abs]; !dup {
					s.byID[abs] = fu
					s.ptrOf[abs] = ptr
				}
			}
		}
		for k, v := range n {
			if dataKeywords[k] {
				continue
			}
			s.indexIDs(fu, base, ptr+"/"+escapeToken(k), v)
		}
	case []any:
		for i, v := range n {
			s.indexIDs(fu, base, fmt.Sprintf("%s/%d", ptr, i), v)
		}
	}
}

// load serves the compiler the files of the set, by file URL or $id, and
// refuses everything else.
func (s *Set) load(u string) (io.ReadCloser, error) {
	fu, ok := s.byID[u]
	if !ok {
		return nil, fmt.Errorf("contract: %s is not in the schema set: %w", u, ErrRemoteRef)
	}
	if s.ptrOf[u] != "" {
		node, _ := lookupPointer(s.files[fu], s.ptrOf[u])
		b, err := json.Marshal(node)
		if err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	b, err := json.Marshal(s.files[fu])
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// sub is a schema together with where it is: the base URL its references
// resolve against and its location (file URL#pointer) for validation and
// messages.
type sub struct {
	node  any // map[string]any or bool
	base  string
	loc   string
	draft int
}

// resolve resolves ref against base.
func resolve(base, ref string) (string, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("malformed reference %q: %w", ref, err)
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("malformed base %q: %w", base, err)
	}
	return b.ResolveReference(r).String(), nil
}

// Lookup resolves ref ("user.json", "defs/image.json#/$defs/x",
// "https://example.com/schemas/user.json" when a file of the set has that
// $id) to a schema of the set.
func (s *Set) lookup(ref string) (sub, error) {
	return s.resolveRef(sub{base: baseURL}, ref)
}

func (s *Set) resolveRef(from sub, ref string) (sub, error) {
	abs, err := resolve(from.base, ref)
	if err != nil {
		return sub{}, fmt.Errorf("contract: %s: %w", location(from.loc), err)
	}
	res, frag, _ := strings.Cut(abs, "#")
	fu, ok := s.byID[res]
	if !ok {
		return sub{}, fmt.Errorf("contract: %s: $ref %q resolves to %s, which is not in the schema set: %w", location(from.loc), ref, res, ErrRemoteRef)
	}
	rootPtr := s.ptrOf[res]
	root, _ := lookupPointer(s.files[fu], rootPtr)
	var ptr string
	switch {
	case frag == "" || frag == "/":
		ptr = rootPtr
	case strings.HasPrefix(frag, "/"):
		p, err := url.PathUnescape(frag)
		if err != nil {
			p = frag
		}
		ptr = rootPtr + p
	default: // anchor
		p, ok := findAnchor(root, frag, "")
		if !ok {
			return sub{}, fmt.Errorf("contract: %s: $ref %q: anchor %q not found in %s", location(from.loc), ref, frag, fileName(fu))
		}
		ptr = rootPtr + p
	}
	node, ok := lookupPointer(s.files[fu], ptr)
	if !ok {
		return sub{}, fmt.Errorf("contract: %s: $ref %q: %s has nothing at %q", location(from.loc), ref, fileName(fu), ptr)
	}
	return s.at(fu, ptr, node), nil
}

// at builds the sub for node found at ptr in file fu, computing its base
// from the $id values on the way.
func (s *Set) at(fu, ptr string, node any) sub {
	base := fu
	cur := s.files[fu]
	applyID := func(n any) {
		if m, ok := n.(map[string]any); ok {
			if id, ok := m["$id"].(string); ok && !strings.HasPrefix(id, "#") {
				if abs, err := resolve(base, id); err == nil {
					base, _, _ = strings.Cut(abs, "#")
				}
			}
		}
	}
	applyID(cur)
	if ptr != "" {
		for _, tok := range strings.Split(ptr[1:], "/") {
			tok = unescapeToken(tok)
			switch c := cur.(type) {
			case map[string]any:
				cur = c[tok]
			case []any:
				var i int
				fmt.Sscanf(tok, "%d", &i)
				if i >= 0 && i < len(c) {
					cur = c[i]
				}
			}
			applyID(cur)
		}
	}
	return sub{node: node, base: base, loc: fu + "#" + ptr, draft: s.draft[fu]}
}

// child returns the subschema at key (a keyword, or keyword/name) of from.
func (s *Set) child(from sub, node any, path ...string) sub {
	fu, ptr, _ := strings.Cut(from.loc, "#")
	for _, p := range path {
		ptr += "/" + escapeToken(p)
	}
	base := from.base
	if m, ok := node.(map[string]any); ok {
		if id, ok := m["$id"].(string); ok && !strings.HasPrefix(id, "#") {
			if abs, err := resolve(base, id); err == nil {
				base, _, _ = strings.Cut(abs, "#")
			}
		}
	}
	return sub{node: node, base: base, loc: fu + "#" + ptr, draft: from.draft}
}

func findAnchor(node any, name, ptr string) (string, bool) {
	switch n := node.(type) {
	case map[string]any:
		if a, ok := n["$anchor"].(string); ok && a == name {
			return ptr, true
		}
		if a, ok := n["$dynamicAnchor"].(string); ok && a == name {
			return ptr, true
		}
		if id, ok := n["$id"].(string); ok && id == "#"+name {
			return ptr, true
		}
		keys := sortedKeys(n)
		for _, k := range keys {
			if dataKeywords[k] {
				continue
			}
			if p, ok := findAnchor(n[k], name, ptr+"/"+escapeToken(k)); ok {
				return p, true
			}
		}
	case []any:
		for i, v := range n {
			if p, ok := findAnchor(v, name, fmt.Sprintf("%s/%d", ptr, i)); ok {
				return p, true
			}
		}
	}
	return "", false
}

func lookupPointer(doc any, ptr string) (any, bool) {
	if ptr == "" {
		return doc, true
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	cur := doc
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = unescapeToken(tok)
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

func escapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func unescapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// schemaAt compiles (once) the schema at loc, a file URL#pointer.
func (s *Set) schemaAt(loc string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.compiled[loc]; ok {
		return sch, nil
	}
	u, f, _ := strings.Cut(loc, "#")
	var esc strings.Builder
	if f != "" {
		for _, tok := range strings.Split(f[1:], "/") {
			esc.WriteString("/")
			esc.WriteString(url.PathEscape(tok))
		}
	}
	sch, err := s.compiler.Compile(u + "#" + esc.String())
	if err != nil {
		return nil, fmt.Errorf("contract: compile %s: %w", location(loc), err)
	}
	s.compiled[loc] = sch
	return sch, nil
}

// validAt reports whether v (decoded JSON, numbers as json.Number) is valid
// for the schema at loc.
func (s *Set) validAt(loc string, v any) error {
	sch, err := s.schemaAt(loc)
	if err != nil {
		return err
	}
	return jsonguard.Validate(sch, v)
}

// Validate checks body against the schema at ref. It returns nil, a
// *jsonschema.ValidationError, or an error about the schema or the JSON
// (a number outside the supported range wraps typed.ErrNumberRange).
func (s *Set) Validate(ref string, body []byte) error {
	v, err := decodeJSON(body)
	if err != nil {
		return err
	}
	if err := jsonguard.Numbers(body); err != nil {
		return err
	}
	sb, err := s.lookup(ref)
	if err != nil {
		return err
	}
	return s.validAt(sb.loc, v)
}

// Examples returns the examples listed by the schema at ref (following a
// top-level $ref when the schema itself has none), as decoded JSON values.
func (s *Set) Examples(ref string) ([]any, error) {
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
		line, col := jsonpos.LineCol(b, int(se.Offset))
		return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
