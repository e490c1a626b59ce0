package gen

import (
	"io/fs"
	"sort"

	"github.com/distributer/distributer/schema"
)

// ManifestFile is the name of the topic-declaration file in the root of a
// schema set.
const ManifestFile = "distgen.json"

// The parsed schema documents, as package schema reads them, under the
// short names the mapper uses.
type (
	node = schema.Node
	file = schema.File
)

const (
	kNull, kBool, kNumber, kString, kArray, kObject = schema.Null, schema.Boolean, schema.Number, schema.String, schema.Array, schema.Object

	draft07, draft2019, draft2020 = schema.Draft7, schema.Draft2019, schema.Draft2020
)

// loc is a schema.Loc in the short form the mapper writes (loc{f, ptr}).
type loc struct {
	f   *file
	ptr string
}

func (l loc) at() schema.Loc { return schema.Loc{File: l.f, Ptr: l.ptr} }
func (l loc) String() string { return l.at().String() }
func (l loc) node() *node    { return l.at().Node() }
func locOf(l schema.Loc) loc { return loc{l.File, l.Ptr} }

// Input is what Generate works from: a schema set (package schema) and the
// topic declarations of its distgen.json. Make one with Load.
type Input struct {
	set          *schema.Set       // the files of the directory and the synthesized topic schemas
	files        []*file           // the files of the directory, sorted by path
	topics       map[string]string // topic -> schema reference
	decl         *manifest         // nil when the set declares no topics
	manifestFile *file
}

// Set returns the schema set: the files of the schema directory and the
// files distgen synthesizes for topics whose messages are wrapped in an
// envelope. Its Texts are the files the generated package embeds.
func (s *Input) Set() *schema.Set { return s.set }

// Files returns the files of Set as path -> JSON text: the first argument
// of typed.Compile.
func (s *Input) Files() map[string]string { return s.set.Texts() }

// TopicSchemas returns, for every declared topic, the reference of the
// schema that validates a whole message body on it. It is the second
// argument of typed.Compile.
func (s *Input) TopicSchemas() map[string]string {
	out := make(map[string]string, len(s.topics))
	for k, v := range s.topics {
		out[k] = v
	}
	return out
}

// Topics returns the declared topics, sorted.
func (s *Input) Topics() []string {
	out := make([]string, 0, len(s.topics))
	for k := range s.topics {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Load reads the schema directory fsys with schema.ReadDir (every *.json
// file; symbolic links out of the directory are refused with
// schema.ErrOutsideDir) and loads it with LoadFiles.
func Load(fsys fs.FS) (*Input, error) {
	files, err := schema.ReadDir(fsys)
	if err != nil {
		return nil, err
	}
	return LoadFiles(files)
}

// LoadFiles loads an in-memory schema directory: slash-separated path ->
// content. Every file but distgen.json in the root is a JSON Schema, loaded
// and checked by schema.LoadFiles; distgen.json holds the topic
// declarations. The error is a *schema.Error or a schema.ErrorList.
func LoadFiles(files map[string][]byte) (*Input, error) {
	schemas := make(map[string][]byte, len(files))
	for p, b := range files {
		if p != ManifestFile {
			schemas[p] = b
		}
	}
	set, err := schema.LoadFiles(schemas)
	if err != nil {
		return nil, err
	}
	s := &Input{set: set, files: set.Files(), topics: map[string]string{}}
	if m, ok := files[ManifestFile]; ok {
		if err := s.loadManifest(m); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// resolveRef resolves the $ref of the schema at from.
func (s *Input) resolveRef(from loc, ref string) (loc, *schema.Error) {
	l, err := s.set.Resolve(from.at(), ref)
	if err != nil {
		return loc{}, err.(*schema.Error)
	}
	return locOf(l), nil
}

// errAt builds a *schema.Error located at ptr in f.
func errAt(kind error, f *file, ptr, msg, hint string) *schema.Error {
	return schema.ErrorAt(kind, f, ptr, msg, hint)
}

// eachSub calls fn for every direct subschema of n (at ptr).
func eachSub(n *node, ptr string, fn func(c *node, cptr string)) { schema.EachSub(n, ptr, fn) }

// escapePointer escapes one JSON pointer token.
func escapePointer(s string) string { return schema.EscapeToken(s) }

func splitPointer(ptr string) []string { return schema.SplitPointer(ptr) }
