package gen

import (
	"fmt"
	"strings"

	"github.com/distributer/distributer/schema"
)

// The model phase of Generate: everything the files will say is decided
// here, and every error found, before anything is rendered.

// run builds the model of the package, then renders it.
func (g *generator) run() (map[string][]byte, error) {
	if err := g.buildModel(); err != nil {
		return nil, err
	}
	return g.renderFiles()
}

// buildModel reserves the names of the generated API and the explicit Go
// names, maps every schema to its Go type (the mapper), then builds the
// model of topics.go (buildAPI).
func (g *generator) buildModel() error {
	s := g.set
	if g.cfg.ContractTest && s.decl == nil {
		return errNoContractTopics()
	}
	if errs := g.reserveNames(); len(errs) > 0 {
		return errs
	}
	g.m = newMapper(s, g.ns)
	g.mapTypes()
	g.m.unusedOverrides()
	if len(g.m.errs) > 0 {
		return g.m.errs
	}
	g.branchRefs = branchRefs(g.m.types)
	g.enumValues = map[*named]string{}
	for _, nt := range g.m.types {
		if nt.kind == nEnum {
			g.enumValues[nt] = g.ns.unique(nt.name + "Values")
		}
	}
	if s.decl != nil {
		api, err := g.buildAPI()
		if err != nil {
			return err
		}
		g.api = api
	}
	return nil
}

// reserved package-level names of the generated API.
var apiNames = []string{"Schemas", "Topics", "TopicHandles", "Conn", "Open", "New"}

// reserveNames reserves, before any type is named, the package-level
// names of the generated API (with the topic constants), then the
// explicit names: every x-distgen-name and the envelopes' names. It
// returns every conflict.
func (g *generator) reserveNames() schema.ErrorList {
	errs := g.reserveAPINames()
	explicit := map[string]string{} // explicit name -> where it is given
	for _, f := range g.set.files {
		var walk func(n *node, ptr string)
		walk = func(n *node, ptr string) {
			if x := n.Get("x-distgen-name"); x != nil && x.Kind == kString && !strings.Contains(ptr, "/properties/") || x != nil && n.Get("$ref") == nil && isStructLike(n) {
				if e := g.reserveExplicit(explicit, x.Str, f, ptr); e != nil {
					errs = append(errs, e)
				}
			}
			eachSub(n, ptr, walk)
		}
		walk(f.Root, "")
	}
	return append(errs, g.reserveEnvelopes(explicit)...)
}

// reserveAPINames reserves the names topics.go and schemas.go declare.
func (g *generator) reserveAPINames() schema.ErrorList {
	var errs schema.ErrorList
	if s := g.set; s.decl != nil {
		for _, n := range apiNames {
			g.ns.reserve(n)
		}
		if len(s.decl.envelopes) > 0 {
			g.ns.reserve("T") // the envelopes' type parameter
		}
		consts := map[string]*topicDecl{}
		for _, t := range s.decl.topics {
			c := topicConst(t)
			if prev, dup := consts[c]; dup {
				errs = append(errs, errAt(ErrCollision, s.manifestFile, t.ptr, fmt.Sprintf("topics %q and %q both become the Go constant %s", prev.name, t.name, c), "rename one of the topics"))
				continue
			}
			consts[c] = t
			g.ns.reserve(c)
		}
	}
	for _, n := range []string{"schemaFiles", "topicSchemas"} {
		g.ns.reserve(n)
	}
	return errs
}

// reserveExplicit reserves the x-distgen-name name of the schema at ptr in
// f.
func (g *generator) reserveExplicit(explicit map[string]string, name string, f *file, ptr string) *schema.Error {
	at := ptr + "/x-distgen-name"
	if !isExportedIdent(name) {
		return errAt(schema.ErrSchema, f, at, fmt.Sprintf("x-distgen-name %q is not an exported Go identifier", name), "use a name such as UserProfile")
	}
	if prev, dup := explicit[name]; dup {
		return errAt(ErrCollision, f, at, fmt.Sprintf("Go name %s is also given to %s", name, prev), "give each schema its own x-distgen-name")
	}
	if g.ns.taken[name] {
		return errAt(ErrCollision, f, at, fmt.Sprintf("Go name %s is taken by the generated API (topic constants, Schemas, Topics, Conn, ...)", name), "choose another x-distgen-name")
	}
	explicit[name] = f.Path + "#" + ptr
	g.ns.reserve(name)
	return nil
}

