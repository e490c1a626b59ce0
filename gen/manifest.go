package gen

import (
	"sync"

	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/distributer/distributer/internal/jsonguard"
	"github.com/distributer/distributer/schema"
	"github.com/distributer/distributer/topic"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// manifestSchema is the JSON Schema of distgen.json. It is documented in
// docs/distgen-json.md.
const manifestSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "$schema": {"type": "string"},
    "$comment": {"type": "string"},
    "envelopes": {"type": "object", "propertyNames": {"pattern": "^[A-Z][A-Za-z0-9]*$"},
      "additionalProperties": {"type": "object", "additionalProperties": false, "required": ["schema", "payload"],
        "properties": {"schema": {"type": "string", "minLength": 1}, "payload": {"type": "string", "minLength": 1}, "description": {"type": "string"}}}},
    "topics": {"type": "object",
      "additionalProperties": {"type": "object", "additionalProperties": false, "required": ["schema"],
        "properties": {"schema": {"type": "string", "minLength": 1}, "envelope": {"type": "string"},
          "set": {"$ref": "#/$defs/set"}, "description": {"type": "string"},
          "compatibility": {"$ref": "#/$defs/compatibility"}}}},
    "families": {"type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
      "additionalProperties": {"type": "object", "additionalProperties": false, "required": ["topic", "parts"],
        "properties": {
          "topic": {"type": "string", "pattern": "\\{part\\}"},
          "envelope": {"type": "string"},
          "composite": {"type": "string", "minLength": 1},
          "parts": {"type": "array", "minItems": 1, "uniqueItems": true, "items": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}},
          "schemas": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}},
          "set": {"$ref": "#/$defs/set"},
          "fanout": {"type": "object", "additionalProperties": false, "required": ["name"],
            "properties": {"name": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$"}, "set": {"$ref": "#/$defs/set"}}},
          "description": {"type": "string"},
          "compatibility": {"$ref": "#/$defs/compatibility"}}}},
    "overrides": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["go_type"],
      "properties": {"schema": {"type": "string", "minLength": 1}, "format": {"type": "string", "minLength": 1},
        "type": {"enum": ["integer", "number", "string", "boolean"]},
        "go_type": {"type": "string", "minLength": 1}, "description": {"type": "string"}}}},
    "entries": {"type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
      "additionalProperties": {"type": "object", "additionalProperties": false, "required": ["schema", "routes"],
        "properties": {"schema": {"type": "string", "minLength": 1}, "description": {"type": "string"},
          "routes": {"type": "array", "minItems": 1, "items": {"type": "object", "additionalProperties": false,
            "properties": {"when": {"type": "string"}, "data": {"type": "string"},
              "topic": {"type": "string"}, "fanout": {"type": "string"}, "entry": {"type": "string"},
              "set": {"$ref": "#/$defs/set"}},
            "oneOf": [{"required": ["topic"]}, {"required": ["fanout"]}, {"required": ["entry"]}]}}}}}
  },
  "$defs": {
    "compatibility": {"enum": ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"]},
    "set": {"type": "object", "propertyNames": {"pattern": "^(/[^/]+)+$"},
      "additionalProperties": {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": false,
        "properties": {"part": {"const": true}, "topic": {"const": true}, "const": true, "from": {"type": "string", "pattern": "^(/.*)?$"}}}}
  }
}`

// manifestKeys returns, sorted, the keys that the object schema holding the
// failed keyword at loc (an absolute keyword location into manifestSchema)
// declares, so that an unknown or misspelt key can be answered with the
// allowed ones. Nil when that schema declares none.
func manifestKeys(loc string) []string {
	_, frag, ok := strings.Cut(loc, "#")
	if !ok {
		return nil
	}
	var cur any
	if json.Unmarshal([]byte(manifestSchema), &cur) != nil {
		return nil
	}
	toks := strings.Split(strings.TrimPrefix(frag, "/"), "/")
	for _, tok := range toks[:len(toks)-1] { // the last token is the failed keyword
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")]
	}
	m, _ := cur.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// manifest is the parsed distgen.json.
type manifest struct {
	envelopes []*envelopeDecl
	topics    []*topicDecl
	families  []*familyDecl
	entries   []*entryDecl
}

type envelopeDecl struct {
	name    string
	ref     string
	loc     loc
	payload string // member name
	ptr     string
	desc    string // "description"
}

type setRule struct {
	target string // JSON pointer into the envelope
	part   bool
	topic  bool // {"topic": true}: the full topic name
	cnst   *node
	from   *string // JSON pointer into the input
	ptr    string  // manifest location
}

type topicDecl struct {
	name     string
	ref      string // schema reference of the payload
	loc      loc
	envelope *envelopeDecl
	sets     []*setRule
	family   *familyDecl
	part     string
	ptr      string
	schema   string // reference of the whole-body schema
	compat   string // "compatibility" of its declaration (or its family's), "" when none
	desc     string // "description" of its declaration
}

type familyDecl struct {
	name      string
	pattern   string
	envelope  *envelopeDecl
	composite *loc
	parts     []string
	topics    []*topicDecl
	sets      []*setRule
	fanout    string
	fanSets   []*setRule
	ptr       string
	desc      string
}

type routeDecl struct {
	when    string
	hasWhen bool
	data    string
	topic   *topicDecl
	fanout  *familyDecl
	entry   string
	sets    []*setRule
	ptr     string
}

type entryDecl struct {
	name   string
	ref    string
	loc    loc
	routes []*routeDecl
	ptr    string
	desc   string
}

// description returns the "description" member of a declaration, "" when
// it has none.
func description(n *node) string {
	if d := n.Get("description"); d != nil && d.Kind == kString {
		return d.Str
	}
	return ""
}

// manifestSchemas holds the compiled manifestSchema.
var manifestSchemas = sync.OnceValues(func() (*schema.Set, error) {
	return schema.LoadFiles(map[string][]byte{"distgen.schema.json": []byte(manifestSchema)})
})

// loadManifest reads distgen.json in three steps: parse (JSON, number
// sizes, the manifest schema), read (resolve the references and check the
// declarations against each other and the schemas) and synthesize (the
// whole-body schemas of enveloped topics). It returns the first problem.
func (s *Input) loadManifest(data []byte) error {
	mf, err := parseManifest(data)
	if err != nil {
		return err
	}
	r := &manifestReader{s: s, mf: mf, m: &manifest{},
		envs: map[string]*envelopeDecl{}, topics: map[string]*topicDecl{}, fams: map[string]*familyDecl{}}
	s.decl = r.m
	if err := r.read(); err != nil {
		return err
	}
	s.manifestFile = mf
	var e *schema.Error
	if s.overrides, e = s.loadOverrides(mf, mf.Root, r.resolve); e != nil {
		return e
	}
	if len(r.m.topics) == 0 {
		if len(s.overrides) > 0 {
			s.decl = nil // types only
			return nil
		}
		return r.err("", "distgen.json declares no topics and no overrides", "declare topics or families, or remove distgen.json")
	}
	return s.synthesize()
}

// parseManifest parses distgen.json and checks it against manifestSchema.
func parseManifest(data []byte) (*file, error) {
	mf := &file{Path: ManifestFile, Data: data, URL: schema.BaseURL + ManifestFile}
	root, err := schema.Parse(data)
	if err != nil {
		e := &schema.Error{Kind: ErrManifest, File: ManifestFile, Msg: "invalid JSON: " + err.Error(), Hint: "fix the JSON syntax at this position"}
		var se *schema.SyntaxError
		if errors.As(err, &se) {
			e.Line, e.Column = schema.LineCol(data, se.Offset)
		}
		return nil, e
	}
	mf.Root = root
	var ne *jsonguard.NumberError
	if errors.As(jsonguard.Numbers(data), &ne) {
		return nil, errAt(ErrManifest, mf, ne.Pointer, ne.Message(), "write the number with fewer digits or a smaller exponent")
	}
	ms, err := manifestSchemas()
	if err != nil {
		return nil, err
	}
	if err := ms.Validate(schema.Loc{File: ms.File("distgen.schema.json")}, root.Value()); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, errAt(ErrManifest, mf, "", err.Error(), "")
		}
		leaf := ve
		for len(leaf.Causes) > 0 {
			leaf = leaf.Causes[0]
		}
		hint := "see the topic-declaration vocabulary in docs/distgen-json.md"
		if keys := manifestKeys(leaf.AbsoluteKeywordLocation); len(keys) > 0 {
			hint = "allowed keys here: " + strings.Join(keys, ", ") + "; " + hint
		}
		return nil, errAt(ErrManifest, mf, leaf.InstanceLocation, leaf.Message, hint)
	}
	return mf, nil
}

// manifestReader turns the parsed distgen.json into its declarations,
// resolving every schema reference and checking the declarations against
// each other; the first problem ends the reading.
type manifestReader struct {
	s      *Input
	mf     *file
	m      *manifest
	envs   map[string]*envelopeDecl
	topics map[string]*topicDecl
	fams   map[string]*familyDecl
}

func (r *manifestReader) err(ptr, msg, hint string) *schema.Error {
	return errAt(ErrManifest, r.mf, ptr, msg, hint)
}

// read reads the envelopes, topics, families and entries, in that order
// (each may name only those before it, entries also other entries).
func (r *manifestReader) read() error {
	root := r.mf.Root
	for _, step := range []struct {
		key  string
		read func(name string, d *node, ptr string) *schema.Error
	}{
		{"envelopes", r.envelope},
		{"topics", r.topic},
		{"families", r.family},
		{"entries", r.entry},
	} {
		n := root.Get(step.key)
		if n == nil {
			continue
		}
		for i, name := range n.Keys {
			if e := step.read(name, n.Vals[i], "/"+step.key+"/"+escapePointer(name)); e != nil {
				return e
			}
		}
	}
	return nil
}

// resolve resolves a schema reference of distgen.json (at ptr), relative
// to the schema directory, as from a file in its root.
func (r *manifestReader) resolve(ptr, ref string) (loc, *schema.Error) {
	l, err := r.s.set.Lookup(ref)
	if err != nil {
		e := err.(*schema.Error)
		if !errors.Is(e, schema.ErrRemoteRef) {
			e.Kind = ErrManifest
		}
		e.File, e.Pointer = ManifestFile, ptr
		e.Line, e.Column = schema.LineCol(r.mf.Data, r.mf.Root.Lookup(ptr).Start)
		return loc{}, e
	}
	return locOf(l), nil
}

// envelopeOf returns the envelope the declaration n (at ptr) names, nil
// when it names none.
func (r *manifestReader) envelopeOf(n *node, ptr string) (*envelopeDecl, *schema.Error) {
	e := n.Get("envelope")
	if e == nil {
		return nil, nil
	}
	ed, ok := r.envs[e.Str]
	if !ok {
		return nil, r.err(ptr+"/envelope", fmt.Sprintf("no envelope %q is declared", e.Str), "declare it under \"envelopes\"")
	}
	return ed, nil
}

// setRules reads a "set" object (n, at ptr; nil when absent).
func setRules(n *node, ptr string) []*setRule {
	var out []*setRule
	if n == nil {
		return nil
	}
	for i, t := range n.Keys {
		v := n.Vals[i]
		r := &setRule{target: t, ptr: ptr + "/" + escapePointer(t)}
		switch {
		case v.Get("part") != nil:
			r.part = true
		case v.Get("topic") != nil:
			r.topic = true
		case v.Get("const") != nil:
			r.cnst = v.Get("const")
		default:
			f := v.Get("from").Str
			r.from = &f
		}
		out = append(out, r)
	}
	return out
}

// addTopic checks a topic's name and that it is declared once.
func (r *manifestReader) addTopic(t *topicDecl) *schema.Error {
	if err := topic.ValidateTopic(t.name); err != nil {
		return r.err(t.ptr, fmt.Sprintf("%q is not a valid topic name: %v", t.name, err), "use words of letters, digits, '_' and '-' separated by '.'")
	}
	if _, dup := r.topics[t.name]; dup {
		e := r.err(t.ptr, fmt.Sprintf("topic %q is declared twice", t.name), "declare every topic once")
		e.Kind = ErrCollision
		return e
	}
	r.topics[t.name] = t
	r.m.topics = append(r.m.topics, t)
	return nil
}

func (r *manifestReader) envelope(name string, d *node, ptr string) *schema.Error {
	ref := d.Get("schema").Str
	l, e := r.resolve(ptr+"/schema", ref)
	if e != nil {
		return e
	}
	pay := d.Get("payload").Str
	props := l.node().Get("properties")
	if props == nil || props.Get(pay) == nil {
		return r.err(ptr+"/payload", fmt.Sprintf("envelope schema %s has no member %q", ref, pay), "name a member of the envelope schema's properties")
	}
	ed := &envelopeDecl{name: name, ref: ref, loc: l, payload: pay, ptr: ptr, desc: description(d)}
	r.envs[name] = ed
	r.m.envelopes = append(r.m.envelopes, ed)
	return nil
}

func (r *manifestReader) topic(name string, d *node, ptr string) *schema.Error {
	t := &topicDecl{name: name, ref: d.Get("schema").Str, ptr: ptr, desc: description(d)}
	if c := d.Get("compatibility"); c != nil {
		t.compat = c.Str
	}
	l, e := r.resolve(ptr+"/schema", t.ref)
	if e != nil {
		return e
	}
	t.loc = l
	if t.envelope, e = r.envelopeOf(d, ptr); e != nil {
		return e
	}
	t.sets = setRules(d.Get("set"), ptr+"/set")
	if len(t.sets) > 0 && t.envelope == nil {
		return r.err(ptr+"/set", "set rules need an envelope", "declare the topic's envelope")
	}
	for _, sr := range t.sets {
		if sr.part || sr.from != nil {
			return r.err(sr.ptr, "a topic's set takes only {\"const\": value} and {\"topic\": true}", "use part/from in families, fan-outs and entry routes")
		}
	}
	return r.addTopic(t)
}

func (r *manifestReader) family(name string, d *node, ptr string) *schema.Error {
	f := &familyDecl{name: name, pattern: d.Get("topic").Str, ptr: ptr, desc: description(d)}
	var e *schema.Error
	if f.envelope, e = r.envelopeOf(d, ptr); e != nil {
		return e
	}
	for _, p := range d.Get("parts").Arr {
		f.parts = append(f.parts, p.Str)
	}
	schemas := d.Get("schemas")
	if c := d.Get("composite"); c != nil {
		if schemas != nil {
			return r.err(ptr+"/schemas", "a family takes either composite or schemas, not both", "remove one")
		}
		l, e := r.resolve(ptr+"/composite", c.Str)
		if e != nil {
			return e
		}
		f.composite = &l
	} else if schemas == nil {
		return r.err(ptr, "a family needs composite (a schema whose members are the parts) or schemas (part -> schema)", "add one of them")
	}
	for j, p := range f.parts {
		if e := r.familyPart(f, d, j, p); e != nil {
			return e
		}
	}
	if schemas != nil {
		for _, k := range schemas.Keys {
			if !contains(f.parts, k) {
				return r.err(ptr+"/schemas/"+escapePointer(k), fmt.Sprintf("%q is not listed in parts", k), "add it to parts or remove it")
			}
		}
	}
	if e := r.familySets(f, d); e != nil {
		return e
	}
	r.fams[name] = f
	r.m.families = append(r.m.families, f)
	return nil
}

// familyPart declares the topic of part p (the j-th) of the family f
// (declared by d).
func (r *manifestReader) familyPart(f *familyDecl, d *node, j int, p string) *schema.Error {
	t := &topicDecl{name: strings.Replace(f.pattern, "{part}", p, 1), family: f, part: p, envelope: f.envelope, ptr: fmt.Sprintf("%s/parts/%d", f.ptr, j)}
	if c := d.Get("compatibility"); c != nil {
		t.compat = c.Str
	}
	if f.composite != nil {
		props := f.composite.node().Get("properties")
		if props == nil || props.Get(p) == nil {
			return r.err(t.ptr, fmt.Sprintf("composite %s has no member %q", c2s(d.Get("composite")), p), "list only members of the composite schema's properties")
		}
		t.loc = loc{f.composite.f, f.composite.ptr + "/properties/" + escapePointer(p)}
		t.ref = t.loc.f.Path + "#" + t.loc.ptr
	} else {
		sn := d.Get("schemas").Get(p)
		if sn == nil {
			return r.err(f.ptr+"/schemas", fmt.Sprintf("no schema for part %q", p), "map every part to a schema")
		}
		l, e := r.resolve(f.ptr+"/schemas/"+escapePointer(p), sn.Str)
		if e != nil {
			return e
		}
		t.loc, t.ref = l, sn.Str
	}
	f.topics = append(f.topics, t)
	return r.addTopic(t)
}

// familySets reads the set rules of the family f and of its fan-out.
func (r *manifestReader) familySets(f *familyDecl, d *node) *schema.Error {
	f.sets = setRules(d.Get("set"), f.ptr+"/set")
	for _, sr := range f.sets {
		if sr.from != nil {
			return r.err(sr.ptr, "a family's set takes {\"part\": true}, {\"topic\": true} or {\"const\": value}", "put from-rules in the fan-out's set")
		}
	}
	if fo := d.Get("fanout"); fo != nil {
		if f.composite == nil {
			return r.err(f.ptr+"/fanout", "a fan-out needs a composite", "add composite")
		}
		f.fanout = fo.Get("name").Str
		f.fanSets = setRules(fo.Get("set"), f.ptr+"/fanout/set")
	}
	if len(f.sets)+len(f.fanSets) > 0 && f.envelope == nil {
		return r.err(f.ptr+"/set", "set rules need an envelope", "declare the family's envelope")
	}
	return nil
}

func (r *manifestReader) entry(name string, d *node, ptr string) *schema.Error {
	ed := &entryDecl{name: name, ref: d.Get("schema").Str, ptr: ptr, desc: description(d)}
	l, e := r.resolve(ptr+"/schema", ed.ref)
	if e != nil {
		return e
	}
	ed.loc = l
	for j, rn := range d.Get("routes").Arr {
		rd, e := r.route(rn, fmt.Sprintf("%s/routes/%d", ptr, j))
		if e != nil {
			return e
		}
		ed.routes = append(ed.routes, rd)
	}
	r.m.entries = append(r.m.entries, ed)
	return nil
}

// route reads the route rn (at ptr) of an entry.
func (r *manifestReader) route(rn *node, ptr string) (*routeDecl, *schema.Error) {
	rd := &routeDecl{ptr: ptr, sets: setRules(rn.Get("set"), ptr+"/set")}
	if w := rn.Get("when"); w != nil {
		rd.when, rd.hasWhen = w.Str, true
	}
	if dn := rn.Get("data"); dn != nil {
		rd.data = dn.Str
	}
	switch {
	case rn.Get("topic") != nil:
		t, ok := r.topics[rn.Get("topic").Str]
		if !ok {
			return nil, r.err(ptr+"/topic", fmt.Sprintf("no topic %q is declared", rn.Get("topic").Str), "declare it under topics or families")
		}
		rd.topic = t
	case rn.Get("fanout") != nil:
		f, ok := r.fams[rn.Get("fanout").Str]
		if !ok || f.fanout == "" {
			return nil, r.err(ptr+"/fanout", fmt.Sprintf("no family %q with a fan-out is declared", rn.Get("fanout").Str), "declare the family with a fanout")
		}
		rd.fanout = f
	default:
		rd.entry = rn.Get("entry").Str
		if r.mf.Root.Get("entries").Get(rd.entry) == nil {
			return nil, r.err(ptr+"/entry", fmt.Sprintf("no entry %q is declared", rd.entry), "declare it under entries")
		}
		if len(rd.sets) > 0 {
			return nil, r.err(ptr+"/set", "a route to an entry takes no set", "set the metadata in the target entry's routes")
		}
	}
	if len(rd.sets) > 0 && (rd.topic != nil && rd.topic.envelope == nil || rd.fanout != nil && rd.fanout.envelope == nil) {
		return nil, r.err(ptr+"/set", "set rules need an envelope, and the route's target has none", "remove set or declare an envelope")
	}
	for _, sr := range rd.sets {
		if sr.part || sr.topic {
			return nil, r.err(sr.ptr, "{\"part\": true} and {\"topic\": true} are only meaningful in the set of a topic, a family or a fan-out (the target's own set rules apply after the route's)", "use const or from, or put the rule in the target's set")
		}
	}
	return rd, nil
}

func c2s(n *node) string {
	if n == nil {
		return ""
	}
	return n.Str
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// synthDir holds the whole-message schemas distgen writes for topics with
// an envelope.
const synthDir = "_distgen/topics/"

// synthesize builds the whole-body schema of every topic and compiles them.
func (s *Input) synthesize() error {
	synth := map[string][]byte{}
	for _, t := range s.decl.topics {
		if t.envelope == nil {
			t.schema = t.ref
			s.topics[t.name] = t.schema
			continue
		}
		name := synthDir + t.name + ".json"
		if s.set.File(name) != nil {
			return &schema.Error{Kind: ErrCollision, File: name, Msg: "the schema set already has a file where distgen writes a topic schema", Hint: "rename or move the file"}
		}
		b, err := topicSchema(t)
		if err != nil {
			return err
		}
		synth[name] = b
		t.schema = name
		s.topics[t.name] = name
	}
	if len(synth) > 0 {
		set, err := s.set.With(synth)
		if err != nil {
			return err
		}
		s.set = set
	}
	for _, name := range s.Topics() {
		if _, err := s.set.Compile(s.topics[name]); err != nil {
			return &schema.Error{Kind: ErrManifest, File: ManifestFile, Msg: fmt.Sprintf("topic %s: its schema does not compile: %v", name, err), Hint: "check the topic's schema, envelope and set rules"}
		}
	}
	return nil
}

// topicSchema is the whole-body schema of the enveloped topic t: its
// envelope, with the payload member its schema and the members that const
// and part set rules fill constant.
func topicSchema(t *topicDecl) ([]byte, error) {
	consts := map[string]any{}
	var rules []*setRule
	rules = append(rules, t.sets...)
	if t.family != nil {
		rules = append(rules, t.family.sets...)
	}
	for _, r := range rules {
		switch {
		case r.part:
			consts[r.target] = t.part
		case r.topic:
			consts[r.target] = t.name
		case r.cnst != nil:
			consts[r.target] = r.cnst.Value()
		}
	}
	payload := map[string]any{"$ref": "../../" + t.loc.f.Path + fragment(t.loc.ptr)}
	over := map[string]any{"properties": map[string]any{t.envelope.payload: payload}}
	keys := make([]string, 0, len(consts))
	for k := range consts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		constAt(over, splitPointer(k), consts[k])
	}
	doc := map[string]any{
		"$schema":  "https://json-schema.org/draft/2020-12/schema",
		"$comment": "Generated by distgen from distgen.json: the whole message body on topic " + t.name + ".",
		"allOf":    []any{map[string]any{"$ref": "../../" + t.envelope.loc.f.Path + fragment(t.envelope.loc.ptr)}, over},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// constAt adds to the object schema over (with "properties") the schema
// {"const": v} at the member path toks, with the objects on the way.
func constAt(over map[string]any, toks []string, v any) {
	cur := over
	for i, tok := range toks {
		props := cur["properties"].(map[string]any)
		if i == len(toks)-1 {
			props[tok] = map[string]any{"const": v}
			return
		}
		next, ok := props[tok].(map[string]any)
		if !ok {
			next = map[string]any{"properties": map[string]any{}}
			props[tok] = next
		}
		if _, ok := next["properties"]; !ok {
			next["properties"] = map[string]any{}
		}
		cur = next
	}
}

func fragment(ptr string) string {
	if ptr == "" {
		return ""
	}
	return "#" + ptr
}
