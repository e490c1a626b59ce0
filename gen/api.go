package gen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"
)

// The emitters of topics.go: they render the apiModel (apimodel.go), in
// which every name, type and check is already made.

// distributerMethods are the exported members of *distributer.Distributer,
// which every generated Conn embeds: generated handles and methods must not
// hide them (TestDistributerMethodsInSync keeps the list true).
var distributerMethods = []string{"Publish", "PublishBatch", "Subscribe", "Close", "DriverConn", "Flush", "PublishAsync", "URL", "ValidatesReceive", "Validator"}

func sel(root jen.Code, steps []step) *jen.Statement {
	s := jen.Add(root)
	for _, st := range steps {
		s = s.Dot(st.goName)
	}
	return s
}

// payloadType is the Go type of the payload of a message on a topic.
func (g *generator) payloadType(t *topicDecl) *tref {
	pt, null := g.m.typeAt(t.loc, g.m.isTarget(t.loc))
	if null && !pt.isRaw() {
		pt = ptrTo(pt)
	}
	return pt
}

// msgType is the Go type of a message: E[P] or P.
func (g *generator) msgType(env *envelopeDecl, payload *tref) jen.Code {
	if env == nil {
		return g.code(payload)
	}
	return jen.Id(g.envTypes[env].name).Index(g.code(payload))
}

func (g *generator) envRef(env *envelopeDecl) *tref {
	return &tref{kind: tNamed, named: g.envTypes[env]}
}

// renderSets renders checked set rules: dst is the envelope value, src
// the input value (of from rules).
func (g *generator) renderSets(b *jen.Group, assigns []*assignment, dst, src jen.Code) {
	for _, a := range assigns {
		lhs := sel(dst, a.steps)
		if a.src != nil {
			g.renderFrom(b, a, lhs, src)
			continue
		}
		val := a.lit
		if base := deref(a.tt); a.varExpr != nil {
			val = a.varExpr.Clone()
			if base.kind == tNamed {
				val = jen.Id(base.named.name).Call(val)
			}
		}
		switch a.tt.kind {
		case tPtr:
			val = typedCall("Ptr", g.code(a.tt.elem), a.typeArg, val)
		case tNullable:
			val = typedCall("Some", g.code(a.tt.elem), a.typeArg, val)
		}
		b.Add(lhs.Op("=").Add(val))
	}
}

// renderFrom renders a {"from": pointer} rule: lhs = the member of src at
// the pointer, when every optional member on the way is present.
func (g *generator) renderFrom(b *jen.Group, a *assignment, lhs *jen.Statement, src jen.Code) {
	ssteps, st, tt := a.src, a.srcT, a.tt
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
		rhs = typedCall("Some", nil, false, rhs)
	case tt.kind == tPtr && st.kind != tPtr:
		rhs = typedCall("Ptr", nil, false, rhs)
	}
	assign := lhs.Op("=").Add(rhs)
	if len(conds) == 0 {
		b.Add(assign)
		return
	}
	c := conds[0]
	for _, x := range conds[1:] {
		c = jen.Add(c).Op("&&").Add(x)
	}
	b.If(c).Block(assign)
}

