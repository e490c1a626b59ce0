package gen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
)

// distributerMethods are the methods Conn inherits; generated methods must
// not shadow them.
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

// applySets emits the statements of set rules. dst is the envelope value,
// src the input value (with its type and type argument).
func (g *generator) applySets(b *jen.Group, rules []*setRule, env *envelopeDecl, payload *tref, dst jen.Code, part string, srcT, srcArg *tref, src jen.Code) error {
	mf := g.set.manifestFile
	for _, r := range rules {
		steps, tt, msg := g.goPath(g.envRef(env), payload, r.target)
		if msg != "" {
			return errAt(ErrManifest, mf, r.ptr, "set target "+r.target+": "+msg, "name a member of the envelope (not the payload)")
		}
		if strings.HasPrefix(r.target+"/", "/"+env.payload+"/") {
			return errAt(ErrManifest, mf, r.ptr, "set target "+r.target+" is inside the payload", "set rules fill the envelope's other members")
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
				v = part
			} else {
				v = r.cnst.Value()
			}
			lit, ok := constLit(base, v)
			if !ok {
				return errAt(ErrManifest, mf, r.ptr, fmt.Sprintf("set target %s (Go type %s) cannot hold %v", r.target, typeString(base), v), "use a value of the member's type")
			}
			val = lit
			switch tt.kind {
			case tPtr:
				g.needPtr = true
				val = jen.Id("distgenPtr").Call(val)
			case tNullable:
				val = g.wrapNullable(tt, val)
			}
			b.Add(lhs.Op("=").Add(val))
		default:
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
			if len(conds) > 0 {
				c := conds[0]
				for _, x := range conds[1:] {
					c = jen.Add(c).Op("&&").Add(x)
				}
				b.If(c).Block(assign)
			} else {
				b.Add(assign)
			}
		}
	}
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

