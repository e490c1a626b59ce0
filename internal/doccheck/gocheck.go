package doccheck

import (
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// snippet is a Go block made into a file.
type snippet struct {
	block    Block
	src      string
	file     *ast.File
	inferred map[string]bool // import paths added for names the block uses
}

// CheckGo type-checks the Go blocks of the guides (see the package doc).
func (c *Checker) CheckGo(docs []*Doc) []Problem {
	var ps []Problem
	fset := token.NewFileSet()
	var snips []*snippet
	need := map[string]bool{}
	for _, d := range docs {
		for _, b := range d.Blocks {
			if b.Lang != "go" {
				continue
			}
			s, p := c.goFile(fset, b)
			if p != nil {
				ps = append(ps, p...)
				continue
			}
			if b.Fragment {
				continue
			}
			snips = append(snips, s)
			for _, is := range s.file.Imports {
				if p, err := strconv.Unquote(is.Path.Value); err == nil {
					need[p] = true
				}
			}
		}
	}
	var refs []symbolRef
	for _, d := range docs {
		for _, sp := range d.Spans {
			if m := symbolRE.FindStringSubmatch(sp.Text); m != nil {
				if p, ok := c.byName[m[1]]; ok && c.dirOf[p] != "" { // a package of the repository
					refs = append(refs, symbolRef{sp, p, m[2], m[3]})
					need[p] = true
				}
			}
		}
	}
	if len(need) == 0 {
		return ps
	}
	exports, err := c.exports(need)
	if err != nil {
		return append(ps, Problem{docs[0].File, 1, err.Error()})
	}
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no package %s (go list -export found none)", path)
		}
		return os.Open(f)
	})
	for _, r := range refs {
		if msg := r.check(imp, c.dirOf[r.path]); msg != "" {
			ps = append(ps, Problem{r.span.File, r.span.Line, msg})
		}
	}
	for i, s := range snips {
		var errs []types.Error
		conf := types.Config{Importer: imp, Error: func(err error) {
			var te types.Error
			if errors.As(err, &te) {
				errs = append(errs, te)
			}
		}}
		_, _ = conf.Check(fmt.Sprintf("doccheck/snippet%d", i), fset, []*ast.File{s.file}, nil)
		for _, te := range errs {
			if s.tolerated(te.Msg) {
				continue
			}
			pos := fset.Position(te.Pos)
			p := Problem{s.block.File, s.block.Line, "go block does not compile: " + te.Msg}
			if pos.Filename == s.block.File {
				p.Line = pos.Line
			}
			ps = append(ps, p)
		}
	}
	return ps
}

// symbolRE matches a Go name in inline code: pkg.Name, pkg.Name.Member,
// with () after a function or method.
var symbolRE = regexp.MustCompile(`^([a-z][a-z0-9]*)\.([A-Z]\w*)(?:\.([A-Za-z_]\w*))?(?:\(\))?$`)

// symbolRef is a Go name of a repository package in inline code.
type symbolRef struct {
	span               Code
	path, name, member string
}

// check says what is wrong when the package does not declare the name or
// the name has no such field or method.
func (r symbolRef) check(imp types.Importer, dir string) string {
	pkg, err := imp.Import(r.path)
	if err != nil {
		return fmt.Sprintf("%s: %v", r.span.Text, err)
	}
	obj := pkg.Scope().Lookup(r.name)
	if obj == nil && r.member == "" && testFuncRE.MatchString("func "+r.name+"(") && r.testDeclares(dir) {
		return "" // a test of the package, as go test lists it
	}
	if obj == nil {
		return fmt.Sprintf("%s: package %s declares no %s", r.span.Text, r.path, r.name)
	}
	if r.member == "" {
		return ""
	}
	if _, ok := obj.(*types.TypeName); ok {
		if o, _, _ := types.LookupFieldOrMethod(types.NewPointer(obj.Type()), true, pkg, r.member); o != nil {
			return ""
		}
	} else if o, _, _ := types.LookupFieldOrMethod(obj.Type(), true, pkg, r.member); o != nil {
		return ""
	}
	return fmt.Sprintf("%s: %s.%s has no field or method %s", r.span.Text, pkg.Name(), r.name, r.member)
}

// testDeclares reports whether a test file in dir declares the function.
func (r symbolRef) testDeclares(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err == nil && regexp.MustCompile(`(?m)^func `+r.name+`\(`).Match(src) {
			return true
		}
	}
	return false
}

// tolerated reports whether a type-checking error is one the guides make
// on purpose: a name the reader supplies, a variable shown but not used, an
// expression shown for its value, an import added for a name that the
// block turned out to declare itself.
func (s *snippet) tolerated(msg string) bool {
	if name, ok := strings.CutPrefix(msg, "undefined: "); ok {
		return !strings.Contains(name, ".")
	}
	if strings.HasPrefix(msg, "declared and not used") || strings.HasSuffix(msg, " is not used") {
		return true
	}
	if q, _, ok := strings.Cut(msg, " imported"); ok && strings.Contains(msg, "imported and not used") {
		p, err := strconv.Unquote(q)
		return err == nil && s.inferred[p]
	}
	return false
}