// topicsEmitter renders topics.go from the model.
type topicsEmitter struct {
	*generator
	f   *jen.File
	api *apiModel
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

// emitTopics renders topics.go (f) and handlers.go.
func (g *generator) emitTopics(f, handlers *jen.File) {
	api := g.api
	e := &topicsEmitter{generator: g, f: f, api: api}
	versionCheck(f)
	f.Comment("Topic names.")
	f.Const().DefsFunc(func(c *jen.Group) {
		for _, t := range api.topics {
			addComments(c, descDoc(t.desc)...)
			c.Id(t.konst).Op("=").Lit(t.name)
		}
	})
	e.emitHandles()
	e.emitHandlerAliases(handlers)
	e.emitConn()
	for _, t := range api.topics {
		e.emitTopicFill(t)
	}
	for _, fam := range api.families {
		e.emitFamily(fam)
		if fam.fan != nil {
			e.emitFanOut(fam)
		}
	}
	for _, en := range api.entries {
		e.emitEntry(en)
	}
}

// emitHandlerAliases writes handlers.go: per topic and family, aliases of
// its typed.Handler and typed.HandlerFunc, so that a subscriber need not
// spell the message type's instantiation.
func (e *topicsEmitter) emitHandlerAliases(f *jen.File) {
	versionCheck(f)
	t0 := e.api.topics[0]
	for _, c := range comments([]string{
		fmt.Sprintf("Handler types, two per topic and family: %s is the typed.Handler that Conn.%s.Subscribe takes, %sFunc turns a function into one:", t0.handler, t0.handle, t0.handler),
		"",
		fmt.Sprintf("\tconn.%s.Subscribe(ctx, %sFunc(func(ctx context.Context, v %s, m *distributer.Message) error {", t0.handle, t0.handler, codeString(t0.msgT)),
		"\t\t...",
		"\t}))",
	}) {
		f.Add(c)
	}
	f.Type().DefsFunc(func(g *jen.Group) {
		for _, t := range e.api.topics {
			g.Id(t.handler).Op("=").Qual(pkgTyped, "Handler").Index(t.msgT)
			g.Id(t.handler+"Func").Op("=").Qual(pkgTyped, "HandlerFunc").Index(t.msgT)
		}
		for _, fam := range e.api.families {
			g.Id(fam.handler).Op("=").Qual(pkgTyped, "Handler").Index(jen.Id(fam.partType))
			g.Id(fam.handler+"Func").Op("=").Qual(pkgTyped, "HandlerFunc").Index(jen.Id(fam.partType))
		}
	})
}

// addFileComments adds lines to f as a further paragraph of the doc comment
// being written (nothing when there are none).
func addFileComments(f *jen.File, lines []string) {
	if len(lines) == 0 {
		return
	}
	for _, c := range comments(append([]string{""}, lines...)) {
		f.Add(c)
	}
}

// paragraphs joins comment lines with a blank line between the non-empty
// ones.
func paragraphs(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		if len(p) == 0 {
			continue
		}
		if len(out) > 0 {
			out = append(out, "")
		}
		out = append(out, p...)
	}
	return out
}

// descDoc returns the comment lines of a declaration's description in
// distgen.json: none without one.
func descDoc(desc string) []string {
	if strings.TrimSpace(desc) == "" {
		return nil
	}
	return docLines(desc)
}

// emitHandles writes TopicHandles and Topics.
func (e *topicsEmitter) emitHandles() {
	f := e.f
	f.Comment("TopicHandles holds one typed handle per topic: the type parameter is the Go")
	f.Comment("type of a whole message on that topic, so a wrong payload does not compile.")
	f.Type().Id("TopicHandles").StructFunc(func(s *jen.Group) {
		for _, t := range e.api.topics {
			s.Id(t.handle).Qual(pkgTyped, "Topic").Index(t.msgT).Comment(strconv.Quote(t.name))
		}
	})
	f.Comment("Topics are the typed handles of the topics of the set. Their Publish sends a")
	f.Comment("value as it is; the handles of Conn first fill in what the set rules name.")
	f.Var().Id("Topics").Op("=").Id("TopicHandles").Values(jen.DictFunc(func(dd jen.Dict) {
		for _, t := range e.api.topics {
			dd[jen.Id(t.handle)] = jen.Qual(pkgTyped, "NewTopic").Index(t.msgT).Call(jen.Id("Schemas"), jen.Id(t.konst))
		}
	}))
}

// orNil is c, or nil when c is.
func orNil(c jen.Code) jen.Code {
	if c == nil {
		return jen.Nil()
	}
	return c
}

