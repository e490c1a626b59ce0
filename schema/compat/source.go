package compat

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/distributer/distributer/gen"
)

// This file is the only place where the comparison meets the schema
// loader: everything else reads schemas through Source. When the loader
// moves (package schema), only the adapter below changes.

// Location is a schema's place: a file of the set and a JSON pointer in it.
type Location struct {
	File    string
	Pointer string
}

func (l Location) String() string {
	if l.Pointer == "" {
		return l.File
	}
	return l.File + "#" + l.Pointer
}

// Topic is a topic of a schema set: its name, the schema of a whole message
// body on it, and the compatibility mode its declaration asks for ("" for
// the default).
type Topic struct {
	Name   string
	Schema Location
	Mode   Mode
}

// Source is a loaded, checked schema set as the comparison reads it.
type Source interface {
	// Topics returns the set's topics, sorted by name.
	Topics() []Topic
	// Value returns the JSON value at loc, decoded with numbers as
	// json.Number; false when there is none.
	Value(loc Location) (any, bool)
	// Resolve resolves the $ref value ref of the schema at from.
	Resolve(from Location, ref string) (Location, error)
	// Position returns the 1-based line and column of loc (0, 0 when the
	// file has none, as for synthesized files).
	Position(loc Location) (line, col int)
	// Draft returns the JSON Schema draft of a file: 7, 2019 or 2020.
	Draft(file string) int
	// Files returns the files of the set (path -> JSON text), the input of
	// the instance generator and validator of package contract.
	Files() map[string]string
}

// genSource adapts a *gen.Input (the loader of today) to Source.
type genSource struct {
	set    *gen.Input
	topics []Topic
	files  map[string]string
	cache  map[string]any
}

// FromSet returns the Source of a schema set loaded by gen.Load. The
// per-topic "compatibility" of distgen.json is its topics' Mode.
func FromSet(s *gen.Input) Source {
	g := &genSource{set: s, files: s.Files(), cache: map[string]any{}}
	refs := s.TopicSchemas()
	for _, name := range s.Topics() {
		file, ptr, _ := strings.Cut(refs[name], "#")
		g.topics = append(g.topics, Topic{Name: name, Schema: Location{file, ptr}, Mode: Mode(s.TopicCompatibility(name))})
	}
	sort.Slice(g.topics, func(i, j int) bool { return g.topics[i].Name < g.topics[j].Name })
	return g
}

// Load reads the schema directory fsys with gen.Load and returns its
// Source. Its error is the loader's (*gen.Error or gen.ErrorList).
func Load(fsys fs.FS) (Source, error) {
	s, err := gen.Load(fsys)
	if err != nil {
		return nil, err
	}
	return FromSet(s), nil
}

// LoadFiles is Load for files in memory (path -> content).
func LoadFiles(files map[string][]byte) (Source, error) {
	s, err := gen.LoadFiles(files)
	if err != nil {
		return nil, err
	}
	return FromSet(s), nil
}

// GenSet returns the *gen.Input behind a Source made by FromSet, Load or
// LoadFiles (for the generated-API comparison), or nil.
func GenSet(src Source) *gen.Input {
	if g, ok := src.(*genSource); ok {
		return g.set
	}
	return nil
}

func (g *genSource) Topics() []Topic          { return g.topics }
func (g *genSource) Files() map[string]string { return g.files }
func (g *genSource) Draft(file string) int    { return g.set.SchemaDraft(file) }

func (g *genSource) Position(l Location) (int, int) {
	return g.set.SchemaPosition(l.File, l.Pointer)
}

func (g *genSource) Value(l Location) (any, bool) {
	root, ok := g.cache[l.File]
	if !ok {
		v, found := g.set.SchemaValue(l.File, "")
		if !found {
			return nil, false
		}
		g.cache[l.File] = v
		root = v
	}
	return pointerValue(root, l.Pointer)
}

func (g *genSource) Resolve(from Location, ref string) (Location, error) {
	f, p, err := g.set.ResolveRef(from.File, from.Pointer, ref)
	if err != nil {
		return Location{}, fmt.Errorf("compat: resolving $ref %q at %s: %w", ref, from, err)
	}
	return Location{f, p}, nil
}

// pointerValue walks the decoded document root along ptr: the navigation of
// an already-resolved location, not reference resolution.
func pointerValue(root any, ptr string) (any, bool) {
	if ptr == "" {
		return root, true
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	cur := root
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i := 0
			if tok == "" || (len(tok) > 1 && tok[0] == '0') {
				return nil, false
			}
			for _, r := range tok {
				if r < '0' || r > '9' {
					return nil, false
				}
				i = i*10 + int(r-'0')
				if i > len(c) {
					return nil, false
				}
			}
			if i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
