package gen

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/dave/jennifer/jen"
)

// distributerMethods are the exported members of *distributer.Distributer,
// which every generated Conn embeds: generated handles and methods must not
// hide them (TestDistributerMethodsInSync keeps the list true).
var distributerMethods = []string{"Publish", "PublishBatch", "Subscribe", "Close", "URL", "ValidatesReceive", "Validator"}

// step is one field selection of a Go path.
type step struct {
	goName string
	t      *tref // the field's type
}

// goPath follows the JSON pointer ptr through the struct type t (tParam
// stands for arg).
func (g *generator) goPath(t, arg *tref, ptr string) ([]step, *tref, string) {
	var steps []step
	cur := t
	for _, tok := range splitPointer(ptr) {
		base := cur
		if base.kind == tNullable {
			return nil, nil, fmt.Sprintf("the path passes through an optional member that may be null, before %q (not supported in declarations)", tok)
		}
		if base.kind == tPtr {
			base = base.elem
		}
		if base.kind == tParam {
			base = arg
		}
		if base.kind == tPtr {
			base = base.elem
		}
		if base.kind != tNamed || base.named.kind != nStruct {
			return nil, nil, fmt.Sprintf("%q is not a member of an object with declared properties", tok)
		}
		var fl *field
		for _, f := range base.named.fields {
			if f.jsonName == tok {
				fl = f
			}
		}
		if fl == nil {
			return nil, nil, fmt.Sprintf("%s has no member %q", base.named.name, tok)
		}
		ft := fl.t
		if ft.kind == tParam {
			ft = arg
		}
		steps = append(steps, step{fl.goName, ft})
		cur = ft
	}
	return steps, cur, ""
}

func sel(root jen.Code, steps []step) *jen.Statement {
	s := jen.Add(root)
	for _, st := range steps {
		s = s.Dot(st.goName)
	}
	return s
}

func deref(t *tref) *tref {
	if t.kind == tPtr || t.kind == tNullable {
		return t.elem
	}
	return t
}

func sameType(a, b *tref) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case tNamed:
		return a.named == b.named
	case tSlice, tMap, tPtr:
		return sameType(a.elem, b.elem)
	case tBuiltin:
		return a.pkg == b.pkg && a.name == b.name
	}
	return true
}

// instance is the Go type of a message on a topic: E[P] or P.
func (g *generator) payloadType(t *topicDecl) *tref {
	pt, null := g.m.typeAt(t.loc, g.m.isTarget(t.loc))
	if null && !pt.isRaw() {
		pt = ptrTo(pt)
	}
	return pt
}

func (g *generator) msgType(env *envelopeDecl, payload *tref) jen.Code {
	if env == nil {
		return g.code(payload)
	}
	return jen.Id(g.envTypes[env].name).Index(g.code(payload))
}

func (g *generator) envRef(env *envelopeDecl) *tref {
	return &tref{kind: tNamed, named: g.envTypes[env]}
}

// partRef is what a {"part": true} set rule sets: a part name, or, in a
// family's fill function, its parameter part.
type partRef struct {
	name     string
	variable bool
}

// applySets emits the statements of set rules. dst is the envelope value,
// src the input value (with its type and type argument).
func (g *generator) applySets(b *jen.Group, rules []*setRule, env *envelopeDecl, payload *tref, dst jen.Code, part partRef, srcT, srcArg *tref, src jen.Code) error {
	mf := g.set.manifestFile
	for _, r := range rules {
		if strings.HasPrefix(r.target+"/", "/"+env.payload+"/") {
			return errAt(ErrManifest, mf, r.ptr, "set target "+r.target+" is inside the payload", "set rules fill the envelope's other members")
		}
		steps, tt, msg := g.goPath(g.envRef(env), payload, r.target)
		if msg != "" {
			return errAt(ErrManifest, mf, r.ptr, "set target "+r.target+": "+msg, "name a member of the envelope (not the payload)")
		}
		for _, st := range steps[:len(steps)-1] {
			if st.t.kind == tPtr {
				return errAt(ErrManifest, mf, r.ptr, "set target "+r.target+" passes through an optional member", "make the envelope's members on the way required")
			}
		}
		lhs := sel(dst, steps)
		base := deref(tt)
		var val *jen.Statement
		switch {
		case r.part || r.cnst != nil:
			var v any
			if r.part {
				v = part.name
			} else {
				v = r.cnst.Value()
			}
			lit, ok := constLit(base, v)
			if !ok {
				what := fmt.Sprint(v)
				if r.part && part.variable {
					what = "a part name (a string)"
				}
				return errAt(ErrManifest, mf, r.ptr, fmt.Sprintf("set target %s (Go type %s) cannot hold %s", r.target, typeString(base), what), "use a value of the member's type")
			}
			val = lit
			if r.part && part.variable {
				val = jen.Id("part")
				if base.kind == tNamed {
					val = jen.Id(base.named.name).Call(val)
				}
			}
			switch tt.kind {
			case tPtr:
				g.needPtr = true
				val = jen.Id("distgenPtr").Call(val)
			case tNullable:
				val = g.wrapNullable(tt, val)
			}
			b.Add(lhs.Op("=").Add(val))
		default:
			if err := g.setFrom(b, r, lhs, tt, base, srcT, srcArg, src); err != nil {
				return err
			}
		}
	}
	return nil
}

