package schema

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/distributer/distributer/internal/jsonguard"
)

// BaseURL is the URL under which the files of a set are known: "user.json"
// is distgen:///user.json. Relative references resolve against it; nothing
// is ever read from it. Messages show paths without it.
const BaseURL = "distgen:///"

// Draft is a JSON Schema draft, by year (7 for draft-07).
type Draft int

// The drafts a Set reads.
const (
	Draft7    Draft = 7
	Draft2019 Draft = 2019
	Draft2020 Draft = 2020
)

// String names the draft ("draft 2020-12").
func (d Draft) String() string {
	switch d {
	case Draft7:
		return "draft-07"
	case Draft2019:
		return "draft 2019-09"
	}
	return "draft 2020-12"
}

// draftOf maps a $schema URL to a draft, ignoring the scheme (http or
// https), a trailing "#" and a trailing "/".
func draftOf(u string) (Draft, bool) {
	u = strings.TrimSuffix(strings.TrimSuffix(u, "#"), "/")
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	switch u {
	case "json-schema.org/draft-07/schema":
		return Draft7, true
	case "json-schema.org/draft/2019-09/schema":
		return Draft2019, true
	case "json-schema.org/draft/2020-12/schema":
		return Draft2020, true
	}
	return 0, false
}

var metaURL = map[Draft]string{
	Draft7:    "http://json-schema.org/draft-07/schema",
	Draft2019: "https://json-schema.org/draft/2019-09/schema",
	Draft2020: "https://json-schema.org/draft/2020-12/schema",
}

// File is one JSON Schema document of a set.
type File struct {
	Path  string // slash-separated path in the set ("defs/money.json")
	Data  []byte // the text as given
	Root  *Node  // the parsed document
	Draft Draft  // from $schema; 2020-12 when absent
	URL   string // BaseURL + Path
}

// Loc is the location of a schema: a file of the set and a JSON pointer in
// it.
type Loc struct {
	File *File
	Ptr  string
}

// String returns "path#pointer", the form messages and Compile use.
func (l Loc) String() string { return l.File.Path + "#" + l.Ptr }

// Node returns the schema at l, nil when there is none.
func (l Loc) Node() *Node { return l.File.Root.Lookup(l.Ptr) }

// Set is a loaded, checked schema set: its files, the index of their $id
// and $anchor declarations, and the compiled schemas. It is the one place
// that reads schema files, resolves references and configures the
// validator: the generator (package gen), typed.Schemas, package contract,
// distgen validate and the oneOf/anyOf matchers of generated code all judge
// a value through a Set. Make one with Load or LoadFiles. A Set is safe for
// concurrent use.
//
// References resolve by relative path from the referring file, by $id and
// by $anchor (and, in draft-07, by an $id of the form "#name"), following
// the rules of each file's draft: in draft-07, the siblings of $ref,
// including $id, are ignored. When the $id of a file ends with the file's
// own path ("https://shop.example/schemas/order.json" for "order.json"), the
// $id's directory is an alias of the schema directory: every file of the
// set is also known under it, so that relative references from such a file
// reach the other files. A reference to anything else (an http or https
// URL that is no $id of the set) is refused with ErrRemoteRef and never
// fetched.
type Set struct {
	files      []*File // sorted by path
	byPath     map[string]*File
	byURL      map[string]Loc    // absolute URI without fragment -> schema resource
	anchors    map[string]Loc    // resource URI#anchor -> schema
	bases      map[string]string // Loc.String() -> base URI in effect there
	contextual bool              // a file uses $dynamicRef or $recursiveRef

	mu       sync.Mutex
	comp     *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema // by Loc.String()
	values   map[string]any                // by Loc.String()
}

// Load reads every *.json file of fsys (see ReadDir) and loads them with
// LoadFiles.
func Load(fsys fs.FS) (*Set, error) {
	files, err := ReadDir(fsys)
	if err != nil {
		return nil, err
	}
	return LoadFiles(files)
}

