package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/distributer/distributer/internal/jsonguard"
	"github.com/distributer/distributer/internal/jsonpos"
)

// ManifestFile is the name of the topic-declaration file in the root of a
// schema set.
const ManifestFile = "distgen.json"

// baseURL is the URL under which the files of a set are known to the JSON
// Schema compiler. Relative $refs resolve against it.
const baseURL = "distgen:///"

// Drafts distgen reads.
const (
	draft07   = 7
	draft2019 = 2019
	draft2020 = 2020
)

// draftOf maps a $schema URL to a draft, ignoring the scheme (http or
// https), a trailing "#" and a trailing "/".
func draftOf(u string) (int, bool) {
	u = strings.TrimSuffix(strings.TrimSuffix(u, "#"), "/")
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	switch u {
	case "json-schema.org/draft-07/schema":
		return draft07, true
	case "json-schema.org/draft/2019-09/schema":
		return draft2019, true
	case "json-schema.org/draft/2020-12/schema":
		return draft2020, true
	}
	return 0, false
}

var metaURL = map[int]string{
	draft07:   "http://json-schema.org/draft-07/schema",
	draft2019: "https://json-schema.org/draft/2019-09/schema",
	draft2020: "https://json-schema.org/draft/2020-12/schema",
}

// file is one JSON Schema document of a set.
type file struct {
	Path  string
	Data  []byte
	Root  *node
	Draft int
	URL   string // baseURL + path
}

// loc is the location of a schema: a file and a JSON pointer in it.
type loc struct {
	f   *file
	ptr string
}

func (l loc) String() string { return l.f.Path + "#" + l.ptr }
func (l loc) node() *node    { return l.f.Root.Lookup(l.ptr) }

// Set is a loaded, validated schema set with its topic declarations. Make
// one with Load.
type Set struct {
	files        []*file // sorted by path
	byPath       map[string]*file
	byURL        map[string]loc    // absolute URI without fragment -> schema resource
	anchors      map[string]loc    // absolute URI#anchor -> schema
	bases        map[string]string // loc.String() -> base URI in effect there
	synth        map[string]string // synthesized files (topic schemas)
	topics       map[string]string // topic -> schema reference
	decl         *manifest         // nil when the set declares no topics
	manifestFile *file
	comp         *jsonschema.Compiler // the compiler of compileAll, reused for topic schemas
}

// Files returns the schema files of the set (slash-separated path -> JSON
// text as on disk), including the files distgen synthesizes for topics whose
// messages are wrapped in an envelope. It is the first argument of
// typed.Compile.
func (s *Set) Files() map[string]string {
	out := make(map[string]string, len(s.files)+len(s.synth))
	for _, f := range s.files {
		out[f.Path] = string(f.Data)
	}
	for k, v := range s.synth {
		out[k] = v
	}
	return out
}

// TopicSchemas returns, for every declared topic, the reference of the
// schema that validates a whole message body on it. It is the second
// argument of typed.Compile.
func (s *Set) TopicSchemas() map[string]string {
	out := make(map[string]string, len(s.topics))
	for k, v := range s.topics {
		out[k] = v
	}
	return out
}

// Topics returns the declared topics, sorted.
func (s *Set) Topics() []string {
	out := make([]string, 0, len(s.topics))
	for k := range s.topics {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Load reads every *.json file of fsys (the schema directory) as a JSON
// Schema, except distgen.json in its root, which holds the topic
// declarations. Files whose names start with "." or "_" are ignored. A
// file that is a symbolic link is read only when it leads, by a relative
// path, to a file inside the directory; otherwise Load fails with an error
// wrapping ErrOutsideDir that names it (a link to /etc/passwd is never
// read, let alone embedded in generated code). Every schema is checked against its draft's meta-schema and compiled;
// every $ref must resolve inside the set. The error is an *Error or an
// ErrorList.
func Load(fsys fs.FS) (*Set, error) {
	var paths []string
	var manifestData []byte
	var linkErrs ErrorList
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := path.Base(p)
		if p != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if e := checkLink(fsys, p); e != nil {
				linkErrs = append(linkErrs, e)
				return nil
			}
		}
		if p == ManifestFile {
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			manifestData = b
			return nil
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("distgen: reading schema directory: %w", err)
	}
	if len(linkErrs) > 0 {
		return nil, linkErrs
	}
	sort.Strings(paths)
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("distgen: reading %s: %w", p, err)
		}
		files[p] = b
	}
	if manifestData != nil {
		files[ManifestFile] = manifestData
	}
	return LoadFiles(files)
}