// setFrom emits a {"from": pointer} rule: lhs (of type tt, base without
// pointer or Nullable) = the member of src at the pointer, when every
// optional member on the way is present.
func (g *generator) setFrom(b *jen.Group, r *setRule, lhs *jen.Statement, tt, base, srcT, srcArg *tref, src jen.Code) error {
	mf := g.set.manifestFile
	ssteps, st, msg := g.goPath(srcT, srcArg, *r.from)
	if msg != "" {
		return errAt(ErrManifest, mf, r.ptr, "set source "+*r.from+": "+msg, "point at a member of the input")
	}
	if !sameType(deref(st), base) {
		return errAt(ErrManifest, mf, r.ptr, fmt.Sprintf("set source %s has Go type %s, target %s has %s", *r.from, typeString(deref(st)), r.target, typeString(base)), "point at members with the same schema type")
	}
	// Guard optional members on the way.
	var conds []jen.Code
	for i, s := range ssteps {
		if s.t.kind == tPtr {
			conds = append(conds, sel(src, ssteps[:i+1]).Op("!=").Nil())
		}
	}
	rhs := sel(src, ssteps)
	switch st.kind {
	case tNullable:
		conds = append(conds, sel(src, ssteps).Dot("Set").Op("&&").Op("!").Add(sel(src, ssteps)).Dot("Null"))
		rhs = rhs.Dot("Value")
	case tPtr:
		if tt.kind != tPtr {
			rhs = jen.Op("*").Add(rhs)
		}
	}
	switch {
	case tt.kind == tNullable:
		rhs = g.wrapNullable(tt, rhs)
	case tt.kind == tPtr && st.kind != tPtr:
		g.needPtr = true
		rhs = jen.Id("distgenPtr").Call(rhs)
	}
	assign := lhs.Op("=").Add(rhs)
	if len(conds) == 0 {
		b.Add(assign)
		return nil
	}
	c := conds[0]
	for _, x := range conds[1:] {
		c = jen.Add(c).Op("&&").Add(x)
	}
	b.If(c).Block(assign)
	return nil
}

func typeString(t *tref) string {
	var b strings.Builder
	if err := jen.Var().Id("_").Add((&generator{}).code(t)).RenderWithFile(&b, jen.NewFile("x")); err != nil {
		return "?"
	}
	return strings.TrimPrefix(b.String(), "var _ ")
}

func constLit(t *tref, v any) (*jen.Statement, bool) {
	conv := func(under *tref, lit jen.Code) *jen.Statement {
		if t.kind == tNamed {
			return jen.Id(t.named.name).Call(lit)
		}
		return jen.Add(lit)
	}
	under := t
	if t.kind == tNamed && (t.named.kind == nEnum || t.named.kind == nDefined) {
		under = t.named.under
	}
	if under.kind != tBuiltin || under.pkg != "" {
		return nil, false
	}
	switch x := v.(type) {
	case string:
		if under.name == "string" {
			return conv(under, jen.Lit(x)), true
		}
	case bool:
		if under.name == "bool" {
			return conv(under, jen.Lit(x)), true
		}
	case fmt.Stringer: // json.Number
		s := x.String()
		if strings.HasPrefix(under.name, "int") || strings.HasPrefix(under.name, "uint") || strings.HasPrefix(under.name, "float") {
			if strings.HasPrefix(s, "-") && strings.HasPrefix(under.name, "uint") {
				return nil, false
			}
			return conv(under, jen.Id(s)), true
		}
	}
	return nil, false
}

// topicsEmitter renders topics.go: the names it allocates and the member
// names of Conn it has claimed.
type topicsEmitter struct {
	*generator
	f       *jen.File
	members *namespace // fields and methods of Conn
	priv    *namespace // unexported package-level names
	hname   map[*topicDecl]string
	msgT    map[*topicDecl]jen.Code
	payT    map[*topicDecl]*tref
	// per topic: its fill, the expression of a func(T) T that applies the
	// topic's (or its family's) set rules; nil when there are none
	fillOf map[*topicDecl]jen.Code
	// per family: its Conn field, its typed.Family variable, its fill
	// factory ("" when the family sets nothing) and its part struct
	famField, famVar, famFill, partType map[*familyDecl]string
	topicFill                           map[*topicDecl]string // fill functions of topics outside families
}