// LoadFiles loads a schema set from memory: slash-separated path relative to
// the schema directory ("user.json", "defs/image.json") -> JSON text. Every
// file is parsed (a duplicate member name is an error), its numbers checked
// against the range the validator supports, its draft read from $schema
// (draft-07, 2019-09 or 2020-12; 2020-12 when absent), every $ref resolved
// inside the set, cycles of in-place references refused, and every file
// checked against its draft's meta-schema and compiled. The error is an
// *Error or an ErrorList, with file, line, column and JSON pointer.
func LoadFiles(files map[string][]byte) (*Set, error) {
	if len(files) == 0 {
		return nil, &Error{Kind: ErrSchema, Msg: "the schema set has no *.json files", Hint: "point at the directory that holds your JSON Schemas"}
	}
	parsed, err := parseFiles(files, nil)
	if err != nil {
		return nil, err
	}
	return build(parsed, parsed)
}

// With returns a new set of the files of s and files, which must not
// replace any: the files of s are not checked or compiled again. The
// generator adds the whole-message schemas it writes for topics this way.
func (s *Set) With(files map[string][]byte) (*Set, error) {
	added, err := parseFiles(files, s.byPath)
	if err != nil {
		return nil, err
	}
	return build(append(append([]*File(nil), s.files...), added...), added)
}

