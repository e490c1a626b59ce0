package gen

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/dave/jennifer/jen"
)

// The model of topics.go. buildAPI makes it from the declarations of
// distgen.json and the mapped types before anything is rendered: it names
// every handle, fill, family, fan-out and entry method, resolves every set
// rule, route and fan-out part to Go paths and types, and finds the
// collisions and the manifest errors the Go types reveal. The emitters of
// api.go then only render it (and the contract test reads its handles).

// apiModel is everything topics.go declares, in declaration order.
type apiModel struct {
	topics   []*topicModel
	families []*familyModel
	entries  []*entryModel
}

// topicModel is a topic: its handle in TopicHandles, Topics and Conn, and
// the Go types of its payload and of a whole message on it.
type topicModel struct {
	*topicDecl
	konst   string   // its constant, Topic<Name>
	handle  string   // its field in TopicHandles and Conn
	handler string   // its handler aliases: <handler> and <handler>Func
	payT    *tref    // the payload
	msgT    jen.Code // a whole message: E[P] or P
	fam     *familyModel
	// fill is the expression of the func(T) T that applies its (or its
	// family's) set rules, nil when there are none; fillFn names the fill
	// function of a topic outside a family that has set rules, assigns
	// its statements.
	fill    jen.Code
	fillFn  string
	assigns []*assignment
}

// familyModel is a family: its Conn field, its part struct, its
// typed.Family variable, the fill factory of its set rules and its
// fan-out.
type familyModel struct {
	*familyDecl
	field    string
	partType string
	handler  string // its handler aliases: <handler> and <handler>Func
	shared   bool   // every part carries the same type: partType is typed.PartMessage of it
	varName  string
	fillFn   string // "" when the family sets nothing
	assigns  []*assignment
	topics   []*topicModel
	fan      *fanOutModel // nil without one
}

// fanOutModel is the fan-out of a family: its Publish method, its
// typed.FanOut variable and, with an envelope, the function that makes the
// message of a part.
type fanOutModel struct {
	method  string   // Publish<Name>
	varName string   // its typed.FanOut
	build   string   // its message function, "" without an envelope
	compT   *tref    // the composite
	inT     jen.Code // what the method takes: the composite, maybe in its envelope
	parts   []fanPart
	assigns []*assignment // the fan-out's own set rules
}

// fanPart is a part of a fan-out: its topic and where it is in the
// composite.
type fanPart struct {
	topic *topicModel
	steps []step
	t     *tref // its type in the composite
}

// entryModel is an entry: its Publish method and its routes.
type entryModel struct {
	*entryDecl
	method string
	inT    *tref
	routes []*routeModel
}

// routeModel is a checked route of an entry: the members its when checks,
// its data and its target with the set rules it applies.
type routeModel struct {
	*routeDecl
	guard     []step // the path of when; nil without one
	data      []step
	dataT     *tref // the type of the data (dereferenced)
	derefData bool  // the data is an optional member, checked by when
	// the target: a topic, a family's fan-out or (toEntry) the method of
	// another entry
	toTopic *topicModel
	toFan   *familyModel
	toEntry string
	assigns []*assignment
}

// assignment is a checked set rule: the member of the envelope it fills
// and what with.
type assignment struct {
	rule  *setRule
	steps []step // the target, from the envelope value
	tt    *tref  // the target's type (maybe a pointer or Nullable)
	// const, part and topic rules: the value, or (varExpr) the expression
	// made of the part parameter of a family's fill; typeArg: the
	// constant is untyped and its default type is not the member's, so
	// typed.Ptr and typed.Some need the type argument
	lit     jen.Code
	varExpr *jen.Statement
	typeArg bool
	// from rules: the source, from the input value, and its type
	src  []step
	srcT *tref
}

// partRef is what {"part": true} and {"topic": true} set rules set: the
// part name and the topic of a topic outside a family (topic), or, in a
// family's fill function, its parameter part and the topic made of it
// (prefix + part + suffix).
type partRef struct {
	name           string
	variable       bool
	topic          string
	prefix, suffix string
}