// goFile makes a file of a Go block: the block itself when it starts with a
// package clause, else a file of its declarations, else its leading imports
// and a function holding the rest. Names the block uses as package
// qualifiers without importing them are imported. //line directives keep
// the guide's positions.
func (c *Checker) goFile(fset *token.FileSet, b Block) (*snippet, []Problem) {
	s := &snippet{block: b, inferred: map[string]bool{}}
	lines := strings.Split(strings.TrimSuffix(b.Text, "\n"), "\n")
	at := func(i int) string { return fmt.Sprintf("//line %s:%d\n", b.File, b.Line+i) }
	name := fmt.Sprintf("%s:%d.go", b.File, b.Line)
	parse := func(src string) (*ast.File, error) {
		return parser.ParseFile(fset, name, src, parser.ParseComments|parser.AllErrors)
	}
	head, body := "", ""
	if firstToken(b.Text) == token.PACKAGE {
		s.src = at(0) + b.Text
	} else if _, err := parse("package p\n" + at(0) + b.Text); err == nil {
		head = at(0) + b.Text
	} else {
		k := importLines(b.Text)
		head = at(0) + strings.Join(lines[:k], "\n") + "\n"
		body = "func _() {\n" + at(k) + strings.Join(lines[k:], "\n") + "\n}\n"
	}
	if s.src == "" {
		s.src = "package p\n" + head + body
		f, err := parse(s.src)
		if err != nil {
			return nil, parseProblems(b, err)
		}
		s.src = "package p\n" + c.importsFor(f, s.inferred) + head + body
	}
	f, err := parse(s.src)
	if err != nil {
		return nil, parseProblems(b, err)
	}
	s.file = f
	return s, nil
}

// importsFor returns import declarations for the names f uses as package
// qualifiers (x in x.Y) without declaring or importing them, and records
// their paths in added.
func (c *Checker) importsFor(f *ast.File, added map[string]bool) string {
	declared := map[string]bool{}
	for _, is := range f.Imports {
		p, _ := strconv.Unquote(is.Path.Value)
		if is.Name != nil {
			declared[is.Name.Name] = true
		} else {
			declared[c.packageName(p)] = true
		}
	}
	unresolved := map[*ast.Ident]bool{}
	for _, id := range f.Unresolved {
		unresolved[id] = true
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && unresolved[id] && !declared[id.Name] {
				if p, ok := c.byName[id.Name]; ok && !added[p] {
					added[p] = true
					names = append(names, id.Name)
				}
			}
		}
		return true
	})
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "import %s %q\n", n, c.byName[n])
	}
	return b.String()
}

// packageName is the name of the package at import path p.
func (c *Checker) packageName(p string) string {
	for name, q := range c.byName {
		if q == p {
			return name
		}
	}
	base := path.Base(p)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" {
		base = path.Base(path.Dir(p))
	}
	return base
}

// exports returns the export data files of the packages and their
// dependencies, listed with go list -export in the module that holds each.
func (c *Checker) exports(paths map[string]bool) (map[string]string, error) {
	byModule := map[string][]string{}
	for p := range paths {
		dir := c.modules[0].dir
		best := ""
		for _, m := range c.modules {
			if (p == m.path || strings.HasPrefix(p, m.path+"/")) && len(m.path) > len(best) {
				best, dir = m.path, m.dir
			}
		}
		byModule[dir] = append(byModule[dir], p)
	}
	exports := map[string]string{}
	for dir, ps := range byModule {
		sort.Strings(ps)
		out, err := c.goCmd(dir, append([]string{"list", "-e", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}, ps...)...)
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			p, f, _ := strings.Cut(l, "\t")
			if f != "" {
				exports[p] = f
			}
		}
	}
	return exports, nil
}

// firstToken is the first token of src, comments skipped.
func firstToken(src string) token.Token {
	var s scanner.Scanner
	fs := token.NewFileSet()
	s.Init(fs.AddFile("", -1, len(src)), []byte(src), nil, 0)
	for {
		if _, tok, _ := s.Scan(); tok != token.SEMICOLON {
			return tok
		}
	}
}

// importLines is the number of leading lines of src that hold its import
// declarations.
func importLines(src string) int {
	var s scanner.Scanner
	fs := token.NewFileSet()
	f := fs.AddFile("", -1, len(src))
	s.Init(f, []byte(src), nil, 0)
	inImport, inGroup := false, false
	for {
		pos, tok, _ := s.Scan()
		switch {
		case tok == token.EOF:
			return strings.Count(strings.TrimSuffix(src, "\n"), "\n") + 1
		case inGroup:
			inGroup = tok != token.RPAREN
			inImport = inGroup
		case inImport && tok == token.LPAREN:
			inGroup = true
		case inImport && (tok == token.IDENT || tok == token.PERIOD):
		case inImport && tok == token.STRING:
			inImport = false
		case tok == token.IMPORT:
			inImport = true
		case tok == token.SEMICOLON:
		default:
			return f.Line(pos) - 1
		}
	}
}

// parseProblems turns a parse error of a block into problems at the
// guide's lines.
func parseProblems(b Block, err error) []Problem {
	var list scanner.ErrorList
	if !errors.As(err, &list) {
		return []Problem{{b.File, b.Line, "go block does not parse: " + err.Error()}}
	}
	var ps []Problem
	for _, e := range list[:1] { // the errors after the first are mostly its echoes
		p := Problem{b.File, b.Line, "go block does not parse: " + e.Msg + " (a deliberately partial block must still parse as declarations or statements)"}
		if e.Pos.Filename == b.File {
			p.Line = e.Pos.Line
		}
		ps = append(ps, p)
	}
	return ps
}