// parseFiles parses files, refusing paths that old already has.
func parseFiles(files map[string][]byte, old map[string]*File) ([]*File, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var errs ErrorList
	var out []*File
	for _, p := range paths {
		if !fs.ValidPath(p) || p == "." || strings.Contains(p, `\`) {
			errs = append(errs, &Error{Kind: ErrSchema, File: p, Msg: fmt.Sprintf("file name %q is not a clean slash-separated relative path", p), Hint: `name files like "defs/image.json", relative to the schema directory`})
			continue
		}
		if _, dup := old[p]; dup {
			errs = append(errs, &Error{Kind: ErrSchema, File: p, Msg: "the schema set already has this file", Hint: "rename or move the file"})
			continue
		}
		data := files[p]
		f := &File{Path: p, Data: data, URL: BaseURL + p}
		root, err := Parse(data)
		if err != nil {
			errs = append(errs, syntaxErr(p, data, err))
			continue
		}
		f.Root = root
		var ne *jsonguard.NumberError
		if errors.As(jsonguard.Numbers(data), &ne) {
			e := ErrorAt(ErrSchema, f, ne.Pointer, ne.Message(), "write the number with fewer digits or a smaller exponent: the validator cannot compare it")
			e.Err = ne
			errs = append(errs, e)
			continue
		}
		d, derr := fileDraft(f)
		if derr != nil {
			errs = append(errs, derr)
			continue
		}
		f.Draft = d
		out = append(out, f)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// build indexes files, checks their references and cycles, and compiles
// the files of check.
func build(files []*File, check []*File) (*Set, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	s := &Set{
		files:    files,
		byPath:   make(map[string]*File, len(files)),
		byURL:    map[string]Loc{},
		anchors:  map[string]Loc{},
		bases:    map[string]string{},
		compiled: map[string]*jsonschema.Schema{},
		values:   map[string]any{},
	}
	var errs ErrorList
	for _, f := range files {
		s.byPath[f.Path] = f
		s.byURL[f.URL] = Loc{f, ""}
	}
	for _, f := range files {
		errs = append(errs, s.index(f, f.Root, "", f.URL)...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	s.aliasDirs()
	if errs = s.checkRefs(check); len(errs) > 0 {
		return nil, errs
	}
	if errs = s.checkCycles(); len(errs) > 0 {
		return nil, errs
	}
	s.comp = s.compiler()
	// Compiling validates every file against its meta-schema too; only when
	// it fails are the files validated one by one, to say where.
	for _, f := range check {
		if _, err := s.compile(Loc{f, ""}); err != nil {
			for _, f := range check {
				if err := metaValidate(f); err != nil {
					errs = append(errs, err)
				}
			}
			if len(errs) > 0 {
				return nil, errs
			}
			return nil, err
		}
	}
	return s, nil
}

func syntaxErr(p string, data []byte, err error) *Error {
	var se *SyntaxError
	off := 0
	msg := err.Error()
	if errors.As(err, &se) {
		off = se.Offset
		msg = se.Msg
	}
	line, col := LineCol(data, off)
	return &Error{Kind: ErrSyntax, File: p, Line: line, Column: col, Msg: "invalid JSON: " + msg, Hint: "fix the JSON syntax at this position"}
}

// ErrorAt returns an *Error of kind located at ptr in f: its line and
// column are those of the value at ptr, or of the nearest enclosing value
// that exists.
func ErrorAt(kind error, f *File, ptr, msg, hint string) *Error {
	e := &Error{Kind: kind, File: f.Path, Pointer: ptr, Msg: msg, Hint: hint}
	if f.Root != nil {
		p := ptr
		for {
			if n := f.Root.Lookup(p); n != nil {
				e.Line, e.Column = LineCol(f.Data, n.Start)
				break
			}
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	return e
}

func fileDraft(f *File) (Draft, *Error) {
	if f.Root.Kind == Boolean {
		return Draft2020, nil
	}
	if f.Root.Kind != Object {
		return 0, ErrorAt(ErrSchema, f, "", fmt.Sprintf("a schema must be an object or a boolean, not %s", f.Root.Kind), "make the file's top-level value a JSON Schema object")
	}
	sn := f.Root.Get("$schema")
	if sn == nil {
		return Draft2020, nil
	}
	if sn.Kind != String {
		return 0, ErrorAt(ErrSchema, f, "/$schema", "$schema must be a string", `use "https://json-schema.org/draft/2020-12/schema" or "http://json-schema.org/draft-07/schema#"`)
	}
	d, ok := draftOf(sn.Str)
	if !ok {
		return 0, ErrorAt(ErrSchema, f, "/$schema", fmt.Sprintf("unsupported $schema %q", sn.Str), `schema sets are read in draft 2020-12 ("https://json-schema.org/draft/2020-12/schema"), 2019-09 and draft-07 ("http://json-schema.org/draft-07/schema#")`)
	}
	return d, nil
}

// Subschema keywords, by shape.
var (
	kwSingle = []string{"additionalProperties", "propertyNames", "additionalItems", "contains", "not", "if", "then", "else", "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
	kwMap    = []string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
	kwArray  = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
)

// EachSub calls fn for every direct subschema of n, a schema at ptr, with
// the subschema and its pointer.
func EachSub(n *Node, ptr string, fn func(c *Node, cptr string)) {
	if n == nil || n.Kind != Object {
		return
	}
	for _, k := range kwSingle {
		if c := n.Get(k); c != nil && (c.Kind == Object || c.Kind == Boolean) {
			fn(c, ptr+"/"+EscapeToken(k))
		}
	}
	if c := n.Get("items"); c != nil {
		switch c.Kind {
		case Object, Boolean:
			fn(c, ptr+"/items")
		case Array:
			for i, e := range c.Arr {
				fn(e, fmt.Sprintf("%s/items/%d", ptr, i))
			}
		}
	}
	for _, k := range kwMap {
		if c := n.Get(k); c != nil && c.Kind == Object {
			for i, name := range c.Keys {
				v := c.Vals[i]
				if v.Kind == Object || v.Kind == Boolean {
					fn(v, ptr+"/"+EscapeToken(k)+"/"+EscapeToken(name))
				}
			}
		}
	}
	for _, k := range kwArray {
		if c := n.Get(k); c != nil && c.Kind == Array {
			for i, e := range c.Arr {
				fn(e, fmt.Sprintf("%s/%s/%d", ptr, k, i))
			}
		}
	}
}

// idOf returns the $id of the schema object n in draft d, "" when it has
// none or, before 2019-09, when a $ref beside it makes it ignored.
func idOf(n *Node, d Draft) string {
	id := n.Get("$id")
	if id == nil || id.Kind != String {
		return ""
	}
	if d < Draft2019 && n.Get("$ref") != nil {
		return "" // draft-07: the siblings of $ref are ignored
	}
	return id.Str
}

// index records base URIs, $id resources and anchors under n.
func (s *Set) index(f *File, n *Node, ptr, base string) ErrorList {
	var errs ErrorList
	if n.Kind == Object {
		if n.Get("$dynamicRef") != nil || n.Get("$recursiveRef") != nil {
			s.contextual = true
		}
		if id := idOf(n, f.Draft); id != "" {
			u, err := resolveURL(base, id)
			if err != nil {
				return ErrorList{ErrorAt(ErrSchema, f, ptr+"/$id", fmt.Sprintf("$id %q is not a valid URI reference", id), "fix the $id")}
			}
			doc, frag := splitFragment(u)
			if doc != "" && !(f.Draft == Draft7 && strings.HasPrefix(id, "#")) {
				if prev, dup := s.byURL[doc]; dup && (prev.File != f || prev.Ptr != ptr) {
					errs = append(errs, ErrorAt(ErrSchema, f, ptr+"/$id", fmt.Sprintf("$id %q is also used by %s", id, prev), "give every schema resource its own $id"))
				}
				s.byURL[doc] = Loc{f, ptr}
				base = doc
			}
			if frag != "" && f.Draft == Draft7 {
				s.anchors[base+"#"+frag] = Loc{f, ptr}
			}
		}
		if f.Draft >= Draft2019 {
			for _, k := range []string{"$anchor", "$dynamicAnchor"} {
				if a := n.Get(k); a != nil && a.Kind == String {
					s.anchors[base+"#"+a.Str] = Loc{f, ptr}
				}
			}
		}
	}
	s.bases[f.Path+"#"+ptr] = base
	EachSub(n, ptr, func(c *Node, cptr string) {
		errs = append(errs, s.index(f, c, cptr, base)...)
	})
	return errs
}

// aliasDirs makes the directory of a file's $id that ends with the file's
// own path an alias of the schema directory (see Set).
func (s *Set) aliasDirs() {
	for _, f := range s.files {
		if f.Root.Kind != Object {
			continue
		}
		id := idOf(f.Root, f.Draft)
		if id == "" {
			continue
		}
		u, err := resolveURL(f.URL, id)
		if err != nil {
			continue
		}
		doc, _ := splitFragment(u)
		dir, ok := strings.CutSuffix(doc, "/"+f.Path)
		if !ok || doc == f.URL {
			continue
		}
		for _, g := range s.files {
			if _, taken := s.byURL[dir+"/"+g.Path]; !taken {
				s.byURL[dir+"/"+g.Path] = Loc{g, ""}
			}
		}
	}
}

func resolveURL(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

func splitFragment(u string) (doc, frag string) {
	if i := strings.IndexByte(u, '#'); i >= 0 {
		f, err := url.PathUnescape(u[i+1:])
		if err != nil {
			f = u[i+1:]
		}
		return u[:i], f
	}
	return u, ""
}

// base returns the base URI in effect at l: that of the nearest enclosing
// schema the index knows.
func (s *Set) base(l Loc) string {
	p := l.Ptr
	for {
		if b, ok := s.bases[l.File.Path+"#"+p]; ok {
			return b
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return l.File.URL
		}
		p = p[:i]
	}
}

// Resolve resolves ref, the value of the $ref of the schema at from, to the
// schema it names. The error is an *Error at from's $ref: ErrRemoteRef for
// a reference outside the set, ErrRef for one that names no schema of it.
func (s *Set) Resolve(from Loc, ref string) (Loc, error) {
	l, err := s.resolve(from, "$ref", ref)
	if err != nil {
		return Loc{}, err
	}
	return l, nil
}

// resolve resolves ref, the value of keyword kw of the schema at from.
func (s *Set) resolve(from Loc, kw, ref string) (Loc, *Error) {
	refPtr := from.Ptr + "/" + kw
	// The fragment is split off first: a JSON pointer written as is
	// ("#/properties/50%off") is taken as it stands when it is no valid
	// percent-encoding.
	docRef, rawFrag, _ := strings.Cut(ref, "#")
	doc, err := resolveURL(s.base(from), docRef)
	if err != nil {
		return Loc{}, ErrorAt(ErrRef, from.File, refPtr, fmt.Sprintf("%s %q is not a valid URI reference", kw, ref), "fix the "+kw)
	}
	frag, err := url.PathUnescape(rawFrag)
	if err != nil {
		frag = rawFrag
	}
	target, ok := s.byURL[doc]
	if !ok {
		if !strings.HasPrefix(doc, BaseURL) {
			return Loc{}, ErrorAt(ErrRemoteRef, from.File, refPtr, fmt.Sprintf("%s %q points outside the schema set (%s); remote schemas are never fetched", kw, ref, doc), "copy the schema into the set and refer to it by relative path or by its $id")
		}
		return Loc{}, ErrorAt(ErrRef, from.File, refPtr, fmt.Sprintf("%s %q: no file %q in the schema set", kw, ref, strings.TrimPrefix(doc, BaseURL)), "add the file or fix the path (relative to the referring file)")
	}
	switch {
	case frag == "":
		return target, nil
	case strings.HasPrefix(frag, "/"):
		l := Loc{target.File, target.Ptr + frag}
		if n := l.Node(); n == nil || (n.Kind != Object && n.Kind != Boolean) {
			return Loc{}, ErrorAt(ErrRef, from.File, refPtr, fmt.Sprintf("%s %q: %s has no schema at %s", kw, ref, target.File.Path, target.Ptr+frag), "fix the JSON pointer after '#'")
		}
		return l, nil
	default:
		l, ok := s.anchors[s.base(target)+"#"+frag]
		if !ok {
			return Loc{}, ErrorAt(ErrRef, from.File, refPtr, fmt.Sprintf("%s %q: no anchor %q in %s", kw, ref, frag, target.File.Path), "declare the $anchor or fix the "+kw)
		}
		return l, nil
	}
}

// Lookup resolves ref, a reference relative to the schema directory
// ("user.json", "defs/image.json#/$defs/x", "order.json#item") or the
// absolute $id of a schema of the set, as the $ref of a file in the
// directory's root would. The error is an *Error (ErrRef, ErrRemoteRef)
// naming ref.
func (s *Set) Lookup(ref string) (Loc, error) {
	if ref == "" {
		return Loc{}, &Error{Kind: ErrRef, Msg: "empty schema reference", Hint: `name a file of the set, such as "user.json" or "events.json#/$defs/ping"`}
	}
	root := &File{Path: "", URL: BaseURL} // the schema directory itself
	l, err := s.resolve(Loc{root, ""}, "$ref", ref)
	if err != nil {
		err.File, err.Pointer, err.Line, err.Column = "", "", 0, 0
		err.Msg = strings.Replace(err.Msg, "$ref ", "reference ", 1)
		return Loc{}, err
	}
	return l, nil
}

// checkRefs resolves every $ref of the files of check, and refuses a
// $dynamicRef or $recursiveRef that leaves the set.
func (s *Set) checkRefs(check []*File) ErrorList {
	var errs ErrorList
	var walk func(f *File, n *Node, ptr string)
	walk = func(f *File, n *Node, ptr string) {
		if n.Kind == Object {
			if r := n.Get("$ref"); r != nil && r.Kind == String {
				if _, err := s.resolve(Loc{f, ptr}, "$ref", r.Str); err != nil {
					errs = append(errs, err)
				}
			}
			for _, k := range []string{"$dynamicRef", "$recursiveRef"} {
				if r := n.Get(k); r != nil && r.Kind == String {
					if u, err := resolveURL(s.base(Loc{f, ptr}), r.Str); err == nil {
						if doc, _ := splitFragment(u); !strings.HasPrefix(doc, BaseURL) {
							if _, ok := s.byURL[doc]; !ok {
								errs = append(errs, ErrorAt(ErrRemoteRef, f, ptr+"/"+k, fmt.Sprintf("%s %q points outside the schema set; remote schemas are never fetched", k, r.Str), "copy the schema into the set"))
							}
						}
					}
				}
			}
		}
		EachSub(n, ptr, func(c *Node, cptr string) { walk(f, c, cptr) })
	}
	for _, f := range check {
		walk(f, f.Root, "")
	}
	return errs
}

// Files returns the files of the set, sorted by path.
func (s *Set) Files() []*File { return append([]*File(nil), s.files...) }

// File returns the file at path, nil when the set has none.
func (s *Set) File(path string) *File { return s.byPath[path] }

// Texts returns the files of the set as path -> JSON text: the form
// generated code embeds and typed.Compile takes.
func (s *Set) Texts() map[string]string {
	out := make(map[string]string, len(s.files))
	for _, f := range s.files {
		out[f.Path] = string(f.Data)
	}
	return out
}

// Contextual reports whether a schema of the set uses $dynamicRef or
// $recursiveRef, whose meaning depends on the path that reached them.
func (s *Set) Contextual() bool { return s.contextual }

// Value returns the schema at l as a plain Go value (json.Number for
// numbers). The value is shared: callers must not change it.
func (s *Set) Value(l Loc) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := l.String()
	if v, ok := s.values[k]; ok {
		return v
	}
	var v any
	if n := l.Node(); n != nil {
		v = n.Value()
	}
	s.values[k] = v
	return v
}