func (g *generator) emitTopics(f *jen.File) error {
	d := g.set.decl
	pkg := g.cfg.Package
	mf := g.set.manifestFile
	methods := newNamespace()
	for _, n := range distributerMethods {
		methods.reserve(n)
	}
	claim := func(name, ptr string) error {
		if methods.taken[name] {
			return errAt(ErrCollision, mf, ptr, fmt.Sprintf("the generated method %s is already taken", name), "rename the topic, family, fan-out or entry")
		}
		methods.reserve(name)
		return nil
	}
	// Constants.
	f.Comment("Topic names.")
	f.Const().DefsFunc(func(c *jen.Group) {
		for _, t := range d.topics {
			c.Id(g.topicConst(t)).Op("=").Lit(t.name)
		}
	})
	f.Comment("topicSchemas maps each topic to the schema of a whole message body on it.")
	f.Var().Id("topicSchemas").Op("=").Map(jen.String()).String().Values(jen.DictFunc(func(dd jen.Dict) {
		for _, t := range d.topics {
			dd[jen.Lit(t.name)] = jen.Lit(t.schema)
		}
	}))
	f.Comment("Schemas validates message bodies on every topic of the set. It implements")
	f.Comment("distributer.Validator: pass it to distributer.WithValidator so that untyped")
	f.Comment("Publish and Subscribe are checked too (Open does this).")
	f.Var().Id("Schemas").Op("=").Qual(pkgTyped, "MustCompile").Call(jen.Id("schemaFiles"), jen.Id("topicSchemas"))

	handleNames := newNamespace()
	hname := map[*topicDecl]string{}
	for _, t := range d.topics {
		hname[t] = handleNames.unique(goNameOr(t.name, "Topic"))
	}
	g.handleName = hname
	msgT := map[*topicDecl]jen.Code{}
	payT := map[*topicDecl]*tref{}
	for _, t := range d.topics {
		payT[t] = g.payloadType(t)
		msgT[t] = g.msgType(t.envelope, payT[t])
	}
	if len(g.m.errs) > 0 {
		return g.m.errs
	}
	f.Comment("TopicHandles holds one typed handle per topic: the type parameter is the Go")
	f.Comment("type of a whole message on that topic, so a wrong payload does not compile.")
	f.Type().Id("TopicHandles").StructFunc(func(s *jen.Group) {
		for _, t := range d.topics {
			s.Comment(fmt.Sprintf("// %s is the topic %q.", hname[t], t.name))
			s.Id(hname[t]).Qual(pkgTyped, "Topic").Index(msgT[t])
		}
	})
	f.Comment("Topics are the typed handles of the topics of the set.")
	f.Var().Id("Topics").Op("=").Id("TopicHandles").Values(jen.DictFunc(func(dd jen.Dict) {
		for _, t := range d.topics {
			dd[jen.Id(hname[t])] = jen.Qual(pkgTyped, "NewTopic").Index(msgT[t]).Call(jen.Id("Schemas"), jen.Id(g.topicConst(t)))
		}
	}))

	f.Comment("Conn is a Distributer with typed methods for the topics of the set. The")
	f.Comment("generic Publish, Subscribe and Close are those of the embedded Distributer.")
	f.Type().Id("Conn").Struct(jen.Op("*").Qual(pkgDist, "Distributer"))
	f.Comment("Open connects to the broker at url (\"\" means memory://) with validation by")
	f.Comment("Schemas on publish and on receive; opts come after, so they can change that")
	f.Comment("(distributer.WithoutReceiveValidation).")
	f.Func().Id("Open").Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("url").String(), jen.Id("opts").Op("...").Qual(pkgDist, "Option")).Params(jen.Op("*").Id("Conn"), jen.Error()).Block(
		jen.List(jen.Id("d"), jen.Err()).Op(":=").Qual(pkgDist, "Open").Call(jen.Id("ctx"), jen.Id("url"), jen.Append(jen.Index().Qual(pkgDist, "Option").Values(jen.Qual(pkgDist, "WithValidator").Call(jen.Id("Schemas"))), jen.Id("opts").Op("...")).Op("...")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.Return(jen.Op("&").Id("Conn").Values(jen.Id("d")), jen.Nil()),
	)
	f.Comment("New wraps an open Distributer.")
	f.Func().Id("New").Params(jen.Id("d").Op("*").Qual(pkgDist, "Distributer")).Op("*").Id("Conn").Block(jen.Return(jen.Op("&").Id("Conn").Values(jen.Id("d"))))

	ctx := jen.Id("ctx").Qual("context", "Context")
	popts := jen.Id("opts").Op("...").Qual(pkgDist, "PublishOption")
	sopts := jen.Id("opts").Op("...").Qual(pkgDist, "SubscribeOption")
	subRet := jen.Params(jen.Op("*").Qual(pkgDist, "Subscription"), jen.Error())

	// Entry names win over single-topic publish methods of the same name.
	entryNames := map[string]bool{}
	for _, e := range d.entries {
		entryNames["Publish"+goNameOr(e.name, "Entry")] = true
	}
	// Per-topic methods.
	for _, t := range d.topics {
		pub := "Publish" + hname[t]
		sub := "Subscribe" + hname[t]
		var rules []*setRule
		rules = append(rules, t.sets...)
		if t.family != nil {
			rules = append(rules, t.family.sets...)
		}
		if !(t.family == nil && entryNames[pub]) {
			if err := claim(pub, t.ptr); err != nil {
				return err
			}
			doc := fmt.Sprintf("%s validates v and publishes it on %q.", pub, t.name)
			if len(rules) > 0 {
				doc += " It first sets " + describeSets(rules) + "."
			}
			docComment(f, doc)
			var serr error
			f.Func().Params(jen.Id("c").Op("*").Id("Conn")).Id(pub).Params(ctx, jen.Id("v").Add(msgT[t]), popts).Error().BlockFunc(func(b *jen.Group) {
				if len(rules) > 0 {
					serr = g.applySets(b, rules, t.envelope, payT[t], jen.Id("v"), t.part, nil, nil, nil)
				}
				b.Return(jen.Id("Topics").Dot(hname[t]).Dot("Publish").Call(jen.Id("ctx"), jen.Id("c").Dot("Distributer"), jen.Id("v"), jen.Id("opts").Op("...")))
			})
			if serr != nil {
				return serr
			}
		}
		if err := claim(sub, t.ptr); err != nil {
			return err
		}
		docComment(f, fmt.Sprintf("%s delivers the messages on %q to h, decoded and (unless the Distributer skips receive validation) validated.", sub, t.name))
		f.Func().Params(jen.Id("c").Op("*").Id("Conn")).Id(sub).Params(ctx, jen.Id("h").Qual(pkgTyped, "Handler").Index(msgT[t]), sopts).Add(subRet).Block(
			jen.Return(jen.Id("Topics").Dot(hname[t]).Dot("Subscribe").Call(jen.Id("ctx"), jen.Id("c").Dot("Distributer"), jen.Id("h"), jen.Id("opts").Op("..."))),
		)
	}
	// Families: part sum types, by-part-name methods, fan-outs.
	for _, fam := range d.families {
		fg := goNameOr(fam.name, "Family")
		partType := g.ns.unique(fg + "Part")
		docComment(f, fmt.Sprintf("%s is a message on one of the topics %s: exactly one field is set.", partType, fam.pattern))
		f.Type().Id(partType).StructFunc(func(s *jen.Group) {
			for _, t := range fam.topics {
				s.Comment(fmt.Sprintf("// %s is the message on %q.", goNameOr(t.part, "Part"), t.name))
				s.Id(goNameOr(t.part, "Part")).Op("*").Add(msgT[t])
			}
		})
		f.Comment("Part returns the name of the part that is set, \"\" if none.")
		f.Func().Params(jen.Id("p").Id(partType)).Id("Part").Params().String().BlockFunc(func(b *jen.Group) {
			b.Switch().BlockFunc(func(sw *jen.Group) {
				for _, t := range fam.topics {
					sw.Case(jen.Id("p").Dot(goNameOr(t.part, "Part")).Op("!=").Nil()).Block(jen.Return(jen.Lit(t.part)))
				}
			})
			b.Return(jen.Lit(""))
		})
		pubT := "Publish" + fg + "Topic"
		subT := "Subscribe" + fg + "Topic"
		if err := claim(pubT, fam.ptr); err != nil {
			return err
		}
		if err := claim(subT, fam.ptr); err != nil {
			return err
		}
		docComment(f, fmt.Sprintf("%s publishes the part that is set in p on its topic (%s).", pubT, fam.pattern))
		f.Func().Params(jen.Id("c").Op("*").Id("Conn")).Id(pubT).Params(ctx, jen.Id("p").Id(partType), popts).Error().BlockFunc(func(b *jen.Group) {
			b.Switch().BlockFunc(func(sw *jen.Group) {
				for _, t := range fam.topics {
					sw.Case(jen.Id("p").Dot(goNameOr(t.part, "Part")).Op("!=").Nil()).Block(
						jen.Return(jen.Id("c").Dot("Publish"+hname[t]).Call(jen.Id("ctx"), jen.Op("*").Id("p").Dot(goNameOr(t.part, "Part")), jen.Id("opts").Op("..."))),
					)
				}
			})
			b.Return(jen.Qual(pkgErrors, "New").Call(jen.Lit(pkg + ": " + pubT + ": no part is set")))
		})
		prefix, suffix, _ := strings.Cut(fam.pattern, "{part}")
		docComment(f, fmt.Sprintf("%s subscribes h to %s where part is a part name (%q) or a pattern over part names (\"*\"). Each delivery is validated against the schema of its topic (unless the Distributer skips receive validation) and decoded into the field of its part.", subT, fam.pattern, fam.parts[0]))
		f.Func().Params(jen.Id("c").Op("*").Id("Conn")).Id(subT).Params(ctx, jen.Id("part").String(), jen.Id("h").Qual(pkgTyped, "Handler").Index(jen.Id(partType)), sopts).Add(subRet).Block(
			jen.Return(jen.Id("Schemas").Dot("Subscribe").Call(jen.Id("ctx"), jen.Id("c").Dot("Distributer"), jen.Index().String().Values(patternExpr(prefix, suffix)),
				jen.Qual(pkgDist, "HandlerFunc").Call(jen.Func().Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("m").Op("*").Qual(pkgDist, "Message")).Error().BlockFunc(func(b *jen.Group) {
					b.Var().Id("p").Id(partType)
					b.Switch(jen.Id("m").Dot("Topic")).BlockFunc(func(sw *jen.Group) {
						for _, t := range fam.topics {
							sw.Case(jen.Id(g.topicConst(t))).Block(
								jen.List(jen.Id("v"), jen.Err()).Op(":=").Id("Topics").Dot(hname[t]).Dot("Unmarshal").Call(jen.Id("m").Dot("Body")),
								jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
								jen.Id("p").Dot(goNameOr(t.part, "Part")).Op("=").Op("&").Id("v"),
							)
						}
						sw.Default().Block(jen.Return(jen.Qual(pkgDist, "Reject").Call(jen.Qual(pkgFmt, "Errorf").Call(jen.Lit(pkg+": topic %q is not one of "+fam.pattern), jen.Id("m").Dot("Topic")))))
					})
					b.Return(jen.Id("h").Dot("Handle").Call(jen.Id("ctx"), jen.Id("p"), jen.Id("m")))
				})), jen.Id("opts").Op("...")),
			),
		)
		if fam.fanout == "" {
			continue
		}
		fo := "Publish" + fam.fanout
		if err := claim(fo, fam.ptr+"/fanout/name"); err != nil {
			return err
		}
		compT, _ := g.m.typeAt(*fam.composite, true)
		inT := g.msgType(fam.envelope, compT)
		var ferr error
		docComment(f, fmt.Sprintf("%s fans out in.%s: it publishes each part that is present, in the order %s, on its topic (%s), each with its own copy of the envelope", fo, g.payloadGoName(fam.envelope), strings.Join(fam.parts, ", "), fam.pattern)+
			setsDoc(append(append([]*setRule{}, fam.sets...), fam.fanSets...))+
			". The messages are validated first and sent as one batch: if one is invalid, nothing is sent. An id given with distributer.WithID becomes <id>.<part> on each part.")
		f.Func().Params(jen.Id("c").Op("*").Id("Conn")).Id(fo).Params(ctx, jen.Id("in").Add(inT), popts).Error().BlockFunc(func(b *jen.Group) {
			b.Var().Id("msgs").Index().Op("*").Qual(pkgDist, "Message")
			b.Var().Id("parts").Index().String()
			for _, t := range fam.topics {
				steps, pt, msg := g.goPath(compT, nil, "/"+escapePointer(t.part))
				if msg != "" {
					ferr = errAt(ErrManifest, mf, t.ptr, msg, "")
					return
				}
				src := sel(jen.Id("in").Dot(g.payloadGoName(fam.envelope)), steps)
				var data jen.Code = src
				if pt.kind == tPtr && payT[t].kind != tPtr {
					data = jen.Op("*").Add(src)
				}
				blk := jen.BlockFunc(func(bb *jen.Group) {
					bb.Id("out").Op(":=").Add(g.rewrap(fam.envelope, payT[t], jen.Id("in"), data))
					if err := g.applySets(bb, append(append([]*setRule{}, fam.sets...), fam.fanSets...), fam.envelope, payT[t], jen.Id("out"), t.part, g.envRef(fam.envelope), compT, jen.Id("in")); err != nil {
						ferr = err
						return
					}
					bb.List(jen.Id("m"), jen.Err()).Op(":=").Id("Topics").Dot(hname[t]).Dot("Message").Call(jen.Id("out"), jen.Id("opts").Op("..."))
					bb.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
					bb.Id("msgs").Op("=").Append(jen.Id("msgs"), jen.Id("m"))
					bb.Id("parts").Op("=").Append(jen.Id("parts"), jen.Lit(t.part))
				})
				if pt.kind == tPtr || pt.isRaw() {
					b.If(src.Clone().Op("!=").Nil()).Add(blk)
				} else {
					b.Add(blk)
				}
			}
			b.If(jen.Len(jen.Id("msgs")).Op("==").Lit(0)).Block(jen.Return(jen.Nil()))
			b.Comment("// A caller-chosen id (distributer.WithID) would be shared by every part:")
			b.Comment("// make it <id>.<part>.")
			b.For(jen.Id("i").Op(":=").Lit(1), jen.Id("i").Op("<").Len(jen.Id("msgs")), jen.Id("i").Op("++")).Block(
				jen.If(jen.Id("msgs").Index(jen.Lit(0)).Dot("ID").Op("!=").Lit("").Op("&&").Id("msgs").Index(jen.Id("i")).Dot("ID").Op("==").Id("msgs").Index(jen.Lit(0)).Dot("ID")).Block(
					jen.For(jen.List(jen.Id("j"), jen.Id("m")).Op(":=").Range().Id("msgs")).Block(
						jen.Id("m").Dot("ID").Op("+=").Lit(".").Op("+").Id("parts").Index(jen.Id("j")),
					),
					jen.Break(),
				),
			)
			b.Return(jen.Id("c").Dot("PublishBatch").Call(jen.Id("ctx"), jen.Id("msgs")))
		})
		if ferr != nil {
			return ferr
		}
	}
	// Entries.
	for _, e := range d.entries {
		name := "Publish" + goNameOr(e.name, "Entry")
		if err := claim(name, e.ptr); err != nil {
			return err
		}
		inT, null := g.m.typeAt(e.loc, true)
		if null && !inT.isRaw() {
			inT = ptrTo(inT)
		}
		var ferr error
		docComment(f, fmt.Sprintf("%s publishes v by the first route of entry %q that applies:", name, e.name))
		for _, r := range e.routes {
			docComment(f, "  - "+g.routeDoc(r))
		}
		f.Func().Params(jen.Id("c").Op("*").Id("Conn")).Id(name).Params(ctx, jen.Id("v").Add(g.code(inT)), popts).Error().BlockFunc(func(b *jen.Group) {
			for _, r := range e.routes {
				if err := g.emitRoute(b, e, r, inT, payT); err != nil {
					ferr = err
					return
				}
			}
			if last := e.routes[len(e.routes)-1]; last.hasWhen {
				b.Return(jen.Qual(pkgErrors, "New").Call(jen.Lit(pkg + ": " + name + ": no route applies to the value")))
			}
		})
		if ferr != nil {
			return ferr
		}
	}
	if g.needPtr {
		f.Comment("distgenPtr returns a pointer to a copy of v.")
		f.Func().Id("distgenPtr").Types(jen.Id("T").Any()).Params(jen.Id("v").Id("T")).Op("*").Id("T").Block(jen.Return(jen.Op("&").Id("v")))
	}
	return nil
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