// familyPart is the partRef of the fill functions of a family: the
// variable part.
func familyPart(fam *familyDecl) partRef {
	prefix, suffix, _ := strings.Cut(fam.pattern, "{part}")
	return partRef{name: "part", variable: true, prefix: prefix, suffix: suffix}
}

// expr returns the Go expression of the part name (part) or the topic.
func (p partRef) expr(topic bool) *jen.Statement {
	if !topic {
		return jen.Id(p.name)
	}
	e := jen.Id(p.name)
	if p.prefix != "" {
		e = jen.Lit(p.prefix).Op("+").Add(e)
	}
	if p.suffix != "" {
		e = e.Op("+").Lit(p.suffix)
	}
	return e
}

// connReserved are the members of Conn that do not come from the manifest:
// the embedded Distributer and the methods it brings. A topic or family
// whose Go name is one of them gets a handle named with a suffix
// ("CloseTopic"), so that it does not hide the method.
var connReserved = append([]string{"Distributer"}, distributerMethods...)

// apiBuilder builds the apiModel; members and priv are the names it has
// handed out.
type apiBuilder struct {
	*generator
	api     *apiModel
	members *namespace // fields and methods of Conn
	priv    *namespace // unexported package-level names
	topics  map[*topicDecl]*topicModel
}

// buildAPI builds the model of topics.go (see apiModel).
func (g *generator) buildAPI() (*apiModel, error) {
	b := &apiBuilder{generator: g, api: &apiModel{}, members: newNamespace(), priv: newNamespace(), topics: map[*topicDecl]*topicModel{}}
	if err := b.allocate(); err != nil {
		return nil, err
	}
	for _, t := range b.api.topics {
		if t.fillFn == "" {
			continue
		}
		var err error
		if t.assigns, err = b.assignments(t.sets, t.envelope, t.payT, partRef{topic: t.name}, nil, nil); err != nil {
			return nil, err
		}
	}
	for _, fam := range b.api.families {
		if err := b.family(fam); err != nil {
			return nil, err
		}
	}
	for _, en := range g.set.decl.entries {
		em, err := b.entry(en)
		if err != nil {
			return nil, err
		}
		b.api.entries = append(b.api.entries, em)
	}
	return b.api, nil
}

// allocate maps the topics' types and names the handles, fills and
// families, and claims the Conn members they take.
func (b *apiBuilder) allocate() error {
	d := b.set.decl
	for _, n := range connReserved {
		b.members.reserve(n)
	}
	for _, n := range []string{"schemaFiles", "topicSchemas", "distgenBranches"} {
		b.priv.reserve(n)
	}
	handles := newNamespace()
	for _, t := range d.topics {
		tm := &topicModel{topicDecl: t, konst: topicConst(t), handle: handleName(handles, goNameOr(t.name, "Topic"), "Topic")}
		b.members.reserve(tm.handle)
		tm.payT = b.payloadType(t)
		tm.msgT = b.msgType(t.envelope, tm.payT)
		b.topics[t] = tm
		b.api.topics = append(b.api.topics, tm)
	}
	if len(b.m.errs) > 0 {
		return b.m.errs
	}
	for _, fd := range d.families {
		fg := goNameOr(fd.name, "Family")
		fam := &familyModel{familyDecl: fd, field: handleName(handles, fg, "Family")}
		b.members.reserve(fam.field)
		fam.partType = b.ns.unique(fg + "Part")
		fam.varName = b.priv.unique(lowerName(fg) + "Family")
		if len(fd.sets) > 0 {
			fam.fillFn = b.priv.unique(lowerName(fg) + "Fill")
		}
		for _, t := range fd.topics {
			b.topics[t].fam = fam
			fam.topics = append(fam.topics, b.topics[t])
		}
		fam.shared = sharedType(fam.topics)
		b.api.families = append(b.api.families, fam)
	}
	for _, t := range b.api.topics {
		t.handler = b.handlerName(t.handle)
	}
	for _, fam := range b.api.families {
		fam.handler = b.handlerName(fam.field)
	}
	for _, t := range b.api.topics {
		switch {
		case t.fam != nil && t.fam.fillFn != "":
			t.fill = jen.Id(t.fam.fillFn).Index(b.code(t.payT)).Call(jen.Lit(t.part))
		case len(t.sets) > 0:
			t.fillFn = b.priv.unique(lowerName(t.handle) + "Fill")
			t.fill = jen.Id(t.fillFn)
		}
	}
	return nil
}