// connReserved are the members of Conn that do not come from the manifest:
// the embedded Distributer and the methods it brings. A topic or family
// whose Go name is one of them gets a handle named with a suffix
// ("CloseTopic"), so that it does not hide the method.
var connReserved = append([]string{"Distributer"}, distributerMethods...)

func (e *topicsEmitter) claim(name, ptr string) error {
	if e.members.taken[name] {
		return errAt(ErrCollision, e.set.manifestFile, ptr, fmt.Sprintf("the generated method %s is already taken (by a method of Distributer, a topic's or family's handle or another generated method)", name), "rename the family, fan-out or entry")
	}
	e.members.reserve(name)
	return nil
}

// Signature parts of the generated methods.
var (
	ctxParam = jen.Id("ctx").Qual("context", "Context")
	pubOpts  = jen.Id("opts").Op("...").Qual(pkgDist, "PublishOption")
	connRecv = jen.Id("c").Op("*").Id("Conn")
	passOpts = jen.Id("opts").Op("...")
)

// oneLine renders a block on one line ({ return x }), which gofmt keeps
// when it is short: for the small function literals of the generated data.
func oneLine(stmts ...jen.Code) *jen.Statement {
	return jen.Custom(jen.Options{Open: "{", Close: "}", Separator: ";"}, stmts...)
}

// multiLine renders call arguments one per line.
func multiLine(args ...jen.Code) *jen.Statement {
	return jen.Custom(jen.Options{Open: "(", Close: ")", Separator: ",", Multi: true}, args...)
}

