package gen

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distributer/distributer/schema"
)

const s20 = `"$schema": "https://json-schema.org/draft/2020-12/schema"`

type errCase struct {
	name    string
	files   map[string]string
	kind    error
	file    string
	line    int // 0: not checked
	col     int
	pointer string
	msg     []string // substrings of Error()
}

func firstError(err error) *schema.Error {
	var list schema.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return list[0]
	}
	var e *schema.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

func loadAndGenerate(files map[string]string) error {
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	set, err := Load(fsys)
	if err != nil {
		return err
	}
	_, err = Generate(set, Config{Package: "x"})
	return err
}

func TestErrors(t *testing.T) {
	envelope := `{` + s20 + `, "type": "object", "properties": {"meta": {"type": "object", "properties": {"kind": {"type": "string"}}, "required": ["kind"]}, "body": true}, "required": ["meta", "body"]}`
	item := `{` + s20 + `, "type": "object", "properties": {"n": {"type": "integer"}}}`
	cases := []errCase{
		{
			name:  "bad JSON: trailing comma",
			files: map[string]string{"a.json": "{\n  \"type\": \"object\",\n  \"properties\": {\"x\": {\"type\": \"string\",}}\n}\n"},
			kind:  schema.ErrSyntax, file: "a.json", line: 3, col: 41,
			msg: []string{"a.json:3:41", "invalid JSON", "expected a member name"},
		},
		{
			name:  "bad JSON: newline in a string",
			files: map[string]string{"ok.json": `{}`, "b.json": "{\n\t\"title\": \"never ends\n}"},
			kind:  schema.ErrSyntax, file: "b.json", line: 2, col: 22,
			msg: []string{"b.json:2:22", "invalid control character in string"},
		},
		{
			name:  "bad JSON: unterminated string",
			files: map[string]string{"b.json": "{\"title\": \"abc"},
			kind:  schema.ErrSyntax, file: "b.json", line: 1, col: 11,
			msg: []string{"b.json:1:11", "unterminated string"},
		},
		{
			name:  "bad JSON: duplicate member",
			files: map[string]string{"a.json": `{"type": "object", "type": "string"}`},
			kind:  schema.ErrSyntax, file: "a.json", line: 1, col: 20,
			msg: []string{`duplicate member name "type"`},
		},
		{
			name:  "meta-schema: unknown type",
			files: map[string]string{"a.json": "{\n  " + s20 + ",\n  \"properties\": {\n    \"x\": {\"type\": \"strin\"}\n  }\n}"},
			kind:  schema.ErrSchema, file: "a.json", line: 4, col: 19, pointer: "/properties/x/type",
			msg: []string{"at /properties/x/type", "not a valid draft 2020-12 schema"},
		},
		{
			name:  "meta-schema: minimum is a string (draft-07)",
			files: map[string]string{"a.json": `{"$schema": "http://json-schema.org/draft-07/schema#", "minimum": "0"}`},
			kind:  schema.ErrSchema, file: "a.json", pointer: "/minimum",
			msg: []string{"draft-07", "at /minimum"},
		},
		{
			name:  "meta-schema: required is not an array",
			files: map[string]string{"a.json": `{"type": "object", "required": "x"}`},
			kind:  schema.ErrSchema, file: "a.json", pointer: "/required", line: 1, col: 32,
		},
		{
			name:  "unsupported draft",
			files: map[string]string{"a.json": `{"$schema": "http://json-schema.org/draft-04/schema#"}`},
			kind:  schema.ErrSchema, file: "a.json", pointer: "/$schema", line: 1, col: 13,
			msg: []string{"unsupported $schema", "2020-12"},
		},
		{
			name:  "top-level value is not a schema",
			files: map[string]string{"a.json": `[1, 2]`},
			kind:  schema.ErrSchema, file: "a.json", msg: []string{"must be an object or a boolean"},
		},
		{
			name:  "missing ref file",
			files: map[string]string{"a.json": `{"type": "object", "properties": {"b": {"$ref": "sub/b.json"}}}`},
			kind:  schema.ErrRef, file: "a.json", pointer: "/properties/b/$ref", line: 1, col: 49,
			msg: []string{`no file "sub/b.json" in the schema set`, "add the file"},
		},
		{
			name:  "missing ref pointer",
			files: map[string]string{"a.json": `{"$defs": {"x": {}}, "$ref": "#/$defs/y"}`},
			kind:  schema.ErrRef, file: "a.json", pointer: "/$ref",
			msg: []string{"has no schema at /$defs/y"},
		},
		{
			name:  "missing anchor",
			files: map[string]string{"a.json": `{"$ref": "#nowhere"}`},
			kind:  schema.ErrRef, file: "a.json", pointer: "/$ref", msg: []string{`no anchor "nowhere"`},
		},
		{
			name:  "remote ref refused",
			files: map[string]string{"a.json": "{\n\"properties\": {\"x\": {\"$ref\": \"https://example.com/schemas/x.json\"}}}"},
			kind:  schema.ErrRemoteRef, file: "a.json", pointer: "/properties/x/$ref", line: 2, col: 30,
			msg: []string{"never fetched", "https://example.com/schemas/x.json"},
		},
		{
			name:  "remote ref from a file with an http $id",
			files: map[string]string{"a.json": `{"$id": "http://example.com/a.json", "$ref": "b.json"}`},
			kind:  schema.ErrRemoteRef, file: "a.json", pointer: "/$ref", msg: []string{"http://example.com/b.json"},
		},
		{
			name: "duplicate $id",
			files: map[string]string{
				"a.json": `{"$id": "https://example.com/x.json"}`,
				"b.json": `{"$id": "https://example.com/x.json"}`,
			},
			kind: schema.ErrSchema, file: "b.json", pointer: "/$id", msg: []string{"also used by a.json"},
		},
		{
			name: "name collision: x-distgen-name twice",
			files: map[string]string{
				"a.json": `{"type": "object", "x-distgen-name": "Thing", "properties": {"n": {"type": "integer"}}}`,
				"b.json": `{"type": "object", "x-distgen-name": "Thing", "properties": {"m": {"type": "integer"}}}`,
			},
			kind: ErrCollision, file: "b.json", pointer: "/x-distgen-name", msg: []string{"Go name Thing is also given to a.json#"},
		},
		{
			name:  "x-distgen-name not an identifier",
			files: map[string]string{"a.json": `{"type": "object", "x-distgen-name": "not ok", "properties": {"n": {}}}`},
			kind:  schema.ErrSchema, file: "a.json", pointer: "/x-distgen-name", msg: []string{"not an exported Go identifier"},
		},
		{
			name:  "unsupported: member name that cannot be a json tag",
			files: map[string]string{"a.json": `{"type": "object", "properties": {"a,b": {"type": "string"}}}`},
			kind:  ErrUnsupported, file: "a.json", pointer: "/properties/a,b", line: 1, col: 42,
			msg: []string{`member name "a,b" cannot be written as a Go json tag`, "rename the member"},
		},
		{
			name:  "unsupported: circular $ref chain",
			files: map[string]string{"a.json": `{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "type": "object", "properties": {"x": {"$ref": "#/$defs/a"}}}`},
			kind:  schema.ErrSchema, file: "a.json", pointer: "/$defs/a/$ref", msg: []string{"cycle of in-place references", "a.json#/$defs/a/$ref -> a.json#/$defs/b/$ref -> back to"},
		},
		{
			name:  "enum names of the wrong length",
			files: map[string]string{"a.json": `{"enum": [1, 2], "x-distgen-enum-names": ["one"]}`},
			kind:  schema.ErrSchema, file: "a.json", pointer: "/x-distgen-enum-names", msg: []string{"1 names for 2 enum values"},
		},
		{
			name:  "manifest: bad JSON",
			files: map[string]string{"a.json": item, "distgen.json": "{\n  \"topics\": {\n    \"a\": {\"schema\": \"a.json\"}\n  \n}"},
			kind:  ErrManifest, file: "distgen.json", line: 5, col: 2, msg: []string{"distgen.json:5:2"},
		},
		{
			name:  "manifest: unknown keyword",
			files: map[string]string{"a.json": item, "distgen.json": `{"topics": {"a": {"schema": "a.json", "envelop": "E"}}}`},
			kind:  ErrManifest, file: "distgen.json", pointer: "/topics/a", msg: []string{"envelop", "allowed keys here: compatibility, description, envelope, schema, set;", "docs/distgen-json.md"},
		},
		{
			name:  "manifest: unknown keyword in a fan-out",
			files: map[string]string{"a.json": item, "distgen.json": `{"families": {"f": {"topic": "f.{part}", "parts": ["a"], "fanout": {"name": "F", "nme": "G"}}}}`},
			kind:  ErrManifest, file: "distgen.json", pointer: "/families/f/fanout", msg: []string{"nme", "allowed keys here: name, set;"},
		},
		{
			name:  "manifest: unknown top-level key",
			files: map[string]string{"a.json": item, "distgen.json": `{"topic": {}}`},
			kind:  ErrManifest, file: "distgen.json", msg: []string{"allowed keys here: $comment, $schema, entries, envelopes, families, topics;"},
		},
		{
			name:  "manifest: no topics",
			files: map[string]string{"a.json": item, "distgen.json": `{}`},
			kind:  ErrManifest, file: "distgen.json", msg: []string{"declares no topics"},
		},
		{
			name:  "manifest: missing topic schema",
			files: map[string]string{"a.json": item, "distgen.json": `{"topics": {"a": {"schema": "nope.json"}}}`},
			kind:  ErrManifest, file: "distgen.json", pointer: "/topics/a/schema", line: 1, col: 29, msg: []string{`no file "nope.json"`},
		},
		{
			name:  "manifest: remote topic schema",
			files: map[string]string{"a.json": item, "distgen.json": `{"topics": {"a": {"schema": "https://example.com/a.json"}}}`},
			kind:  schema.ErrRemoteRef, file: "distgen.json", pointer: "/topics/a/schema", msg: []string{"never fetched"},
		},
		{
			name:  "manifest: invalid topic name",
			files: map[string]string{"a.json": item, "distgen.json": `{"topics": {"a..b": {"schema": "a.json"}}}`},
			kind:  ErrManifest, file: "distgen.json", pointer: "/topics/a..b", msg: []string{`"a..b" is not a valid topic name`},
		},
		{
			name:  "manifest: undeclared envelope",
			files: map[string]string{"a.json": item, "distgen.json": `{"topics": {"a": {"schema": "a.json", "envelope": "E"}}}`},
			kind:  ErrManifest, file: "distgen.json", pointer: "/topics/a/envelope", msg: []string{`no envelope "E"`},
		},
		{
			name:  "manifest: envelope payload is not a member",
			files: map[string]string{"a.json": item, "e.json": envelope, "distgen.json": `{"envelopes": {"E": {"schema": "e.json", "payload": "data"}}, "topics": {"a": {"schema": "a.json", "envelope": "E"}}}`},
			kind:  ErrManifest, file: "distgen.json", pointer: "/envelopes/E/payload", msg: []string{`no member "data"`},
		},
		{
			name: "manifest: part not in composite",
			files: map[string]string{"a.json": `{"type": "object", "properties": {"x": {"type": "integer"}}}`,
				"distgen.json": `{"families": {"f": {"topic": "f.{part}", "composite": "a.json", "parts": ["x", "y"]}}}`},
			kind: ErrManifest, file: "distgen.json", pointer: "/families/f/parts/1", msg: []string{`no member "y"`},
		},
		{
			name:  "manifest: topic pattern without {part}",
			files: map[string]string{"a.json": item, "distgen.json": `{"families": {"f": {"topic": "f.x", "schemas": {"a": "a.json"}, "parts": ["a"]}}}`},
			kind:  ErrManifest, file: "distgen.json", pointer: "/families/f/topic",
		},
		{
			name: "collision: topic declared twice",
			files: map[string]string{"a.json": item,
				"distgen.json": `{"topics": {"f.a": {"schema": "a.json"}}, "families": {"f": {"topic": "f.{part}", "schemas": {"a": "a.json"}, "parts": ["a"]}}}`},
			kind: ErrCollision, file: "distgen.json", pointer: "/families/f/parts/0", msg: []string{`topic "f.a" is declared twice`},
		},
		{
			name: "collision: generated method shadows a Distributer method",
			files: map[string]string{"a.json": item,
				"distgen.json": `{"topics": {"t": {"schema": "a.json"}}, "entries": {"batch": {"schema": "a.json", "routes": [{"topic": "t"}]}}}`},
			kind: ErrCollision, file: "distgen.json", pointer: "/entries/batch", msg: []string{"PublishBatch is already taken"},
		},
		{
			name: "collision: generated method is a topic's handle",
			files: map[string]string{"a.json": item,
				"distgen.json": `{"topics": {"publish.in": {"schema": "a.json"}}, "entries": {"in": {"schema": "a.json", "routes": [{"topic": "publish.in"}]}}}`},
			kind: ErrCollision, file: "distgen.json", pointer: "/entries/in", msg: []string{"PublishIn is already taken"},
		},
		{
			name: "manifest: set target outside the envelope",
			files: map[string]string{"a.json": item, "e.json": envelope,
				"distgen.json": `{"envelopes": {"E": {"schema": "e.json", "payload": "body"}}, "topics": {"a": {"schema": "a.json", "envelope": "E", "set": {"/meta/nope": {"const": "a"}}}}}`},
			kind: ErrManifest, file: "distgen.json", pointer: "/topics/a/set/~1meta~1nope", msg: []string{`has no member "nope"`},
		},
		{
			name: "manifest: set const of the wrong type",
			files: map[string]string{"a.json": item, "e.json": envelope,
				"distgen.json": `{"envelopes": {"E": {"schema": "e.json", "payload": "body"}}, "topics": {"a": {"schema": "a.json", "envelope": "E", "set": {"/meta/kind": {"const": 3}}}}}`},
			kind: ErrManifest, file: "distgen.json", pointer: "/topics/a/set/~1meta~1kind", msg: []string{"cannot hold 3"},
		},
		{
			name: "manifest: route data through an unchecked optional member",
			files: map[string]string{"a.json": item, "in.json": `{"type": "object", "properties": {"a": {"$ref": "a.json"}}}`,
				"distgen.json": `{"topics": {"t": {"schema": "a.json"}}, "entries": {"in": {"schema": "in.json", "routes": [{"topic": "t", "data": "/a"}]}}}`},
			kind: ErrManifest, file: "distgen.json", pointer: "/entries/in/routes/0/data", msg: []string{"add \"when\""},
		},
		{
			name: "manifest: route data of the wrong type",
			files: map[string]string{"a.json": item, "in.json": `{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}`,
				"distgen.json": `{"topics": {"t": {"schema": "a.json"}}, "entries": {"in": {"schema": "in.json", "routes": [{"topic": "t", "data": "/a"}]}}}`},
			kind: ErrManifest, file: "distgen.json", pointer: "/entries/in/routes/0/data", msg: []string{"data has Go type string, topic t carries A"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := loadAndGenerate(c.files)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, c.kind) {
				t.Fatalf("error %q does not wrap %v", err, c.kind)
			}
			e := firstError(err)
			if e == nil {
				t.Fatalf("error %q is not a *gen.Error", err)
			}
			if e.File != c.file {
				t.Errorf("File = %q, want %q (%v)", e.File, c.file, err)
			}
			if c.pointer != "" && e.Pointer != c.pointer {
				t.Errorf("Pointer = %q, want %q (%v)", e.Pointer, c.pointer, err)
			}
			if c.line != 0 && (e.Line != c.line || e.Column != c.col) {
				t.Errorf("at %d:%d, want %d:%d (%v)", e.Line, e.Column, c.line, c.col, err)
			}
			if e.Hint == "" && c.kind != schema.ErrSchema {
				t.Errorf("no hint on what to do: %v", err)
			}
			for _, m := range c.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not contain %q", err, m)
				}
			}
		})
	}
}

