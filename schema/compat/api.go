package compat

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"sort"

	"github.com/distributer/distributer/gen"
)

// APIChanges compares the Go API that distgen generates for old and next
// (exported types, struct fields with their types, constants, functions
// and methods with their signatures) and returns a warning finding
// (API_CHANGED) for each identifier removed or changed: a change that may
// be compatible on the wire and still break the build of code using the
// generated package (a field that becomes a pointer when it turns
// optional, a removed enum constant). Both sources must come from the
// loader (Load, LoadFiles, FromSet).
func APIChanges(old, next Source) ([]Finding, error) {
	a, err := apiOf(old)
	if err != nil {
		return nil, fmt.Errorf("compat: generating the old API: %w", err)
	}
	b, err := apiOf(next)
	if err != nil {
		return nil, fmt.Errorf("compat: generating the new API: %w", err)
	}
	var out []Finding
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		nv, ok := b[k]
		change := ""
		switch {
		case !ok:
			change = fmt.Sprintf("%s removed (was %s)", k, a[k])
		case nv != a[k]:
			change = fmt.Sprintf("%s: %s -> %s", k, a[k], nv)
		default:
			continue
		}
		out = append(out, Finding{Rule: "API_CHANGED", Severity: Warning, Change: change, Why: Why("API_CHANGED"), File: "(generated Go API)"})
	}
	return out, nil
}

// apiOf generates the package of src and lists its exported API:
// identifier -> declaration text.
func apiOf(src Source) (map[string]string, error) {
	set := GenSet(src)
	if set == nil {
		return nil, fmt.Errorf("not a schema set loaded by gen")
	}
	files, err := gen.Generate(set, gen.Config{Package: "api", Version: "compat"})
	if err != nil {
		return nil, err
	}
	api := map[string]string{}
	fset := token.NewFileSet()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	text := func(n ast.Node) string {
		var b bytes.Buffer
		_ = printer.Fprint(&b, fset, n)
		return b.String()
	}
	for _, n := range names {
		f, err := parser.ParseFile(fset, n, files[n], 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				name := d.Name.Name
				if d.Recv != nil && len(d.Recv.List) > 0 {
					name = text(d.Recv.List[0].Type) + "." + name
				}
				api["func "+name] = text(d.Type)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						st, ok := s.Type.(*ast.StructType)
						if !ok {
							api["type "+s.Name.Name] = text(s.Type)
							continue
						}
						api["type "+s.Name.Name] = "struct"
						for _, fl := range st.Fields.List {
							for _, id := range fl.Names {
								if id.IsExported() {
									api["field "+s.Name.Name+"."+id.Name] = text(fl.Type)
								}
							}
						}
					case *ast.ValueSpec:
						for i, id := range s.Names {
							if !id.IsExported() {
								continue
							}
							v := ""
							if i < len(s.Values) {
								v = text(s.Values[i])
							}
							api[d.Tok.String()+" "+id.Name] = v
						}
					}
				}
			}
		}
	}
	return api, nil
}