// lowerName turns a Go name into an unexported one: RawSnapshot ->
// rawSnapshot, URLPart -> urlPart.
func lowerName(s string) string {
	r := []rune(s)
	n := 0
	for n < len(r) && unicode.IsUpper(r[n]) {
		n++
	}
	if n > 1 && n < len(r) {
		n-- // the last capital starts the next word
	}
	for i := 0; i < n; i++ {
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}

// handleName is the name of the handle of a topic or family, in Topics and
// in Conn: its Go name, with suffix when that is a member Conn inherits.
func handleName(ns *namespace, goName, suffix string) string {
	for _, r := range connReserved {
		if goName == r {
			goName += suffix
		}
	}
	return ns.unique(goName)
}

func (g *generator) emitTopics(f *jen.File) error {
	d := g.set.decl
	e := &topicsEmitter{generator: g, f: f, members: newNamespace(), priv: newNamespace(),
		hname: map[*topicDecl]string{}, msgT: map[*topicDecl]jen.Code{}, payT: map[*topicDecl]*tref{},
		fillOf: map[*topicDecl]jen.Code{}, topicFill: map[*topicDecl]string{},
		famField: map[*familyDecl]string{}, famVar: map[*familyDecl]string{}, famFill: map[*familyDecl]string{}, partType: map[*familyDecl]string{}}
	if err := e.allocate(); err != nil {
		return err
	}
	f.Comment("A compile-time check that the typed runtime is new enough for this file.")
	f.Const().Id("_").Op("=").Qual(pkgTyped, "SupportPackageIsVersion1")
	f.Comment("Topic names.")
	f.Const().DefsFunc(func(c *jen.Group) {
		for _, t := range d.topics {
			c.Id(g.topicConst(t)).Op("=").Lit(t.name)
		}
	})
	e.emitHandles()
	e.emitConn()
	for _, t := range d.topics {
		if err := e.emitTopicFill(t); err != nil {
			return err
		}
	}
	for _, fam := range d.families {
		if err := e.emitFamily(fam); err != nil {
			return err
		}
		if fam.fanout != "" {
			if err := e.emitFanOut(fam); err != nil {
				return err
			}
		}
	}
	for _, en := range d.entries {
		if err := e.emitEntry(en); err != nil {
			return err
		}
	}
	if g.needPtr {
		f.Comment("distgenPtr returns a pointer to a copy of v.")
		f.Func().Id("distgenPtr").Types(jen.Id("T").Any()).Params(jen.Id("v").Id("T")).Op("*").Id("T").Block(jen.Return(jen.Op("&").Id("v")))
	}
	return nil
}

// allocate maps the topics' types and names the handles, fills and
// families, and claims the Conn members they take.
func (e *topicsEmitter) allocate() error {
	d := e.set.decl
	for _, n := range connReserved {
		e.members.reserve(n)
	}
	for _, n := range []string{"schemaFiles", "topicSchemas", "distgenPtr", "distgenBranches"} {
		e.priv.reserve(n)
	}
	handles := newNamespace()
	for _, t := range d.topics {
		e.hname[t] = handleName(handles, goNameOr(t.name, "Topic"), "Topic")
		e.members.reserve(e.hname[t])
		e.payT[t] = e.payloadType(t)
		e.msgT[t] = e.msgType(t.envelope, e.payT[t])
	}
	e.handleName = e.hname
	if len(e.m.errs) > 0 {
		return e.m.errs
	}
	for _, fam := range d.families {
		fg := goNameOr(fam.name, "Family")
		e.famField[fam] = handleName(handles, fg, "Family")
		e.members.reserve(e.famField[fam])
		e.partType[fam] = e.ns.unique(fg + "Part")
		e.famVar[fam] = e.priv.unique(lowerName(fg) + "Family")
		if len(fam.sets) > 0 {
			e.famFill[fam] = e.priv.unique(lowerName(fg) + "Fill")
		}
	}
	for _, t := range d.topics {
		switch {
		case t.family != nil && e.famFill[t.family] != "":
			e.fillOf[t] = jen.Id(e.famFill[t.family]).Index(e.code(e.payT[t])).Call(jen.Lit(t.part))
		case len(t.sets) > 0:
			e.topicFill[t] = e.priv.unique(lowerName(e.hname[t]) + "Fill")
			e.fillOf[t] = jen.Id(e.topicFill[t])
		}
	}
	return nil
}

// emitHandles writes TopicHandles and Topics.
func (e *topicsEmitter) emitHandles() {
	d, f := e.set.decl, e.f
	f.Comment("TopicHandles holds one typed handle per topic: the type parameter is the Go")
	f.Comment("type of a whole message on that topic, so a wrong payload does not compile.")
	f.Type().Id("TopicHandles").StructFunc(func(s *jen.Group) {
		for _, t := range d.topics {
			s.Id(e.hname[t]).Qual(pkgTyped, "Topic").Index(e.msgT[t]).Comment(strconv.Quote(t.name))
		}
	})
	f.Comment("Topics are the typed handles of the topics of the set. Their Publish sends a")
	f.Comment("value as it is; the handles of Conn first fill in what the set rules name.")
	f.Var().Id("Topics").Op("=").Id("TopicHandles").Values(jen.DictFunc(func(dd jen.Dict) {
		for _, t := range d.topics {
			dd[jen.Id(e.hname[t])] = jen.Qual(pkgTyped, "NewTopic").Index(e.msgT[t]).Call(jen.Id("Schemas"), jen.Id(e.topicConst(t)))
		}
	}))
}

// emitConn writes Conn, with a handle per topic and family, Open and New.
func (e *topicsEmitter) emitConn() {
	d, f := e.set.decl, e.f
	docComment(f, "Conn is a Distributer with a typed handle for each topic and family of the set, bound to it: Publish on a topic's handle (typed.BoundTopic) fills in what the topic's set rules name, validates the value and publishes it; Subscribe delivers decoded, validated messages; a family's handle (typed.BoundFamily) publishes and subscribes by part. Make it with Open or New. The generic Publish, Subscribe and Close are those of the embedded Distributer.")
	f.Type().Id("Conn").StructFunc(func(s *jen.Group) {
		s.Op("*").Qual(pkgDist, "Distributer")
		for _, t := range d.topics {
			doc := fmt.Sprintf("%s is the topic %q", e.hname[t], t.name)
			switch {
			case t.family != nil:
				doc += fmt.Sprintf(", a part of %s", e.famField[t.family])
			case len(t.sets) > 0:
				doc += "; Publish sets " + describeSets(t.sets)
			}
			addComments(s, doc+".")
			s.Id(e.hname[t]).Qual(pkgTyped, "BoundTopic").Index(e.msgT[t])
		}
		for _, fam := range d.families {
			doc := fmt.Sprintf("%s is the family %s, its parts in %s", e.famField[fam], fam.pattern, e.partType[fam])
			if len(fam.sets) > 0 {
				doc += "; Publish on it or on a part's handle sets " + describeSets(fam.sets)
			}
			addComments(s, doc+".")
			s.Id(e.famField[fam]).Qual(pkgTyped, "BoundFamily").Index(jen.Id(e.partType[fam]))
		}
	})
	f.Comment("Open connects to the broker at url (\"\" means memory://) with validation by")
	f.Comment("Schemas on publish and on receive; opts come after, so they can change that")
	f.Comment("(distributer.WithoutReceiveValidation).")
	f.Func().Id("Open").Params(ctxParam, jen.Id("url").String(), jen.Id("opts").Op("...").Qual(pkgDist, "Option")).Params(jen.Op("*").Id("Conn"), jen.Error()).Block(
		jen.Return(jen.Qual(pkgTyped, "Open").Call(jen.Id("ctx"), jen.Id("url"), jen.Id("Schemas"), jen.Id("New"), passOpts)),
	)
	fields := []jen.Code{jen.Id("Distributer").Op(":").Id("d")}
	for _, t := range d.topics {
		fill := e.fillOf[t]
		if fill == nil {
			fill = jen.Nil()
		}
		fields = append(fields, jen.Id(e.hname[t]).Op(":").Id("Topics").Dot(e.hname[t]).Dot("Bind").Call(jen.Id("d"), fill))
	}
	for _, fam := range d.families {
		fields = append(fields, jen.Id(e.famField[fam]).Op(":").Id(e.famVar[fam]).Dot("Bind").Call(jen.Id("d")))
	}
	f.Comment("New wraps an open Distributer.")
	f.Func().Id("New").Params(jen.Id("d").Op("*").Qual(pkgDist, "Distributer")).Op("*").Id("Conn").Block(
		jen.Return(jen.Op("&").Id("Conn").Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, fields...)),
	)
}