// handlerName allocates the names of the handler aliases of a topic or
// family: <name>Handler and <name>HandlerFunc, both free.
func (b *apiBuilder) handlerName(name string) string {
	base := name + "Handler"
	for i := 2; b.ns.taken[base] || b.ns.taken[base+"Func"]; i++ {
		base = name + "Handler" + strconv.Itoa(i)
	}
	b.ns.reserve(base)
	b.ns.reserve(base + "Func")
	return base
}

// sharedType reports whether every part of a family carries the same Go
// type: its part struct is then typed.PartMessage of that type.
func sharedType(parts []*topicModel) bool {
	if len(parts) < 2 {
		return false
	}
	for _, t := range parts[1:] {
		if !sameType(t.payT, parts[0].payT) {
			return false
		}
	}
	return true
}

// claim takes the Conn member name for a generated method declared at ptr.
func (b *apiBuilder) claim(name, ptr string) error {
	if b.members.taken[name] {
		return errAt(ErrCollision, b.set.manifestFile, ptr, fmt.Sprintf("the generated method %s is already taken (by a method of Distributer, a topic's or family's handle or another generated method)", name), "rename the family, fan-out or entry")
	}
	b.members.reserve(name)
	return nil
}

// family checks the family's set rules and builds its fan-out.
func (b *apiBuilder) family(fam *familyModel) error {
	var err error
	if fam.fillFn != "" {
		if fam.assigns, err = b.assignments(fam.sets, fam.envelope, nil, familyPart(fam.familyDecl), nil, nil); err != nil {
			return err
		}
	}
	if fam.fanout == "" {
		return nil
	}
	fo := &fanOutModel{method: "Publish" + fam.fanout}
	if err := b.claim(fo.method, fam.ptr+"/fanout/name"); err != nil {
		return err
	}
	fo.compT, _ = b.m.typeAt(*fam.composite, true)
	fo.inT = b.msgType(fam.envelope, fo.compT)
	fo.varName = b.priv.unique(lowerName(goNameOr(fam.name, "Family")) + "FanOut")
	if fam.envelope != nil {
		fo.build = b.priv.unique(fo.varName + "Message")
	}
	for _, t := range fam.topics {
		steps, mt, msg := b.goPath(fo.compT, nil, "/"+escapePointer(t.part))
		if msg != "" {
			return errAt(ErrManifest, b.set.manifestFile, t.ptr, msg, "")
		}
		fo.parts = append(fo.parts, fanPart{topic: t, steps: steps, t: mt})
	}
	if fo.build != "" && len(fam.fanSets) > 0 {
		if fo.assigns, err = b.assignments(fam.fanSets, fam.envelope, nil, familyPart(fam.familyDecl), b.envRef(fam.envelope), fo.compT); err != nil {
			return err
		}
	}
	fam.fan = fo
	return nil
}

// entryMethod is the name of the Publish method of the entry name.
func entryMethod(name string) string { return "Publish" + goNameOr(name, "Entry") }

// entry claims an entry's method and checks its routes.
func (b *apiBuilder) entry(en *entryDecl) (*entryModel, error) {
	em := &entryModel{entryDecl: en, method: entryMethod(en.name)}
	if err := b.claim(em.method, en.ptr); err != nil {
		return nil, err
	}
	inT, null := b.m.typeAt(en.loc, true)
	if null && !inT.isRaw() {
		inT = ptrTo(inT)
	}
	em.inT = inT
	for _, r := range en.routes {
		rm, err := b.route(r, inT)
		if err != nil {
			return nil, err
		}
		em.routes = append(em.routes, rm)
	}
	return em, nil
}