// rewrap builds E[P]{<other members of in>, Payload: data}.
func (g *generator) rewrap(env *envelopeDecl, payload *tref, in jen.Code, data jen.Code) jen.Code {
	nt := g.envTypes[env]
	return jen.Id(nt.name).Index(g.code(payload)).Values(jen.DictFunc(func(d jen.Dict) {
		for _, f := range nt.fields {
			if f.jsonName == env.payload {
				d[jen.Id(f.goName)] = data
			} else {
				d[jen.Id(f.goName)] = jen.Add(in).Dot(f.goName)
			}
		}
	}))
}

func (g *generator) emitRoute(b *jen.Group, e *entryDecl, r *routeDecl, inT *tref, payT map[*topicDecl]*tref) error {
	mf := g.set.manifestFile
	var guard jen.Code
	var guarded []step
	if r.hasWhen {
		steps, wt, msg := g.goPath(inT, nil, r.when)
		if msg != "" {
			return errAt(ErrManifest, mf, r.ptr+"/when", "when "+r.when+": "+msg, "point at an optional member of the entry's schema")
		}
		if wt.kind != tPtr && !wt.isRaw() {
			return errAt(ErrManifest, mf, r.ptr+"/when", "when "+r.when+" is a required member, so it is always present", "point at an optional member")
		}
		// Every optional member on the way is checked, outermost first.
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
		guarded = steps
	}
	dsteps, dt, msg := g.goPath(inT, nil, r.data)
	if msg != "" {
		return errAt(ErrManifest, mf, r.ptr+"/data", "data "+r.data+": "+msg, "point at a member of the entry's schema")
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
			return errAt(ErrManifest, mf, r.ptr+"/data", "data "+r.data+" passes through an optional member that when does not check", "add \"when\": the optional member")
		}
	}
	var data jen.Code = sel(jen.Id("v"), dsteps)
	if dt.kind == tPtr {
		data = jen.Op("*").Add(sel(jen.Id("v"), dsteps))
		dt = dt.elem
	}
	var err error
	body := func(bb *jen.Group) {
		switch {
		case r.entry != "":
			var target *entryDecl
			for _, x := range g.set.decl.entries {
				if x.name == r.entry {
					target = x
				}
			}
			tt, _ := g.m.typeAt(target.loc, true)
			if !sameType(tt, dt) {
				err = errAt(ErrManifest, mf, r.ptr+"/data", fmt.Sprintf("data has Go type %s, entry %s takes %s", typeString(dt), r.entry, typeString(tt)), "point data at a value of the entry's schema")
				return
			}
			bb.Return(jen.Id("c").Dot("Publish"+goNameOr(r.entry, "Entry")).Call(jen.Id("ctx"), data, jen.Id("opts").Op("...")))
		case r.topic != nil:
			t := r.topic
			pt := payT[t]
			if !sameType(pt, dt) {
				err = errAt(ErrManifest, mf, r.ptr+"/data", fmt.Sprintf("data has Go type %s, topic %s carries %s", typeString(dt), t.name, typeString(pt)), "point data at a value of the topic's schema")
				return
			}
			h := jen.Id("Topics").Dot(g.handleName[t])
			if t.envelope == nil {
				bb.Return(h.Dot("Publish").Call(jen.Id("ctx"), jen.Id("c").Dot("Distributer"), data, jen.Id("opts").Op("...")))
				return
			}
			bb.Var().Id("out").Id(g.envTypes[t.envelope].name).Index(g.code(pt))
			bb.Id("out").Dot(g.payloadGoName(t.envelope)).Op("=").Add(data)
			rules := append(append([]*setRule{}, r.sets...), t.sets...)
			if t.family != nil {
				rules = append(rules, t.family.sets...)
			}
			if err = g.applySets(bb, rules, t.envelope, pt, jen.Id("out"), t.part, inT, nil, jen.Id("v")); err != nil {
				return
			}
			bb.Return(h.Dot("Publish").Call(jen.Id("ctx"), jen.Id("c").Dot("Distributer"), jen.Id("out"), jen.Id("opts").Op("...")))
		default:
			fam := r.fanout
			compT, _ := g.m.typeAt(*fam.composite, true)
			if !sameType(compT, dt) {
				err = errAt(ErrManifest, mf, r.ptr+"/data", fmt.Sprintf("data has Go type %s, fan-out %s takes %s", typeString(dt), fam.fanout, typeString(compT)), "point data at a value of the composite schema")
				return
			}
			bb.Var().Id("out").Id(g.envTypes[fam.envelope].name).Index(g.code(compT))
			bb.Id("out").Dot(g.payloadGoName(fam.envelope)).Op("=").Add(data)
			if err = g.applySets(bb, r.sets, fam.envelope, compT, jen.Id("out"), "", inT, nil, jen.Id("v")); err != nil {
				return
			}
			bb.Return(jen.Id("c").Dot("Publish"+fam.fanout).Call(jen.Id("ctx"), jen.Id("out"), jen.Id("opts").Op("...")))
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

func patternExpr(prefix, suffix string) jen.Code {
	e := jen.Id("part")
	if prefix != "" {
		e = jen.Lit(prefix).Op("+").Id("part")
	}
	if suffix != "" {
		e = e.Op("+").Lit(suffix)
	}
	return e
}

// wrapNullable returns Nullable[T]{Value: v, Set: true}.
func (g *generator) wrapNullable(t *tref, v jen.Code) *jen.Statement {
	return jen.Id(g.nullableName()).Index(g.code(t.elem)).Values(jen.Dict{jen.Id("Value"): v, jen.Id("Set"): jen.True()})
}