// emitTopicFill writes the fill function of a topic outside a family that
// has set rules.
func (e *topicsEmitter) emitTopicFill(t *topicDecl) error {
	name := e.topicFill[t]
	if name == "" {
		return nil
	}
	docComment(e.f, fmt.Sprintf("%s sets what publishing on %q sets: %s.", name, t.name, describeSets(t.sets)))
	var serr error
	e.f.Func().Id(name).Params(jen.Id("v").Add(e.msgT[t])).Add(e.msgT[t]).BlockFunc(func(b *jen.Group) {
		serr = e.applySets(b, t.sets, t.envelope, e.payT[t], jen.Id("v"), partRef{}, nil, nil, nil)
		b.Return(jen.Id("v"))
	})
	return serr
}

// emitFamily writes a family's part struct and its Part method, its
// typed.Family and its fill factory.
func (e *topicsEmitter) emitFamily(fam *familyDecl) error {
	f, pt, fv := e.f, e.partType[fam], e.famVar[fam]
	docComment(f, fmt.Sprintf("%s is a message on one of the topics %s: exactly one field is set.", pt, fam.pattern))
	f.Type().Id(pt).StructFunc(func(s *jen.Group) {
		for _, t := range fam.topics {
			s.Id(goNameOr(t.part, "Part")).Op("*").Add(e.msgT[t]).Comment(strconv.Quote(t.name))
		}
	})
	f.Comment("Part returns the name of the part that is set, \"\" if none.")
	f.Func().Params(jen.Id("p").Id(pt)).Id("Part").Params().String().Block(jen.Return(jen.Id(fv).Dot("Part").Call(jen.Id("p"))))
	var parts []jen.Code
	for _, t := range fam.topics {
		field := jen.Func().Params(jen.Id("p").Op("*").Id(pt)).Op("**").Add(e.msgT[t]).Add(oneLine(jen.Return(jen.Op("&").Id("p").Dot(goNameOr(t.part, "Part")))))
		fill := e.fillOf[t]
		if fill == nil {
			fill = jen.Nil()
		}
		parts = append(parts, jen.Qual(pkgTyped, "NewPart").Call(jen.Id("Topics").Dot(e.hname[t]), jen.Lit(t.part), field, fill))
	}
	docComment(f, fmt.Sprintf("%s is the family %s: per part, its topic, its field and its fill.", fv, fam.pattern))
	f.Var().Id(fv).Op("=").Qual(pkgTyped, "NewFamily").Add(multiLine(append([]jen.Code{jen.Lit(fam.pattern)}, parts...)...))
	fill := e.famFill[fam]
	if fill == "" {
		return nil
	}
	env := e.envTypes[fam.envelope]
	msg := jen.Id(env.name).Index(jen.Id("T"))
	docComment(f, fmt.Sprintf("%s returns the fill of a part of the family %s: it sets %s.", fill, fam.name, describeSets(fam.sets)))
	var serr error
	f.Func().Id(fill).Types(jen.Id("T").Any()).Params(jen.Id("part").String()).Func().Params(msg.Clone()).Add(msg.Clone()).Block(
		jen.Return(jen.Func().Params(jen.Id("v").Add(msg.Clone())).Add(msg.Clone()).BlockFunc(func(b *jen.Group) {
			serr = e.applySets(b, fam.sets, fam.envelope, nil, jen.Id("v"), partRef{name: "part", variable: true}, nil, nil, nil)
			b.Return(jen.Id("v"))
		})),
	)
	return serr
}