// route checks a route of an entry taking inT: its when, its data, that
// the data has the type its target takes, and its set rules.
func (b *apiBuilder) route(r *routeDecl, inT *tref) (*routeModel, error) {
	rm := &routeModel{routeDecl: r}
	var err error
	if rm.guard, err = b.routeGuard(r, inT); err != nil {
		return nil, err
	}
	if err = b.routeData(rm, inT); err != nil {
		return nil, err
	}
	mf, dt := b.set.manifestFile, rm.dataT
	switch {
	case r.entry != "":
		var target *entryDecl
		for _, x := range b.set.decl.entries {
			if x.name == r.entry {
				target = x
			}
		}
		tt, _ := b.m.typeAt(target.loc, true)
		if !sameType(tt, dt) {
			return nil, errAt(ErrManifest, mf, r.ptr+"/data", fmt.Sprintf("data has Go type %s, entry %s takes %s", typeString(dt), r.entry, typeString(tt)), "point data at a value of the entry's schema")
		}
		rm.toEntry = entryMethod(r.entry)
	case r.topic != nil:
		t := b.topics[r.topic]
		if !sameType(t.payT, dt) {
			return nil, errAt(ErrManifest, mf, r.ptr+"/data", fmt.Sprintf("data has Go type %s, topic %s carries %s", typeString(dt), t.name, typeString(t.payT)), "point data at a value of the topic's schema")
		}
		rm.toTopic = t
		if t.envelope != nil {
			rm.assigns, err = b.assignments(r.sets, t.envelope, t.payT, partRef{}, inT, nil)
		}
	default:
		fam := b.familyOf(r.fanout)
		if !sameType(fam.fan.compT, dt) {
			return nil, errAt(ErrManifest, mf, r.ptr+"/data", fmt.Sprintf("data has Go type %s, fan-out %s takes %s", typeString(dt), fam.fanout, typeString(fam.fan.compT)), "point data at a value of the composite schema")
		}
		rm.toFan = fam
		if fam.envelope != nil {
			rm.assigns, err = b.assignments(r.sets, fam.envelope, fam.fan.compT, partRef{}, inT, nil)
		}
	}
	return rm, err
}

func (b *apiBuilder) familyOf(d *familyDecl) *familyModel {
	for _, f := range b.api.families {
		if f.familyDecl == d {
			return f
		}
	}
	return nil
}

// routeGuard checks a route's when and returns its path (nil without one).
func (b *apiBuilder) routeGuard(r *routeDecl, inT *tref) ([]step, error) {
	if !r.hasWhen {
		return nil, nil
	}
	mf := b.set.manifestFile
	steps, wt, msg := b.goPath(inT, nil, r.when)
	if msg != "" {
		return nil, errAt(ErrManifest, mf, r.ptr+"/when", "when "+r.when+": "+msg, "point at an optional member of the entry's schema")
	}
	if wt.kind != tPtr && !wt.isRaw() {
		return nil, errAt(ErrManifest, mf, r.ptr+"/when", "when "+r.when+" is a required member, so it is always present", "point at an optional member")
	}
	return steps, nil
}

// routeData checks a route's data: every optional member on its way is one
// that when checks.
func (b *apiBuilder) routeData(rm *routeModel, inT *tref) error {
	mf, r := b.set.manifestFile, rm.routeDecl
	dsteps, dt, msg := b.goPath(inT, nil, r.data)
	if msg != "" {
		return errAt(ErrManifest, mf, r.ptr+"/data", "data "+r.data+": "+msg, "point at a member of the entry's schema")
	}
	for i, st := range dsteps {
		if st.t.kind != tPtr {
			continue
		}
		covered := len(rm.guard) > i
		for j := 0; covered && j <= i; j++ {
			covered = rm.guard[j].goName == dsteps[j].goName
		}
		if !covered {
			return errAt(ErrManifest, mf, r.ptr+"/data", "data "+r.data+" passes through an optional member that when does not check", "add \"when\": the optional member")
		}
	}
	rm.data, rm.dataT = dsteps, dt
	if dt.kind == tPtr {
		rm.dataT, rm.derefData = dt.elem, true
	}
	return nil
}

