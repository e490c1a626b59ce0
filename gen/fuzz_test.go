package gen

import (
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"

	"github.com/distributer/distributer/schema"
)

// FuzzGenerate feeds arbitrary schema files to the generator: it must never
// panic, and whatever it generates must parse as Go. The seed corpus (every
// schema of the golden cases, and a few odd ones) runs in normal go test.
func FuzzGenerate(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(goldenDir, "*", "schemas", "*.json"))
	for _, p := range paths {
		if filepath.Base(p) == ManifestFile {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{}`, `true`, `false`, `[]`, `"x"`, `{"type": "object", "properties": {"": {}}}`,
		`{"enum": ["a", "A", "a_", "-a", "", "*/", "\u0000"]}`,
		`{"$ref": "#"}`, `{"properties": {"a": {"$ref": "#/properties/a"}}}`,
		`{"oneOf": [{"const": "x"}, {"const": "x"}]}`,
		`{"title": "*/ /* \u2028 \n //go:build ignore", "type": "string"}`,
		`{"type": "object", "patternProperties": {"(": {}}}`,
		`{"prefixItems": [{"$ref": "#"}], "items": false}`,
		`{"allOf": [{"$ref": "#"}]}`,
		`{"type": "object", "properties": {"a": {"x-distgen-name": "B"}, "b": {"x-distgen-name": "B"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := LoadFiles(map[string][]byte{"s.json": data})
		if err != nil {
			return
		}
		checkGenerate(t, set)
	})
}

// checkGenerate generates set: a failure must be a located *schema.Error, and every
// output file must parse as Go and carry the header.
func checkGenerate(t *testing.T, set *Input) {
	files, err := Generate(set, Config{Package: "fuzz"})
	if err != nil {
		var e *schema.Error
		var l schema.ErrorList
		if !errors.As(err, &e) && !errors.As(err, &l) {
			t.Fatalf("internal error: %v", err)
		}
		return
	}
	for name, src := range files {
		if _, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ParseComments); err != nil {
			t.Fatalf("%s does not parse: %v\n%s", name, err, src)
		}
		if !IsGenerated(src) {
			t.Fatalf("%s lacks the header", name)
		}
	}
}

// FuzzGenerateStructured builds a valid JSON schema from the fuzz input
// (each byte picks a keyword, a member name or a value), so that the
// generator sees deep, odd but well-formed schemas rather than broken JSON.
func FuzzGenerateStructured(f *testing.F) {
	for _, s := range []string{"", "\x00", "\x01\x02\x03", "\x05\x05\x05\x05", "\x0a\x0b\x0c\x0d\x0e\x0f", "0123456789abcdef", "\xff\xfe\xfd\xfc\xfb", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"} {
		f.Add([]byte(s))
	}
	for i := 0; i < 64; i++ {
		f.Add([]byte{byte(i), byte(i * 7), byte(i * 13), byte(i * 31), byte(i * 3), byte(i * 5), byte(i * 11), byte(i*17 + 1)})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &schemaBuilder{data: data}
		doc := b.schema(0)
		doc["$defs"] = map[string]any{"d0": b.schema(1), "d1": b.schema(1)}
		src, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		set, err := LoadFiles(map[string][]byte{"s.json": src})
		if err != nil {
			var e *schema.Error
			var l schema.ErrorList
			if !errors.As(err, &e) && !errors.As(err, &l) {
				t.Fatalf("Load: unlocated error %v for %s", err, src)
			}
			return
		}
		checkGenerate(t, set)
	})
}

type schemaBuilder struct {
	data []byte
	pos  int
}

func (b *schemaBuilder) next() int {
	if b.pos >= len(b.data) {
		b.pos++
		return b.pos % 7
	}
	c := b.data[b.pos]
	b.pos++
	return int(c)
}

var fuzzNames = []string{"id", "ID", "user_id", "userId", "type", "func", "3d", "a b", "-", "*/", "名前", "x", "X", "marshalJSON", "MarshalJSON", "part", "Part", "", "$ref", "item"}

func (b *schemaBuilder) name() string { return fuzzNames[b.next()%len(fuzzNames)] }