// emitFanOut writes a family's fan-out: its Publish method, its
// typed.FanOut and the generic function that makes the message of a part.
func (e *topicsEmitter) emitFanOut(fam *familyDecl) error {
	f, mf := e.f, e.set.manifestFile
	fo := "Publish" + fam.fanout
	if err := e.claim(fo, fam.ptr+"/fanout/name"); err != nil {
		return err
	}
	compT, _ := e.m.typeAt(*fam.composite, true)
	inT := e.msgType(fam.envelope, compT)
	in, inDoc := jen.Id("in"), "in"
	if fam.envelope != nil {
		in, inDoc = in.Dot(e.payloadGoName(fam.envelope)), "in."+e.payloadGoName(fam.envelope)
	}
	fv := e.priv.unique(lowerName(goNameOr(fam.name, "Family")) + "FanOut")
	sets := append(append([]*setRule{}, fam.sets...), fam.fanSets...)
	docComment(f, fmt.Sprintf("%s fans out %s: it publishes each part that is present, in the order %s, on its topic (%s)", fo, inDoc, strings.Join(fam.parts, ", "), fam.pattern)+
		map[bool]string{true: ", each with its own copy of the envelope", false: ""}[fam.envelope != nil]+setsDoc(sets)+
		". The messages are validated first and sent as one batch: if one is invalid, nothing is sent. An id given with distributer.WithID becomes <id>.<part> on each part.")
	f.Func().Params(connRecv).Id(fo).Params(ctxParam, jen.Id("in").Add(inT), pubOpts).Error().Block(
		jen.Return(jen.Id(fv).Dot("Publish").Call(jen.Id("ctx"), jen.Id("c").Dot("Distributer"), jen.Id("in"), passOpts)))
	// The message of a part: the data itself, or the envelope around it.
	buildName := ""
	if fam.envelope != nil {
		buildName = e.priv.unique(fv + "Message")
	}
	var parts []jen.Code
	for _, t := range fam.topics {
		steps, mt, msg := e.goPath(compT, nil, "/"+escapePointer(t.part))
		if msg != "" {
			return errAt(ErrManifest, mf, t.ptr, msg, "")
		}
		src := sel(in.Clone(), steps)
		var get jen.Code
		switch {
		case mt.kind == tPtr && e.payT[t].kind != tPtr:
			get = jen.Qual(pkgTyped, "Deref").Call(src)
		case mt.kind == tPtr || mt.isRaw():
			get = jen.List(src, src.Clone().Op("!=").Nil())
		default:
			get = jen.List(src, jen.True())
		}
		getFn := jen.Func().Params(jen.Id("in").Op("*").Add(inT)).Params(e.code(e.payT[t]), jen.Bool()).Add(oneLine(jen.Return(get)))
		build := jen.Qual(pkgTyped, "AsIs").Index(jen.List(inT, e.code(e.payT[t])))
		if buildName != "" {
			build = jen.Id(buildName).Index(e.code(e.payT[t]))
		}
		parts = append(parts, jen.Qual(pkgTyped, "NewFanPart").Call(jen.Id("Topics").Dot(e.hname[t]), jen.Lit(t.part), getFn, build))
	}
	docComment(f, fmt.Sprintf("%s is the fan-out of %s: per part, its topic, its data and its message.", fv, fo))
	f.Var().Id(fv).Op("=").Qual(pkgTyped, "NewFanOut").Add(multiLine(parts...))
	if buildName == "" {
		return nil
	}
	env := e.envTypes[fam.envelope]
	docComment(f, fmt.Sprintf("%s makes the message of a part: the envelope of in around data%s.", buildName, setsDoc(sets)))
	var serr error
	f.Func().Id(buildName).Types(jen.Id("T").Any()).Params(jen.Id("in").Op("*").Add(inT), jen.Id("data").Id("T"), jen.Id("part").String()).Id(env.name).Index(jen.Id("T")).BlockFunc(func(b *jen.Group) {
		b.Id("out").Op(":=").Add(e.rewrap(fam.envelope, jen.Id("in"), jen.Id("data")))
		if fill := e.famFill[fam]; fill != "" {
			b.Id("out").Op("=").Id(fill).Index(jen.Id("T")).Call(jen.Id("part")).Call(jen.Id("out"))
		}
		if len(fam.fanSets) > 0 {
			serr = e.applySets(b, fam.fanSets, fam.envelope, nil, jen.Id("out"), partRef{name: "part", variable: true}, e.envRef(fam.envelope), compT, jen.Id("in"))
		}
		b.Return(jen.Id("out"))
	})
	return serr
}