// emitConn writes Conn, with a handle per topic and family, Open and New.
func (e *topicsEmitter) emitConn() {
	f := e.f
	docComment(f, "Conn is a Distributer with a typed handle for each topic and family of the set, bound to it: Publish on a topic's handle (typed.BoundTopic) fills in what the topic's set rules name, validates the value and publishes it; Subscribe delivers decoded, validated messages; a family's handle (typed.BoundFamily) publishes and subscribes by part. Make it with Open or New. The generic Publish, Subscribe and Close are those of the embedded Distributer.")
	f.Type().Id("Conn").StructFunc(func(s *jen.Group) {
		s.Op("*").Qual(pkgDist, "Distributer")
		for _, t := range e.api.topics {
			doc := fmt.Sprintf("%s is the topic %q", t.handle, t.name)
			switch {
			case t.fam != nil:
				doc += fmt.Sprintf(", a part of %s", t.fam.field)
			case len(t.sets) > 0:
				doc += "; Publish sets " + describeSets(t.sets)
			}
			addComments(s, paragraphs([]string{doc + "."}, descDoc(t.desc))...)
			s.Id(t.handle).Qual(pkgTyped, "BoundTopic").Index(t.msgT)
		}
		for _, fam := range e.api.families {
			doc := fmt.Sprintf("%s is the family %s, its parts in %s", fam.field, fam.pattern, fam.partType)
			if len(fam.sets) > 0 {
				doc += "; Publish on it or on a part's handle sets " + describeSets(fam.sets)
			}
			addComments(s, paragraphs([]string{doc + "."}, descDoc(fam.desc))...)
			s.Id(fam.field).Qual(pkgTyped, "BoundFamily").Index(jen.Id(fam.partType))
		}
	})
	f.Comment("Open connects to the broker at url (\"\" means memory://) with validation by")
	f.Comment("Schemas on publish and on receive; opts come after, so they can change that")
	f.Comment("(distributer.WithoutReceiveValidation).")
	f.Func().Id("Open").Params(ctxParam, jen.Id("url").String(), jen.Id("opts").Op("...").Qual(pkgDist, "Option")).Params(jen.Op("*").Id("Conn"), jen.Error()).Block(
		jen.Return(jen.Qual(pkgTyped, "Open").Call(jen.Id("ctx"), jen.Id("url"), jen.Id("Schemas"), jen.Id("New"), passOpts)),
	)
	fields := []jen.Code{jen.Id("Distributer").Op(":").Id("d")}
	for _, t := range e.api.topics {
		fields = append(fields, jen.Id(t.handle).Op(":").Id("Topics").Dot(t.handle).Dot("Bind").Call(jen.Id("d"), orNil(t.fill)))
	}
	for _, fam := range e.api.families {
		fields = append(fields, jen.Id(fam.field).Op(":").Id(fam.varName).Dot("Bind").Call(jen.Id("d")))
	}
	f.Comment("New wraps an open Distributer.")
	f.Func().Id("New").Params(jen.Id("d").Op("*").Qual(pkgDist, "Distributer")).Op("*").Id("Conn").Block(
		jen.Return(jen.Op("&").Id("Conn").Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, fields...)),
	)
}

// emitTopicFill writes the fill function of a topic outside a family that
// has set rules.
func (e *topicsEmitter) emitTopicFill(t *topicModel) {
	if t.fillFn == "" {
		return
	}
	docComment(e.f, fmt.Sprintf("%s sets what publishing on %q sets: %s.", t.fillFn, t.name, describeSets(t.sets)))
	e.f.Func().Id(t.fillFn).Params(jen.Id("v").Add(t.msgT)).Add(t.msgT).BlockFunc(func(b *jen.Group) {
		e.renderSets(b, t.assigns, jen.Id("v"), nil)
		b.Return(jen.Id("v"))
	})
}