func (b *schemaBuilder) schema(depth int) map[string]any {
	s := map[string]any{}
	if b.next()%5 == 0 {
		s["title"] = b.name() + " */ title"
	}
	if b.next()%6 == 0 {
		s["description"] = "line\n*/ /* //go:generate " + b.name()
	}
	if b.next()%9 == 0 {
		s["x-distgen-name"] = []string{"Widget", "9bad", "not ok", "Widget", "Schemas"}[b.next()%5]
	}
	kinds := 17
	if depth >= 3 {
		kinds = 7
	}
	switch b.next() % kinds {
	case 0:
		s["type"] = "string"
		if b.next()%3 == 0 {
			s["format"] = []string{"date-time", "email", "date"}[b.next()%3]
		}
	case 1:
		s["type"] = "integer"
		if b.next()%2 == 0 {
			s["minimum"] = b.next()%3 - 1
		}
		if b.next()%3 == 0 {
			s["format"] = []string{"int32", "uint8", "int64"}[b.next()%3]
		}
	case 2:
		s["type"] = "number"
	case 3:
		s["type"] = []any{"boolean", "null"}
	case 4:
		s["enum"] = []any{b.name(), b.name() + "x", nil}
	case 5:
		s["enum"] = []any{0, b.next() + 1, -b.next() - 2}
	case 6:
		s["const"] = b.name()
	case 7, 8, 9:
		props := map[string]any{}
		var req []any
		for i := 0; i < b.next()%4+1; i++ {
			n := b.name()
			props[n] = b.schema(depth + 1)
			if b.next()%2 == 0 {
				req = append(req, n)
			}
		}
		s["type"] = "object"
		s["properties"] = props
		if len(req) > 0 {
			s["required"] = req
		}
		switch b.next() % 4 {
		case 0:
			s["additionalProperties"] = false
		case 1:
			s["additionalProperties"] = b.schema(depth + 1)
		case 2:
			s["patternProperties"] = map[string]any{"^p": b.schema(depth + 1)}
		}
	case 10:
		s["type"] = "array"
		s["items"] = b.schema(depth + 1)
	case 11:
		s["prefixItems"] = []any{b.schema(depth + 1), b.schema(depth + 1)}
		if b.next()%2 == 0 {
			s["items"] = false
		}
	case 12:
		s["oneOf"] = []any{b.schema(depth + 1), b.schema(depth + 1)}
	case 13:
		s["anyOf"] = []any{b.schema(depth + 1), map[string]any{"type": "null"}, b.schema(depth + 1)}
	case 14:
		s["allOf"] = []any{b.schema(depth + 1), b.schema(depth + 1)}
	case 15:
		s["$ref"] = []string{"#", "#/$defs/d0", "#/$defs/d1"}[b.next()%3]
	case 16:
		s["type"] = []any{"string", "integer"}
	}
	return s
}

// FuzzManifest feeds arbitrary topic declarations (distgen.json) beside the
// schemas of the telemetry golden case: no panic, every failure a located
// *schema.Error, output parses as Go.
func FuzzManifest(f *testing.F) {
	dir := filepath.Join(goldenDir, "47_topics_telemetry_fanout", "schemas")
	ents, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	base := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		if e.Name() == ManifestFile {
			f.Add(b)
			continue
		}
		base[e.Name()] = b
	}
	for _, m := range []string{
		`{}`, `{"topics": {"a": {"schema": "alert.json"}}}`,
		`{"envelopes": {"M": {"schema": "message.json", "payload": "body"}}, "topics": {"a": {"schema": "alert.json", "envelope": "M", "set": {"/header/seq": {"const": 3}}}}}`,
		`{"envelopes": {"M": {"schema": "message.json", "payload": "body"}}, "families": {"f": {"topic": "{part}", "envelope": "M", "composite": "upload.json", "parts": ["vehicle", "report", "note"], "fanout": {"name": "U", "set": {"/header/vehicle_id": {"from": "/body/vehicle"}, "/header/seq": {"from": "/body/report/seq"}}}}}}`,
		`{"envelopes": {"M": {"schema": "message.json", "payload": "header"}}, "topics": {"a": {"schema": "alert.json", "envelope": "M", "set": {"/body": {"const": 1}}}}}`,
		`{"topics": {"a": {"schema": "alert.json"}}, "entries": {"e": {"schema": "upload.json", "routes": [{"when": "/report/gps", "topic": "a", "data": "/report/gps"}, {"entry": "e"}]}}}`,
	} {
		f.Add([]byte(m))
	}
	f.Fuzz(func(t *testing.T, manifest []byte) {
		files := map[string][]byte{ManifestFile: manifest}
		for k, v := range base {
			files[k] = v
		}
		set, err := LoadFiles(files)
		if err != nil {
			var e *schema.Error
			var l schema.ErrorList
			if !errors.As(err, &e) && !errors.As(err, &l) {
				t.Fatalf("Load: unlocated error %v", err)
			}
			return
		}
		checkGenerate(t, set)
	})
}