// assignments checks the set rules of a message in the envelope env
// around payload (nil: the type parameter T): their targets are members of
// the envelope outside the payload, their values fit, and the members
// that from rules read (in the input of type srcT, srcArg its type
// argument) have the target's type.
func (b *apiBuilder) assignments(rules []*setRule, env *envelopeDecl, payload *tref, part partRef, srcT, srcArg *tref) ([]*assignment, error) {
	mf := b.set.manifestFile
	var out []*assignment
	for _, r := range rules {
		if strings.HasPrefix(r.target+"/", "/"+env.payload+"/") {
			return nil, errAt(ErrManifest, mf, r.ptr, "set target "+r.target+" is inside the payload", "set rules fill the envelope's other members")
		}
		steps, tt, msg := b.goPath(b.envRef(env), payload, r.target)
		if msg != "" {
			return nil, errAt(ErrManifest, mf, r.ptr, "set target "+r.target+": "+msg, "name a member of the envelope (not the payload)")
		}
		for _, st := range steps[:len(steps)-1] {
			if st.t.kind == tPtr {
				return nil, errAt(ErrManifest, mf, r.ptr, "set target "+r.target+" passes through an optional member", "make the envelope's members on the way required")
			}
		}
		a := &assignment{rule: r, steps: steps, tt: tt}
		var err error
		if r.part || r.topic || r.cnst != nil {
			err = b.constValue(a, part)
		} else {
			err = b.fromSource(a, srcT, srcArg)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// constValue checks the value of a const, part or topic rule against the
// target.
func (b *apiBuilder) constValue(a *assignment, part partRef) error {
	r, base := a.rule, deref(a.tt)
	var v any
	switch {
	case r.part:
		v = part.name
	case r.topic:
		v = part.topic
	default:
		v = r.cnst.Value()
	}
	variable := (r.part || r.topic) && part.variable
	lit, ok := constLit(base, v)
	if !ok {
		what := fmt.Sprint(v)
		switch {
		case variable && r.part:
			what = "a part name (a string)"
		case variable:
			what = "a topic name (a string)"
		case r.topic:
			what = fmt.Sprintf("the topic name %q", v)
		}
		return errAt(ErrManifest, b.set.manifestFile, r.ptr, fmt.Sprintf("set target %s (Go type %s) cannot hold %s", r.target, typeString(base), what), "use a value of the member's type")
	}
	a.lit = lit
	if variable {
		a.varExpr = part.expr(r.topic)
	}
	// An untyped constant needs the type argument of typed.Ptr and
	// typed.Some unless its default type is the member's; a conversion to
	// a named type (or the part variable) has its type.
	a.typeArg = !variable && base.kind != tNamed && !(base.kind == tBuiltin && base.pkg == "" && base.name == defaultType(v))
	return nil
}

// defaultType is the Go type an untyped constant of the JSON value v gets
// when nothing else decides it.
func defaultType(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "bool"
	case fmt.Stringer: // json.Number
		if strings.ContainsAny(x.String(), ".eE") {
			return "float64"
		}
		return "int"
	}
	return ""
}

// fromSource checks the source of a {"from": pointer} rule: a member of
// the input with the target's type.
func (b *apiBuilder) fromSource(a *assignment, srcT, srcArg *tref) error {
	r, base, mf := a.rule, deref(a.tt), b.set.manifestFile
	ssteps, st, msg := b.goPath(srcT, srcArg, *r.from)
	if msg != "" {
		return errAt(ErrManifest, mf, r.ptr, "set source "+*r.from+": "+msg, "point at a member of the input")
	}
	if !sameType(deref(st), base) {
		return errAt(ErrManifest, mf, r.ptr, fmt.Sprintf("set source %s has Go type %s, target %s has %s", *r.from, typeString(deref(st)), r.target, typeString(base)), "point at members with the same schema type")
	}
	a.src, a.srcT = ssteps, st
	return nil
}

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

func typeString(t *tref) string { return codeString((&generator{}).code(t)) }

// codeString renders a type expression as Go source, qualified by package
// name (typed.Nullable[string]).
func codeString(c jen.Code) string {
	var b strings.Builder
	if err := jen.Var().Id("_").Add(c).RenderWithFile(&b, jen.NewFile("x")); err != nil {
		return "?"
	}
	return strings.TrimPrefix(b.String(), "var _ ")
}

// constLit returns the Go literal of v as a value of t; false when t
// cannot hold v.
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

// topicConst is the name of the constant of topic t.
func topicConst(t *topicDecl) string {
	return "Topic" + goNameOr(t.name, "Unnamed")
}