// emitFamily writes a family's part struct (and its Part method), its
// typed.Family and its fill factory. The part struct of a family whose
// parts all carry one type is typed.PartMessage of it: the part's name
// beside the message.
func (e *topicsEmitter) emitFamily(fam *familyModel) {
	f, pt, fv := e.f, fam.partType, fam.varName
	if fam.shared {
		docComment(f, fmt.Sprintf("%s is a message on one of the topics %s, whose parts all carry the same type: Part names the part (%s), Message is the message.", pt, fam.pattern, strings.Join(fam.parts, ", ")))
		addFileComments(f, descDoc(fam.desc))
		f.Type().Id(pt).Op("=").Qual(pkgTyped, "PartMessage").Index(fam.topics[0].msgT)
	} else {
		docComment(f, fmt.Sprintf("%s is a message on one of the topics %s: exactly one field is set.", pt, fam.pattern))
		addFileComments(f, descDoc(fam.desc))
		f.Type().Id(pt).StructFunc(func(s *jen.Group) {
			for _, t := range fam.topics {
				s.Id(goNameOr(t.part, "Part")).Op("*").Add(t.msgT).Comment(strconv.Quote(t.name))
			}
		})
		f.Comment("Part returns the name of the part that is set, \"\" if none.")
		f.Func().Params(jen.Id("p").Id(pt)).Id("Part").Params().String().Block(jen.Return(jen.Id(fv).Dot("Part").Call(jen.Id("p"))))
	}
	var parts []jen.Code
	for _, t := range fam.topics {
		if fam.shared {
			parts = append(parts, jen.Qual(pkgTyped, "NewSharedPart").Call(jen.Id("Topics").Dot(t.handle), jen.Lit(t.part), orNil(t.fill)))
			continue
		}
		field := jen.Func().Params(jen.Id("p").Op("*").Id(pt)).Op("**").Add(t.msgT).Add(oneLine(jen.Return(jen.Op("&").Id("p").Dot(goNameOr(t.part, "Part")))))
		parts = append(parts, jen.Qual(pkgTyped, "NewPart").Call(jen.Id("Topics").Dot(t.handle), jen.Lit(t.part), field, orNil(t.fill)))
	}
	docComment(f, fmt.Sprintf("%s is the family %s: per part, its topic, its field and its fill.", fv, fam.pattern))
	f.Var().Id(fv).Op("=").Qual(pkgTyped, "NewFamily").Add(multiLine(append([]jen.Code{jen.Lit(fam.pattern)}, parts...)...))
	fill := fam.fillFn
	if fill == "" {
		return
	}
	env := e.envTypes[fam.envelope]
	msg := jen.Id(env.name).Index(jen.Id("T"))
	docComment(f, fmt.Sprintf("%s returns the fill of a part of the family %s: it sets %s.", fill, fam.name, describeSets(fam.sets)))
	f.Func().Id(fill).Types(jen.Id("T").Any()).Params(jen.Id("part").String()).Func().Params(msg.Clone()).Add(msg.Clone()).Block(
		jen.Return(jen.Func().Params(jen.Id("v").Add(msg.Clone())).Add(msg.Clone()).BlockFunc(func(b *jen.Group) {
			e.renderSets(b, fam.assigns, jen.Id("v"), nil)
			b.Return(jen.Id("v"))
		})),
	)
}