// reserveEnvelopes reserves the envelopes' names, the names of their
// generic types.
func (g *generator) reserveEnvelopes(explicit map[string]string) schema.ErrorList {
	s := g.set
	if s.decl == nil {
		return nil
	}
	var errs schema.ErrorList
	for _, e := range s.decl.envelopes {
		if prev, dup := explicit[e.name]; dup {
			errs = append(errs, errAt(ErrCollision, s.manifestFile, e.ptr, fmt.Sprintf("envelope name %s is also the Go name of %s", e.name, prev), "rename the envelope"))
			continue
		}
		if g.ns.taken[e.name] {
			errs = append(errs, errAt(ErrCollision, s.manifestFile, e.ptr, fmt.Sprintf("envelope name %s is taken by the generated API", e.name), "rename the envelope"))
			continue
		}
		explicit[e.name] = ManifestFile + "#" + e.ptr
		g.ns.reserve(e.name)
	}
	return errs
}

// defsOnly reports whether a file's root schema only holds definitions
// ($defs, definitions) and annotations: a library of types for $ref, which
// gets no Go type of its own (unless something refers to the root).
func defsOnly(root *node) bool {
	if root == nil || root.Kind != kObject {
		return false
	}
	defs := false
	for _, k := range root.Keys {
		switch {
		case k == "$defs" || k == "definitions":
			defs = true
		case k == "$schema" || k == "$id" || k == "$comment" || k == "title" || k == "description" || k == "$anchor" || k == "$dynamicAnchor" || k == "$vocabulary" || strings.HasPrefix(k, "x-"):
		default:
			return false
		}
	}
	return defs
}

func isStructLike(n *node) bool {
	return n.Get("properties") != nil || n.Get("enum") != nil || n.Get("const") != nil || n.Get("oneOf") != nil || n.Get("anyOf") != nil || n.Get("prefixItems") != nil || n.Get("allOf") != nil
}

// mapTypes maps to Go types the envelopes (first: they are generic), every
// file and its $defs, and the payloads of the topics, composites and
// entries, so that every named type exists before the types are written.
func (g *generator) mapTypes() {
	s, m := g.set, g.m
	g.envTypes = map[*envelopeDecl]*named{}
	if s.decl != nil {
		for _, e := range s.decl.envelopes {
			g.envTypes[e] = g.mapEnvelope(e)
		}
	}
	for _, f := range s.files {
		if !defsOnly(f.Root) {
			m.typeAt(loc{f, ""}, true)
		}
		for _, k := range []string{"$defs", "definitions"} {
			if d := f.Root.Get(k); d != nil && d.Kind == kObject {
				for _, name := range d.Keys {
					m.typeAt(loc{f, "/" + k + "/" + escapePointer(name)}, true)
				}
			}
		}
	}
	if s.decl == nil {
		return
	}
	for _, t := range s.decl.topics {
		g.payloadType(t)
	}
	for _, f := range s.decl.families {
		if f.composite != nil {
			m.typeAt(*f.composite, true)
		}
	}
	for _, e := range s.decl.entries {
		m.typeAt(e.loc, true)
	}
}

// mapEnvelope maps an envelope to a generic struct whose payload member
// has the type parameter's type.
func (g *generator) mapEnvelope(e *envelopeDecl) *named {
	m := g.m
	if nt, ok := m.byLoc[e.loc.String()]; ok {
		return nt
	}
	nt := &named{kind: nStruct, name: e.name, loc: e.loc.String(), params: true, building: true}
	nt.title, nt.doc = docParts(e.loc.node())
	nt.more = descDoc(e.desc)
	m.byLoc[e.loc.String()] = nt
	m.types = append(m.types, nt)
	m.fillStruct(nt, []loc{e.loc})
	for _, f := range nt.fields {
		if f.jsonName == e.payload {
			f.t = &tref{kind: tParam}
			f.optional = false
		}
	}
	nt.building = false
	return nt
}

// branchRefs returns the schemas of the branches of the oneOf and anyOf
// types without a discriminator, in the order of types: the schemas that
// types.go compiles (distgenBranches).
func branchRefs(types []*named) []string {
	var out []string
	for _, nt := range types {
		if nt.kind != nSum || nt.disc != "" {
			continue
		}
		for _, br := range nt.branches {
			out = append(out, br.ref)
		}
	}
	return out
}