// LoadFiles is Load for an in-memory set: slash-separated path -> content.
// A file named distgen.json holds the topic declarations.
func LoadFiles(files map[string][]byte) (*Set, error) {
	s := &Set{
		byPath:  map[string]*file{},
		byURL:   map[string]loc{},
		anchors: map[string]loc{},
		bases:   map[string]string{},
		synth:   map[string]string{},
		topics:  map[string]string{},
	}
	var errs ErrorList
	paths := make([]string, 0, len(files))
	for p := range files {
		if p != ManifestFile {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		return nil, &Error{Kind: ErrSchema, Msg: "the schema set has no *.json files", Hint: "point distgen at the directory that holds your JSON Schemas"}
	}
	for _, p := range paths {
		data := files[p]
		f := &file{Path: p, Data: data, URL: baseURL + p}
		root, err := parseJSON(data)
		if err != nil {
			errs = append(errs, syntaxErr(p, data, err))
			continue
		}
		f.Root = root
		var ne *jsonguard.NumberError
		if errors.As(jsonguard.Numbers(data), &ne) {
			errs = append(errs, errAt(ErrSchema, f, ne.Pointer, ne.Message(), "write the number with fewer digits or a smaller exponent: the validator cannot compare it"))
			continue
		}
		d, err := fileDraft(f)
		if err != nil {
			errs = append(errs, err.(*Error))
			continue
		}
		f.Draft = d
		s.files = append(s.files, f)
		s.byPath[p] = f
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for _, f := range s.files {
		s.byURL[f.URL] = loc{f, ""}
		errs = append(errs, s.index(f, f.Root, "", f.URL)...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	errs = append(errs, s.checkRefs()...)
	if len(errs) > 0 {
		return nil, errs
	}
	if errs = s.checkCycles(); len(errs) > 0 {
		return nil, errs
	}
	// Compiling validates every file against its meta-schema too; only when
	// it fails are the files validated one by one, to say where.
	if err := s.compileAll(); err != nil {
		for _, f := range s.files {
			if err := s.metaValidate(f); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			return nil, errs
		}
		return nil, err
	}
	if m, ok := files[ManifestFile]; ok {
		if err := s.loadManifest(m); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func syntaxErr(p string, data []byte, err error) *Error {
	var se *syntaxError
	off := 0
	msg := err.Error()
	if errors.As(err, &se) {
		off = se.off
		msg = se.msg
	}
	line, col := jsonpos.LineCol(data, off)
	return &Error{Kind: ErrSyntax, File: p, Line: line, Column: col, Msg: "invalid JSON: " + msg, Hint: "fix the JSON syntax at this position"}
}

// errAt builds an *Error located at ptr in f.
func errAt(kind error, f *file, ptr, msg, hint string) *Error {
	e := &Error{Kind: kind, File: f.Path, Pointer: ptr, Msg: msg, Hint: hint}
	if f.Root != nil {
		// Point at the nearest existing value.
		p := ptr
		for {
			if n := f.Root.Lookup(p); n != nil {
				e.Line, e.Column = jsonpos.LineCol(f.Data, n.Start)
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

func fileDraft(f *file) (int, error) {
	sn := f.Root.Get("$schema")
	if f.Root.Kind == kBool {
		return draft2020, nil
	}
	if f.Root.Kind != kObject {
		return 0, errAt(ErrSchema, f, "", fmt.Sprintf("a schema must be an object or a boolean, not %s", f.Root.Kind), "make the file's top-level value a JSON Schema object")
	}
	if sn == nil {
		return draft2020, nil
	}
	if sn.Kind != kString {
		return 0, errAt(ErrSchema, f, "/$schema", "$schema must be a string", `use "https://json-schema.org/draft/2020-12/schema" or "http://json-schema.org/draft-07/schema#"`)
	}
	d, ok := draftOf(sn.Str)
	if !ok {
		return 0, errAt(ErrUnsupported, f, "/$schema", fmt.Sprintf("unsupported $schema %q", sn.Str), `distgen reads draft 2020-12 ("https://json-schema.org/draft/2020-12/schema"), 2019-09 and draft-07 ("http://json-schema.org/draft-07/schema#")`)
	}
	return d, nil
}

// subschema keywords, by shape.
var (
	kwSingle = []string{"additionalProperties", "propertyNames", "additionalItems", "contains", "not", "if", "then", "else", "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
	kwMap    = []string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
	kwArray  = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
)

// eachSub calls fn for every direct subschema of n (at ptr).
func eachSub(n *node, ptr string, fn func(c *node, cptr string)) {
	if n == nil || n.Kind != kObject {
		return
	}
	for _, k := range kwSingle {
		if c := n.Get(k); c != nil && (c.Kind == kObject || c.Kind == kBool) {
			fn(c, ptr+"/"+escapePointer(k))
		}
	}
	if c := n.Get("items"); c != nil {
		switch c.Kind {
		case kObject, kBool:
			fn(c, ptr+"/items")
		case kArray:
			for i, e := range c.Arr {
				fn(e, fmt.Sprintf("%s/items/%d", ptr, i))
			}
		}
	}
	for _, k := range kwMap {
		if c := n.Get(k); c != nil && c.Kind == kObject {
			for i, name := range c.Keys {
				v := c.Vals[i]
				if v.Kind == kObject || v.Kind == kBool {
					fn(v, ptr+"/"+escapePointer(k)+"/"+escapePointer(name))
				}
			}
		}
	}
	for _, k := range kwArray {
		if c := n.Get(k); c != nil && c.Kind == kArray {
			for i, e := range c.Arr {
				fn(e, fmt.Sprintf("%s/%s/%d", ptr, k, i))
			}
		}
	}
}

// index records base URIs, $id resources and anchors under n.
func (s *Set) index(f *file, n *node, ptr, base string) ErrorList {
	var errs ErrorList
	if n.Kind == kObject {
		if id := n.Get("$id"); id != nil && id.Kind == kString {
			u, err := resolveURL(base, id.Str)
			if err != nil {
				return ErrorList{errAt(ErrSchema, f, ptr+"/$id", fmt.Sprintf("$id %q is not a valid URI reference", id.Str), "fix the $id")}
			}
			doc, frag := splitFragment(u)
			if doc != "" && !(f.Draft == draft07 && strings.HasPrefix(id.Str, "#")) {
				if prev, dup := s.byURL[doc]; dup && (prev.f != f || prev.ptr != ptr) {
					errs = append(errs, errAt(ErrCollision, f, ptr+"/$id", fmt.Sprintf("$id %q is also used by %s", id.Str, prev), "give every schema resource its own $id"))
				}
				s.byURL[doc] = loc{f, ptr}
				base = doc
			}
			if frag != "" && f.Draft == draft07 {
				s.anchors[base+"#"+frag] = loc{f, ptr}
			}
		}
		if a := n.Get("$anchor"); a != nil && a.Kind == kString {
			s.anchors[base+"#"+a.Str] = loc{f, ptr}
		}
	}
	s.bases[f.Path+"#"+ptr] = base
	eachSub(n, ptr, func(c *node, cptr string) {
		errs = append(errs, s.index(f, c, cptr, base)...)
	})
	return errs
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

// resolveRef resolves the $ref of the schema at from.
func (s *Set) resolveRef(from loc, ref string) (loc, *Error) {
	base := s.bases[from.String()]
	if base == "" {
		base = from.f.URL
	}
	refPtr := from.ptr + "/$ref"
	u, err := resolveURL(base, ref)
	if err != nil {
		return loc{}, errAt(ErrRef, from.f, refPtr, fmt.Sprintf("$ref %q is not a valid URI reference", ref), "fix the $ref")
	}
	doc, frag := splitFragment(u)
	target, ok := s.byURL[doc]
	if !ok {
		pu, _ := url.Parse(doc)
		if pu != nil && pu.Scheme != "distgen" {
			return loc{}, errAt(ErrRemoteRef, from.f, refPtr, fmt.Sprintf("$ref %q points outside the schema set (%s); remote schemas are never fetched", ref, doc), "copy the schema into the set and refer to it by relative path or by its $id")
		}
		return loc{}, errAt(ErrRef, from.f, refPtr, fmt.Sprintf("$ref %q: no file %q in the schema set", ref, strings.TrimPrefix(doc, baseURL)), "add the file or fix the path (relative to the referring file)")
	}
	switch {
	case frag == "":
		return target, nil
	case strings.HasPrefix(frag, "/"):
		l := loc{target.f, target.ptr + frag}
		if n := l.node(); n == nil || (n.Kind != kObject && n.Kind != kBool) {
			return loc{}, errAt(ErrRef, from.f, refPtr, fmt.Sprintf("$ref %q: %s has no schema at %s", ref, target.f.Path, target.ptr+frag), "fix the JSON pointer after '#'")
		}
		return l, nil
	default:
		l, ok := s.anchors[doc+"#"+frag]
		if !ok {
			return loc{}, errAt(ErrRef, from.f, refPtr, fmt.Sprintf("$ref %q: no anchor %q in %s", ref, frag, target.f.Path), "declare the $anchor or fix the $ref")
		}
		return l, nil
	}
}

// checkRefs resolves every $ref of the set.
func (s *Set) checkRefs() ErrorList {
	var errs ErrorList
	var walk func(f *file, n *node, ptr string)
	walk = func(f *file, n *node, ptr string) {
		if n.Kind == kObject {
			if r := n.Get("$ref"); r != nil && r.Kind == kString {
				if _, err := s.resolveRef(loc{f, ptr}, r.Str); err != nil {
					errs = append(errs, err)
				}
			}
			for _, k := range []string{"$dynamicRef", "$recursiveRef"} {
				if r := n.Get(k); r != nil && r.Kind == kString {
					if u, err := resolveURL(s.bases[f.Path+"#"+ptr], r.Str); err == nil {
						if pu, _ := url.Parse(u); pu != nil && pu.Scheme != "distgen" {
							errs = append(errs, errAt(ErrRemoteRef, f, ptr+"/"+k, fmt.Sprintf("%s %q points outside the schema set; remote schemas are never fetched", k, r.Str), "copy the schema into the set"))
						}
					}
				}
			}
		}
		eachSub(n, ptr, func(c *node, cptr string) { walk(f, c, cptr) })
	}
	for _, f := range s.files {
		walk(f, f.Root, "")
	}
	return errs
}

// metaValidate checks f against its draft's meta-schema.
func (s *Set) metaValidate(f *file) *Error {
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
			return errAt(ErrSchema, f, leaf.InstanceLocation, "not a valid "+draftName(f.Draft)+" schema: "+leaf.Message, "fix the keyword so that it matches the JSON Schema specification")
		}
		return errAt(ErrSchema, f, "", err.Error(), "")
	}
	return nil
}

func draftName(d int) string {
	switch d {
	case draft07:
		return "draft-07"
	case draft2019:
		return "draft 2019-09"
	}
	return "draft 2020-12"
}

var metaCache = map[int]*jsonschema.Schema{}

func metaSchema(d int) (*jsonschema.Schema, error) {
	metaMu.Lock()
	defer metaMu.Unlock()
	if m, ok := metaCache[d]; ok {
		return m, nil
	}
	c := jsonschema.NewCompiler()
	c.LoadURL = refuseLoad
	m, err := c.Compile(metaURL[d])
	if err != nil {
		return nil, err
	}
	metaCache[d] = m
	return m, nil
}

// refuseLoad is the compiler's loader: everything of the set is added as a
// resource beforehand, so a load is a reference outside the set.
func refuseLoad(u string) (io.ReadCloser, error) {
	if strings.HasPrefix(u, baseURL) {
		return nil, fmt.Errorf("no file %q in the schema set", strings.TrimPrefix(u, baseURL))
	}
	return nil, fmt.Errorf("%w: %s is outside the schema set and is never fetched", ErrRemoteRef, u)
}

// compileAll compiles every file with jsonschema/v5 (formats, patterns,
// refs), with a loader that serves only the set.
func (s *Set) compileAll() error {
	c := s.compiler(nil)
	s.comp = c
	for _, f := range s.files {
		if _, err := c.Compile(f.URL); err != nil {
			return &Error{Kind: ErrSchema, File: f.Path, Msg: "compiling: " + strings.ReplaceAll(strings.TrimPrefix(err.Error(), "jsonschema: "), baseURL, ""), Hint: "fix the schema"}
		}
	}
	return nil
}

// compiler returns a jsonschema compiler serving the files of the set and
// extra (synthesized) files.
func (s *Set) compiler(extra map[string]string) *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.LoadURL = refuseLoad
	c.AssertFormat = true
	for _, f := range s.files {
		_ = c.AddResource(f.URL, bytes.NewReader(f.Data))
		if id := f.Root.Get("$id"); id != nil && id.Kind == kString {
			if u, err := resolveURL(f.URL, id.Str); err == nil {
				if doc, _ := splitFragment(u); doc != f.URL && doc != "" {
					_ = c.AddResource(doc, bytes.NewReader(f.Data))
				}
			}
		}
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		_ = c.AddResource(baseURL+k, strings.NewReader(extra[k]))
	}
	return c
}

var metaMu sync.Mutex