func TestBadPackageName(t *testing.T) {
	set, err := LoadFiles(map[string][]byte{"a.json": []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "func", "a-b", "9x"} {
		if _, err := Generate(set, Config{Package: p}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("package %q: err = %v", p, err)
		}
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncd\n\nef")
	for _, c := range []struct{ off, line, col int }{{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {6, 3, 1}, {7, 4, 1}, {9, 4, 3}, {99, 4, 3}} {
		if l, col := schema.LineCol(data, c.off); l != c.line || col != c.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", c.off, l, col, c.line, c.col)
		}
	}
}

func TestManifestErrorsMore(t *testing.T) {
	item := `{"type": "object", "properties": {"n": {"type": "integer"}}}`
	cases := []struct {
		name, manifest, pointer, msg string
		kind                         error
	}{
		{"set without envelope", `{"topics": {"a": {"schema": "a.json", "set": {"/x": {"const": 1}}}}}`, "/topics/a/set", "need an envelope", ErrManifest},
		{"route set to a topic without envelope", `{"topics": {"a": {"schema": "a.json"}}, "entries": {"e": {"schema": "a.json", "routes": [{"topic": "a", "set": {"/x": {"from": "/n"}}}]}}}`, "/entries/e/routes/0/set", "has none", ErrManifest},
		{"topic constants collide", `{"topics": {"a.b": {"schema": "a.json"}, "a_b": {"schema": "a.json"}}}`, "/topics/a_b", "both become the Go constant TopicAB", ErrCollision},
		{"route to an unknown topic", `{"topics": {"a": {"schema": "a.json"}}, "entries": {"e": {"schema": "a.json", "routes": [{"topic": "b"}]}}}`, "/entries/e/routes/0/topic", `no topic "b"`, ErrManifest},
		{"route with two targets", `{"topics": {"a": {"schema": "a.json"}}, "entries": {"e": {"schema": "a.json", "routes": [{"topic": "a", "entry": "e"}]}}}`, "/entries/e/routes/0", "", ErrManifest},
		{"when on a required member", `{"topics": {"a": {"schema": "a.json"}}, "entries": {"e": {"schema": "r.json", "routes": [{"when": "/a", "topic": "a", "data": "/a"}]}}}`, "/entries/e/routes/0/when", "always present", ErrManifest},
		{"fan-out without composite", `{"families": {"f": {"topic": "f.{part}", "schemas": {"x": "a.json"}, "parts": ["x"], "fanout": {"name": "F"}}}}`, "/families/f/fanout", "needs a composite", ErrManifest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := loadAndGenerate(map[string]string{"a.json": item, "r.json": `{"type": "object", "properties": {"a": {"$ref": "a.json"}}, "required": ["a"]}`, "distgen.json": c.manifest})
			if !errors.Is(err, c.kind) {
				t.Fatalf("err = %v, want %v", err, c.kind)
			}
			e := firstError(err)
			if e.File != ManifestFile || e.Pointer != c.pointer || e.Line == 0 || !strings.Contains(e.Error(), c.msg) {
				t.Errorf("got %s (pointer %q), want pointer %q and %q", e, e.Pointer, c.pointer, c.msg)
			}
		})
	}
}

func TestBadMemberGoName(t *testing.T) {
	err := loadAndGenerate(map[string]string{"a.json": `{"type": "object", "properties": {"n": {"type": "integer", "x-distgen-name": "9lives"}}}`})
	e := firstError(err)
	if !errors.Is(err, schema.ErrSchema) || e == nil || e.Pointer != "/properties/n/x-distgen-name" || !strings.Contains(err.Error(), "not an exported Go identifier") {
		t.Fatalf("err = %v", err)
	}
}

func TestExplicitNameTakenByAPI(t *testing.T) {
	err := loadAndGenerate(map[string]string{
		"a.json":       `{"type": "object", "x-distgen-name": "Conn", "properties": {"n": {"type": "integer"}}}`,
		"distgen.json": `{"topics": {"a": {"schema": "a.json"}}}`,
	})
	e := firstError(err)
	if !errors.Is(err, ErrCollision) || e == nil || e.File != "a.json" || e.Pointer != "/x-distgen-name" || !strings.Contains(err.Error(), "taken by the generated API") {
		t.Fatalf("err = %v", err)
	}
}