func (g *generator) routeDoc(r *routeDecl) string {
	var s string
	switch {
	case r.topic != nil:
		s = fmt.Sprintf("topic %s", r.topic.name)
	case r.fanout != nil:
		s = fmt.Sprintf("fan-out Publish%s", r.fanout.fanout)
	default:
		s = fmt.Sprintf("entry %s", r.entry)
	}
	data := r.data
	if data == "" {
		data = "the whole value"
	}
	s += " with " + data
	if r.hasWhen {
		s = fmt.Sprintf("when %s is present: ", r.when) + s
	}
	if len(r.sets) > 0 {
		s += ", setting " + describeSets(r.sets)
	}
	return s
}

func describeSets(rules []*setRule) string {
	var parts []string
	for _, r := range rules {
		switch {
		case r.part:
			parts = append(parts, r.target+" to the part name")
		case r.cnst != nil:
			parts = append(parts, r.target+" to "+string(r.cnst.Raw))
		default:
			parts = append(parts, r.target+" from "+*r.from)
		}
	}
	return strings.Join(parts, ", ")
}

func setsDoc(rules []*setRule) string {
	if len(rules) == 0 {
		return ""
	}
	return ", setting " + describeSets(rules)
}

func (g *generator) payloadGoName(env *envelopeDecl) string {
	for _, f := range g.envTypes[env].fields {
		if f.jsonName == env.payload {
			return f.goName
		}
	}
	return "Data"
}

// rewrap builds E[T]{<the other members of in>, <payload>: data}, E the
// generic envelope type (T the type parameter of the generated function).
func (g *generator) rewrap(env *envelopeDecl, in jen.Code, data jen.Code) jen.Code {
	nt := g.envTypes[env]
	var members []jen.Code
	for _, f := range nt.fields {
		if f.jsonName == env.payload {
			members = append(members, jen.Id(f.goName).Op(":").Add(data))
		} else {
			members = append(members, jen.Id(f.goName).Op(":").Add(in).Dot(f.goName))
		}
	}
	return jen.Id(nt.name).Index(jen.Id("T")).Values(members...)
}

// wrap builds E[P]{<payload>: data}.
func (g *generator) wrap(env *envelopeDecl, payload *tref, data jen.Code) jen.Code {
	return jen.Id(g.envTypes[env].name).Index(g.code(payload)).Values(jen.Id(g.payloadGoName(env)).Op(":").Add(data))
}

// emitEntry writes the Publish method of an entry: its routes, in order,
// each guarded by its when.
func (e *topicsEmitter) emitEntry(en *entryDecl) error {
	name := "Publish" + goNameOr(en.name, "Entry")
	if err := e.claim(name, en.ptr); err != nil {
		return err
	}
	inT, null := e.m.typeAt(en.loc, true)
	if null && !inT.isRaw() {
		inT = ptrTo(inT)
	}
	docComment(e.f, fmt.Sprintf("%s publishes v by the first route of entry %q that applies:", name, en.name))
	for _, r := range en.routes {
		docComment(e.f, "  - "+e.routeDoc(r))
	}
	var ferr error
	e.f.Func().Params(connRecv).Id(name).Params(ctxParam, jen.Id("v").Add(e.code(inT)), pubOpts).Error().BlockFunc(func(b *jen.Group) {
		for _, r := range en.routes {
			if ferr = e.emitRoute(b, r, inT); ferr != nil {
				return
			}
		}
		if last := en.routes[len(en.routes)-1]; last.hasWhen {
			b.Return(jen.Qual(pkgTyped, "NoRoute").Call(jen.Lit(en.name)))
		}
	})
	return ferr
}

// routeGuard returns the condition of a route's when (nil without one)
// and the steps it checks.
func (e *topicsEmitter) routeGuard(r *routeDecl, inT *tref) (jen.Code, []step, error) {
	if !r.hasWhen {
		return nil, nil, nil
	}
	mf := e.set.manifestFile
	steps, wt, msg := e.goPath(inT, nil, r.when)
	if msg != "" {
		return nil, nil, errAt(ErrManifest, mf, r.ptr+"/when", "when "+r.when+": "+msg, "point at an optional member of the entry's schema")
	}
	if wt.kind != tPtr && !wt.isRaw() {
		return nil, nil, errAt(ErrManifest, mf, r.ptr+"/when", "when "+r.when+" is a required member, so it is always present", "point at an optional member")
	}
	// Every optional member on the way is checked, outermost first.
	var guard jen.Code
	for i, st := range steps {
		if st.t.kind == tPtr || st.t.isRaw() && i == len(steps)-1 {
			c := sel(jen.Id("v"), steps[:i+1]).Op("!=").Nil()
			if guard == nil {
				guard = c
			} else {
				guard = jen.Add(guard).Op("&&").Add(c)
			}
		}
	}
	return guard, steps, nil
}

