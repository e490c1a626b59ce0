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
        "properties": {"part": {"const": true}, "const": true, "from": {"type": "string", "pattern": "^(/.*)?$"}}}}
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
}

type setRule struct {
	target string // JSON pointer into the envelope
	part   bool
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
}

func (s *Input) mfErr(mf *file, ptr, msg, hint string) *schema.Error {
	return errAt(ErrManifest, mf, ptr, msg, hint)
}

// manifestSchemas holds the compiled manifestSchema.
var manifestSchemas = sync.OnceValues(func() (*schema.Set, error) {
	return schema.LoadFiles(map[string][]byte{"distgen.schema.json": []byte(manifestSchema)})
})

// loadManifest parses and checks distgen.json and synthesizes the topic
// schemas.
func (s *Input) loadManifest(data []byte) error {
	mf := &file{Path: ManifestFile, Data: data, URL: schema.BaseURL + ManifestFile}
	root, err := schema.Parse(data)
	if err != nil {
		e := &schema.Error{Kind: ErrManifest, File: ManifestFile, Msg: "invalid JSON: " + err.Error(), Hint: "fix the JSON syntax at this position"}
		var se *schema.SyntaxError
		if errors.As(err, &se) {
			e.Line, e.Column = schema.LineCol(data, se.Offset)
		}
		return e
	}
	mf.Root = root
	var ne *jsonguard.NumberError
	if errors.As(jsonguard.Numbers(data), &ne) {
		return s.mfErr(mf, ne.Pointer, ne.Message(), "write the number with fewer digits or a smaller exponent")
	}
	ms, err := manifestSchemas()
	if err != nil {
		return err
	}
	if err := ms.Validate(schema.Loc{File: ms.File("distgen.schema.json")}, root.Value()); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			leaf := ve
			for len(leaf.Causes) > 0 {
				leaf = leaf.Causes[0]
			}
			hint := "see the topic-declaration vocabulary in docs/distgen-json.md"
			if keys := manifestKeys(leaf.AbsoluteKeywordLocation); len(keys) > 0 {
				hint = "allowed keys here: " + strings.Join(keys, ", ") + "; " + hint
			}
			return s.mfErr(mf, leaf.InstanceLocation, leaf.Message, hint)
		}
		return s.mfErr(mf, "", err.Error(), "")
	}
	m := &manifest{}
	s.decl = m
	envs := map[string]*envelopeDecl{}
	// References in distgen.json are relative to the schema directory, as
	// from a file in its root.
	resolve := func(ptr, ref string) (loc, *schema.Error) {
		l, err := s.set.Lookup(ref)
		if err != nil {
			e := err.(*schema.Error)
			if !errors.Is(e, schema.ErrRemoteRef) {
				e.Kind = ErrManifest
			}
			e.File, e.Pointer = ManifestFile, ptr
			e.Line, e.Column = schema.LineCol(data, root.Lookup(ptr).Start)
			return loc{}, e
		}
		return locOf(l), nil
	}
	if en := root.Get("envelopes"); en != nil {
		for i, name := range en.Keys {
			d := en.Vals[i]
			ptr := "/envelopes/" + escapePointer(name)
			ref := d.Get("schema").Str
			l, e := resolve(ptr+"/schema", ref)
			if e != nil {
				return e
			}
			pay := d.Get("payload").Str
			props := l.node().Get("properties")
			if props == nil || props.Get(pay) == nil {
				return s.mfErr(mf, ptr+"/payload", fmt.Sprintf("envelope schema %s has no member %q", ref, pay), "name a member of the envelope schema's properties")
			}
			ed := &envelopeDecl{name: name, ref: ref, loc: l, payload: pay, ptr: ptr}
			envs[name] = ed
			m.envelopes = append(m.envelopes, ed)
		}
	}
	getEnv := func(n *node, ptr string) (*envelopeDecl, *schema.Error) {
		e := n.Get("envelope")
		if e == nil {
			return nil, nil
		}
		ed, ok := envs[e.Str]
		if !ok {
			return nil, s.mfErr(mf, ptr+"/envelope", fmt.Sprintf("no envelope %q is declared", e.Str), "declare it under \"envelopes\"")
		}
		return ed, nil
	}
	sets := func(n *node, ptr string) []*setRule {
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
	topics := map[string]*topicDecl{}
	addTopic := func(t *topicDecl) *schema.Error {
		if err := topic.ValidateTopic(t.name); err != nil {
			return s.mfErr(mf, t.ptr, fmt.Sprintf("%q is not a valid topic name: %v", t.name, err), "use words of letters, digits, '_' and '-' separated by '.'")
		}
		if _, dup := topics[t.name]; dup {
			e := s.mfErr(mf, t.ptr, fmt.Sprintf("topic %q is declared twice", t.name), "declare every topic once")
			e.Kind = ErrCollision
			return e
		}
		topics[t.name] = t
		m.topics = append(m.topics, t)
		return nil
	}
	if tn := root.Get("topics"); tn != nil {
		for i, name := range tn.Keys {
			d := tn.Vals[i]
			ptr := "/topics/" + escapePointer(name)
			t := &topicDecl{name: name, ref: d.Get("schema").Str, ptr: ptr}
			if c := d.Get("compatibility"); c != nil {
				t.compat = c.Str
			}
			l, e := resolve(ptr+"/schema", t.ref)
			if e != nil {
				return e
			}
			t.loc = l
			if t.envelope, e = getEnv(d, ptr); e != nil {
				return e
			}
			t.sets = sets(d.Get("set"), ptr+"/set")
			if len(t.sets) > 0 && t.envelope == nil {
				return s.mfErr(mf, ptr+"/set", "set rules need an envelope", "declare the topic's envelope")
			}
			for _, r := range t.sets {
				if r.part || r.from != nil {
					return s.mfErr(mf, r.ptr, "a topic's set takes only {\"const\": value}", "use part/from in families, fan-outs and entry routes")
				}
			}
			if e := addTopic(t); e != nil {
				return e
			}
		}
	}
	fams := map[string]*familyDecl{}
	if fn := root.Get("families"); fn != nil {
		for i, name := range fn.Keys {
			d := fn.Vals[i]
			ptr := "/families/" + escapePointer(name)
			f := &familyDecl{name: name, pattern: d.Get("topic").Str, ptr: ptr}
			var e *schema.Error
			if f.envelope, e = getEnv(d, ptr); e != nil {
				return e
			}
			for _, p := range d.Get("parts").Arr {
				f.parts = append(f.parts, p.Str)
			}
			schemas := d.Get("schemas")
			if c := d.Get("composite"); c != nil {
				if schemas != nil {
					return s.mfErr(mf, ptr+"/schemas", "a family takes either composite or schemas, not both", "remove one")
				}
				l, e := resolve(ptr+"/composite", c.Str)
				if e != nil {
					return e
				}
				f.composite = &l
			} else if schemas == nil {
				return s.mfErr(mf, ptr, "a family needs composite (a schema whose members are the parts) or schemas (part -> schema)", "add one of them")
			}
			for j, p := range f.parts {
				t := &topicDecl{name: strings.Replace(f.pattern, "{part}", p, 1), family: f, part: p, envelope: f.envelope, ptr: fmt.Sprintf("%s/parts/%d", ptr, j)}
				if c := d.Get("compatibility"); c != nil {
					t.compat = c.Str
				}
				if f.composite != nil {
					props := f.composite.node().Get("properties")
					if props == nil || props.Get(p) == nil {
						return s.mfErr(mf, t.ptr, fmt.Sprintf("composite %s has no member %q", c2s(d.Get("composite")), p), "list only members of the composite schema's properties")
					}
					t.loc = loc{f.composite.f, f.composite.ptr + "/properties/" + escapePointer(p)}
					t.ref = t.loc.f.Path + "#" + t.loc.ptr
				} else {
					sn := schemas.Get(p)
					if sn == nil {
						return s.mfErr(mf, ptr+"/schemas", fmt.Sprintf("no schema for part %q", p), "map every part to a schema")
					}
					l, e := resolve(ptr+"/schemas/"+escapePointer(p), sn.Str)
					if e != nil {
						return e
					}
					t.loc, t.ref = l, sn.Str
				}
				f.topics = append(f.topics, t)
				if e := addTopic(t); e != nil {
					return e
				}
			}
			if schemas != nil {
				for _, k := range schemas.Keys {
					if !contains(f.parts, k) {
						return s.mfErr(mf, ptr+"/schemas/"+escapePointer(k), fmt.Sprintf("%q is not listed in parts", k), "add it to parts or remove it")
					}
				}
			}
			f.sets = sets(d.Get("set"), ptr+"/set")
			for _, r := range f.sets {
				if r.from != nil {
					return s.mfErr(mf, r.ptr, "a family's set takes {\"part\": true} or {\"const\": value}", "put from-rules in the fan-out's set")
				}
			}
			if fo := d.Get("fanout"); fo != nil {
				if f.composite == nil {
					return s.mfErr(mf, ptr+"/fanout", "a fan-out needs a composite", "add composite")
				}
				f.fanout = fo.Get("name").Str
				f.fanSets = sets(fo.Get("set"), ptr+"/fanout/set")
			}
			if len(f.sets)+len(f.fanSets) > 0 && f.envelope == nil {
				return s.mfErr(mf, ptr+"/set", "set rules need an envelope", "declare the family's envelope")
			}
			fams[name] = f
			m.families = append(m.families, f)
		}
	}
	if en := root.Get("entries"); en != nil {
		for i, name := range en.Keys {
			d := en.Vals[i]
			ptr := "/entries/" + escapePointer(name)
			ed := &entryDecl{name: name, ref: d.Get("schema").Str, ptr: ptr}
			l, e := resolve(ptr+"/schema", ed.ref)
			if e != nil {
				return e
			}
			ed.loc = l
			for j, rn := range d.Get("routes").Arr {
				rp := fmt.Sprintf("%s/routes/%d", ptr, j)
				r := &routeDecl{ptr: rp, sets: sets(rn.Get("set"), rp+"/set")}
				if w := rn.Get("when"); w != nil {
					r.when, r.hasWhen = w.Str, true
				}
				if dn := rn.Get("data"); dn != nil {
					r.data = dn.Str
				}
				switch {
				case rn.Get("topic") != nil:
					t, ok := topics[rn.Get("topic").Str]
					if !ok {
						return s.mfErr(mf, rp+"/topic", fmt.Sprintf("no topic %q is declared", rn.Get("topic").Str), "declare it under topics or families")
					}
					r.topic = t
				case rn.Get("fanout") != nil:
					f, ok := fams[rn.Get("fanout").Str]
					if !ok || f.fanout == "" {
						return s.mfErr(mf, rp+"/fanout", fmt.Sprintf("no family %q with a fan-out is declared", rn.Get("fanout").Str), "declare the family with a fanout")
					}
					r.fanout = f
				default:
					r.entry = rn.Get("entry").Str
					if en.Get(r.entry) == nil {
						return s.mfErr(mf, rp+"/entry", fmt.Sprintf("no entry %q is declared", r.entry), "declare it under entries")
					}
					if len(r.sets) > 0 {
						return s.mfErr(mf, rp+"/set", "a route to an entry takes no set", "set the metadata in the target entry's routes")
					}
				}
				if len(r.sets) > 0 && (r.topic != nil && r.topic.envelope == nil || r.fanout != nil && r.fanout.envelope == nil) {
					return s.mfErr(mf, rp+"/set", "set rules need an envelope, and the route's target has none", "remove set or declare an envelope")
				}
				for _, sr := range r.sets {
					if sr.part {
						return s.mfErr(mf, sr.ptr, "{\"part\": true} is only meaningful in a family's set", "use const or from")
					}
				}
				ed.routes = append(ed.routes, r)
			}
			m.entries = append(m.entries, ed)
		}
	}
	if len(m.topics) == 0 {
		return s.mfErr(mf, "", "distgen.json declares no topics", "declare topics or families")
	}
	s.manifestFile = mf
	return s.synthesize()
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
		// Constraints from const and part set rules.
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
			cur := over
			toks := splitPointer(k)
			for i, tok := range toks {
				props := cur["properties"].(map[string]any)
				if i == len(toks)-1 {
					props[tok] = map[string]any{"const": consts[k]}
					break
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
		doc := map[string]any{
			"$schema":  "https://json-schema.org/draft/2020-12/schema",
			"$comment": "Generated by distgen from distgen.json: the whole message body on topic " + t.name + ".",
			"allOf":    []any{map[string]any{"$ref": "../../" + t.envelope.loc.f.Path + fragment(t.envelope.loc.ptr)}, over},
		}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		synth[name] = append(b, '\n')
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

func fragment(ptr string) string {
	if ptr == "" {
		return ""
	}
	return "#" + ptr
}