// emitFanOut writes a family's fan-out: its Publish method, its
// typed.FanOut and the generic function that makes the message of a part.
func (e *topicsEmitter) emitFanOut(fam *familyModel) {
	f, fo := e.f, fam.fan
	in, inDoc := jen.Id("in"), "in"
	if fam.envelope != nil {
		in, inDoc = in.Dot(e.payloadGoName(fam.envelope)), "in."+e.payloadGoName(fam.envelope)
	}
	sets := append(append([]*setRule{}, fam.sets...), fam.fanSets...)
	docComment(f, fmt.Sprintf("%s fans out %s: it publishes each part that is present, in the order %s, on its topic (%s)", fo.method, inDoc, strings.Join(fam.parts, ", "), fam.pattern)+
		map[bool]string{true: ", each with its own copy of the envelope", false: ""}[fam.envelope != nil]+setsDoc(sets)+
		". The messages are validated first and sent as one batch: if one is invalid, nothing is sent. An id given with distributer.WithID becomes <id>.<part> on each part.")
	f.Func().Params(connRecv).Id(fo.method).Params(ctxParam, jen.Id("in").Add(fo.inT), pubOpts).Error().Block(
		jen.Return(jen.Id(fo.varName).Dot("Publish").Call(jen.Id("ctx"), jen.Id("c").Dot("Distributer"), jen.Id("in"), passOpts)))
	// The message of a part: the data itself, or the envelope around it.
	var parts []jen.Code
	for _, p := range fo.parts {
		t := p.topic
		src := sel(in.Clone(), p.steps)
		var get jen.Code
		switch {
		case p.t.kind == tPtr && t.payT.kind != tPtr:
			get = jen.Qual(pkgTyped, "Deref").Call(src)
		case p.t.kind == tPtr || p.t.isRaw():
			get = jen.List(src, src.Clone().Op("!=").Nil())
		default:
			get = jen.List(src, jen.True())
		}
		getFn := jen.Func().Params(jen.Id("in").Op("*").Add(fo.inT)).Params(e.code(t.payT), jen.Bool()).Add(oneLine(jen.Return(get)))
		build := jen.Qual(pkgTyped, "AsIs").Index(jen.List(fo.inT, e.code(t.payT)))
		if fo.build != "" {
			build = jen.Id(fo.build).Index(e.code(t.payT))
		}
		parts = append(parts, jen.Qual(pkgTyped, "NewFanPart").Call(jen.Id("Topics").Dot(t.handle), jen.Lit(t.part), getFn, build))
	}
	docComment(f, fmt.Sprintf("%s is the fan-out of %s: per part, its topic, its data and its message.", fo.varName, fo.method))
	f.Var().Id(fo.varName).Op("=").Qual(pkgTyped, "NewFanOut").Add(multiLine(parts...))
	if fo.build == "" {
		return
	}
	env := e.envTypes[fam.envelope]
	docComment(f, fmt.Sprintf("%s makes the message of a part: the envelope of in around data%s.", fo.build, setsDoc(sets)))
	f.Func().Id(fo.build).Types(jen.Id("T").Any()).Params(jen.Id("in").Op("*").Add(fo.inT), jen.Id("data").Id("T"), jen.Id("part").String()).Id(env.name).Index(jen.Id("T")).BlockFunc(func(b *jen.Group) {
		b.Id("out").Op(":=").Add(e.rewrap(fam.envelope, jen.Id("in"), jen.Id("data")))
		if fam.fillFn != "" {
			b.Id("out").Op("=").Id(fam.fillFn).Index(jen.Id("T")).Call(jen.Id("part")).Call(jen.Id("out"))
		}
		e.renderSets(b, fo.assigns, jen.Id("out"), jen.Id("in"))
		b.Return(jen.Id("out"))
	})
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
		case r.topic:
			parts = append(parts, r.target+" to the topic name")
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
func (e *topicsEmitter) emitEntry(en *entryModel) {
	docComment(e.f, fmt.Sprintf("%s publishes v by the first route of entry %q that applies:", en.method, en.name))
	for _, r := range en.routes {
		docComment(e.f, "  - "+e.routeDoc(r.routeDecl))
	}
	addFileComments(e.f, descDoc(en.desc))
	e.f.Func().Params(connRecv).Id(en.method).Params(ctxParam, jen.Id("v").Add(e.code(en.inT)), pubOpts).Error().BlockFunc(func(b *jen.Group) {
		for _, r := range en.routes {
			e.emitRoute(b, r)
		}
		if last := en.routes[len(en.routes)-1]; last.hasWhen {
			b.Return(jen.Qual(pkgTyped, "NoRoute").Call(jen.Lit(en.name)))
		}
	})
}

// routeGuard returns the condition of a route's when (steps, its path),
// nil without one: every optional member on the way is checked, outermost
// first.
func routeGuard(steps []step) jen.Code {
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
	return guard
}

// emitRoute writes one route of an entry: to another entry, to a topic
// (in its envelope, with the route's set rules; the topic's handle then
// fills in the topic's or family's) or to a fan-out.
func (e *topicsEmitter) emitRoute(b *jen.Group, r *routeModel) {
	data := sel(jen.Id("v"), r.data)
	if r.derefData {
		data = jen.Op("*").Add(data)
	}
	body := func(bb *jen.Group) {
		var call *jen.Statement
		var env *envelopeDecl
		var pt *tref
		switch {
		case r.toEntry != "":
			call = jen.Id("c").Dot(r.toEntry)
		case r.toTopic != nil:
			call, env, pt = jen.Id("c").Dot(r.toTopic.handle).Dot("Publish"), r.toTopic.envelope, r.toTopic.payT
		default:
			call, env, pt = jen.Id("c").Dot(r.toFan.fan.method), r.toFan.envelope, r.toFan.fan.compT
		}
		if env == nil {
			bb.Return(call.Call(jen.Id("ctx"), data, passOpts))
			return
		}
		bb.Id("out").Op(":=").Add(e.wrap(env, pt, data))
		e.renderSets(bb, r.assigns, jen.Id("out"), jen.Id("v"))
		bb.Return(call.Call(jen.Id("ctx"), jen.Id("out"), passOpts))
	}
	if guard := routeGuard(r.guard); guard != nil {
		b.If(guard).BlockFunc(body)
	} else {
		body(b)
	}
}

// typedCall returns typed.<fn>(v), or typed.<fn>[T](v) when typeArg.
func typedCall(fn string, t jen.Code, typeArg bool, v jen.Code) *jen.Statement {
	if typeArg {
		return jen.Qual(pkgTyped, fn).Index(t).Call(v)
	}
	return jen.Qual(pkgTyped, fn).Call(v)
}