// routeData returns the expression of a route's data and its Go type.
func (e *topicsEmitter) routeData(r *routeDecl, inT *tref, guarded []step) (jen.Code, *tref, error) {
	mf := e.set.manifestFile
	dsteps, dt, msg := e.goPath(inT, nil, r.data)
	if msg != "" {
		return nil, nil, errAt(ErrManifest, mf, r.ptr+"/data", "data "+r.data+": "+msg, "point at a member of the entry's schema")
	}
	for i, st := range dsteps {
		if st.t.kind != tPtr {
			continue
		}
		covered := len(guarded) > i
		for j := 0; covered && j <= i; j++ {
			covered = guarded[j].goName == dsteps[j].goName
		}
		if !covered {
			return nil, nil, errAt(ErrManifest, mf, r.ptr+"/data", "data "+r.data+" passes through an optional member that when does not check", "add \"when\": the optional member")
		}
	}
	if dt.kind == tPtr {
		return jen.Op("*").Add(sel(jen.Id("v"), dsteps)), dt.elem, nil
	}
	return sel(jen.Id("v"), dsteps), dt, nil
}

// emitRoute writes one route of an entry: to another entry, to a topic
// (in its envelope, with the route's, the topic's and the family's set
// rules) or to a fan-out.
func (e *topicsEmitter) emitRoute(b *jen.Group, r *routeDecl, inT *tref) error {
	mf := e.set.manifestFile
	guard, guarded, err := e.routeGuard(r, inT)
	if err != nil {
		return err
	}
	data, dt, err := e.routeData(r, inT, guarded)
	if err != nil {
		return err
	}
	body := func(bb *jen.Group) {
		switch {
		case r.entry != "":
			var target *entryDecl
			for _, x := range e.set.decl.entries {
				if x.name == r.entry {
					target = x
				}
			}
			tt, _ := e.m.typeAt(target.loc, true)
			if !sameType(tt, dt) {
				err = errAt(ErrManifest, mf, r.ptr+"/data", fmt.Sprintf("data has Go type %s, entry %s takes %s", typeString(dt), r.entry, typeString(tt)), "point data at a value of the entry's schema")
				return
			}
			bb.Return(jen.Id("c").Dot("Publish"+goNameOr(r.entry, "Entry")).Call(jen.Id("ctx"), data, passOpts))
		case r.topic != nil:
			t := r.topic
			pt := e.payT[t]
			if !sameType(pt, dt) {
				err = errAt(ErrManifest, mf, r.ptr+"/data", fmt.Sprintf("data has Go type %s, topic %s carries %s", typeString(dt), t.name, typeString(pt)), "point data at a value of the topic's schema")
				return
			}
			// The topic's handle fills in the topic's (or family's) set
			// rules after the route's.
			h := jen.Id("c").Dot(e.hname[t]).Dot("Publish")
			if t.envelope == nil {
				bb.Return(h.Call(jen.Id("ctx"), data, passOpts))
				return
			}
			bb.Id("out").Op(":=").Add(e.wrap(t.envelope, pt, data))
			if err = e.applySets(bb, r.sets, t.envelope, pt, jen.Id("out"), partRef{}, inT, nil, jen.Id("v")); err != nil {
				return
			}
			bb.Return(h.Call(jen.Id("ctx"), jen.Id("out"), passOpts))
		default:
			fam := r.fanout
			compT, _ := e.m.typeAt(*fam.composite, true)
			if !sameType(compT, dt) {
				err = errAt(ErrManifest, mf, r.ptr+"/data", fmt.Sprintf("data has Go type %s, fan-out %s takes %s", typeString(dt), fam.fanout, typeString(compT)), "point data at a value of the composite schema")
				return
			}
			if fam.envelope == nil {
				bb.Return(jen.Id("c").Dot("Publish"+fam.fanout).Call(jen.Id("ctx"), data, passOpts))
				return
			}
			bb.Id("out").Op(":=").Add(e.wrap(fam.envelope, compT, data))
			if err = e.applySets(bb, r.sets, fam.envelope, compT, jen.Id("out"), partRef{}, inT, nil, jen.Id("v")); err != nil {
				return
			}
			bb.Return(jen.Id("c").Dot("Publish"+fam.fanout).Call(jen.Id("ctx"), jen.Id("out"), passOpts))
		}
	}
	if guard != nil {
		b.If(guard).BlockFunc(body)
	} else {
		body(b)
	}
	return err
}

func (g *generator) topicConst(t *topicDecl) string {
	return "Topic" + goNameOr(t.name, "Unnamed")
}

// wrapNullable returns Nullable[T]{Value: v, Set: true}.
func (g *generator) wrapNullable(t *tref, v jen.Code) *jen.Statement {
	return jen.Id(g.nullableName()).Index(g.code(t.elem)).Values(jen.Dict{jen.Id("Value"): v, jen.Id("Set"): jen.True()})
}
