package gen

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"
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
		files, err := Generate(set, Config{Package: "fuzz"})
		if err != nil {
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
	})
}
