package gen

import (
	"errors"
	"strings"
	"testing"
)

// TestDeclarationErrors covers the checks of distgen.json that need the
// schemas or the Go types (set rules, fan-outs, routes, generated names):
// each is found before anything is rendered and reported at its place in
// distgen.json with its kind.
func TestDeclarationErrors(t *testing.T) {
	schemas := map[string]string{
		"env.json": `{"type": "object", "required": ["meta", "body"], "properties": {"body": true, "meta": {"type": "object", "required": ["kind", "n"],
			"properties": {"kind": {"type": "string"}, "n": {"type": "integer"}, "opt": {"type": "object", "properties": {"k": {"type": "string"}}}}}}}`,
		"item.json": `{"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}}}`,
		"comp.json": `{"type": "object", "properties": {"x": {"$ref": "item.json"}, "n": {"type": "integer"}}, "required": ["n"]}`,
		"in.json": `{"type": "object", "required": ["ri", "s"], "properties": {"c": {"$ref": "comp.json"}, "i": {"$ref": "item.json"}, "ri": {"$ref": "item.json"},
			"s": {"type": "string"}, "deep": {"type": "object", "properties": {"i": {"$ref": "item.json"}}}}}`,
	}
	const env = `"envelopes": {"E": {"schema": "env.json", "payload": "body"}}`
	fam := func(extra string) string {
		return `{` + env + `, "families": {"f": {"topic": "f.{part}", "envelope": "E", "composite": "comp.json", "parts": ["x"]` + extra + `}}}`
	}
	route := func(r string) string {
		return `{` + env + `, "topics": {"a": {"schema": "item.json", "envelope": "E"}}, "entries": {"e": {"schema": "in.json", "routes": [` + r + `]}}}`
	}
	plain := func(r string) string {
		return `{"topics": {"a": {"schema": "item.json"}}, "entries": {"e": {"schema": "in.json", "routes": [` + r + `]}, "g": {"schema": "item.json", "routes": [{"topic": "a"}]}}}`
	}
	cases := []struct {
		name, manifest, pointer, msg string
		kind                         error
	}{
		{"topic set with a part rule", `{` + env + `, "topics": {"a": {"schema": "item.json", "envelope": "E", "set": {"/meta/kind": {"part": true}}}}}`, "/topics/a/set/~1meta~1kind", `a topic's set takes only`, ErrManifest},
		{"set target inside the payload", `{` + env + `, "topics": {"a": {"schema": "item.json", "envelope": "E", "set": {"/body/n": {"const": 1}}}}}`, "/topics/a/set/~1body~1n", "is inside the payload", ErrManifest},
		{"set target through an optional member", `{` + env + `, "topics": {"a": {"schema": "item.json", "envelope": "E", "set": {"/meta/opt/k": {"const": "v"}}}}}`, "/topics/a/set/~1meta~1opt~1k", "passes through an optional member", ErrManifest},
		{"family with composite and schemas", `{"families": {"f": {"topic": "f.{part}", "composite": "comp.json", "schemas": {"x": "item.json"}, "parts": ["x"]}}}`, "/families/f/schemas", "either composite or schemas", ErrManifest},
		{"family with neither", `{"families": {"f": {"topic": "f.{part}", "parts": ["x"]}}}`, "/families/f", "needs composite", ErrManifest},
		{"part without a schema", `{"families": {"f": {"topic": "f.{part}", "schemas": {"x": "item.json"}, "parts": ["x", "y"]}}}`, "/families/f/schemas", `no schema for part "y"`, ErrManifest},
		{"schema of no part", `{"families": {"f": {"topic": "f.{part}", "schemas": {"x": "item.json", "q": "item.json"}, "parts": ["x"]}}}`, "/families/f/schemas/q", `"q" is not listed in parts`, ErrManifest},
		{"family set with a from rule", fam(`, "set": {"/meta/kind": {"from": "/x"}}`), "/families/f/set/~1meta~1kind", "a family's set takes", ErrManifest},
		{"family set without an envelope", `{"families": {"f": {"topic": "f.{part}", "composite": "comp.json", "parts": ["x"], "set": {"/meta/kind": {"part": true}}}}}`, "/families/f/set", "set rules need an envelope", ErrManifest},
		{"part name into an integer", fam(`, "set": {"/meta/n": {"part": true}}`), "/families/f/set/~1meta~1n", "cannot hold a part name", ErrManifest},
		{"family set target not in the envelope", fam(`, "set": {"/meta/nope": {"part": true}}`), "/families/f/set/~1meta~1nope", `has no member "nope"`, ErrManifest},
		{"fan-out source of another type", fam(`, "fanout": {"name": "F", "set": {"/meta/kind": {"from": "/body/n"}}}`), "/families/f/fanout/set/~1meta~1kind", "set source /body/n has Go type int64, target /meta/kind has string", ErrManifest},
		{"fan-out source not in the composite", fam(`, "fanout": {"name": "F", "set": {"/meta/kind": {"from": "/body/zz"}}}`), "/families/f/fanout/set/~1meta~1kind", `has no member "zz"`, ErrManifest},
		{"fan-out method of Distributer", `{"families": {"f": {"topic": "f.{part}", "composite": "comp.json", "parts": ["x"], "fanout": {"name": "Batch"}}}}`, "/families/f/fanout/name", "PublishBatch is already taken", ErrCollision},
		{"two fan-outs of one name", `{"families": {"f": {"topic": "f.{part}", "composite": "comp.json", "parts": ["x"], "fanout": {"name": "F"}}, "g": {"topic": "g.{part}", "composite": "comp.json", "parts": ["x"], "fanout": {"name": "F"}}}}`, "/families/g/fanout/name", "PublishF is already taken", ErrCollision},
		{"entry method of a fan-out", `{"families": {"f": {"topic": "f.{part}", "composite": "comp.json", "parts": ["x"], "fanout": {"name": "F"}}}, "entries": {"f": {"schema": "in.json", "routes": [{"fanout": "f", "data": "/c", "when": "/c"}]}}}`, "/entries/f", "PublishF is already taken", ErrCollision},
		{"route to a family without a fan-out", `{"families": {"f": {"topic": "f.{part}", "composite": "comp.json", "parts": ["x"]}}, "entries": {"e": {"schema": "in.json", "routes": [{"fanout": "f"}]}}}`, "/entries/e/routes/0/fanout", `no family "f" with a fan-out`, ErrManifest},
		{"fan-out data of another type", `{"families": {"f": {"topic": "f.{part}", "composite": "comp.json", "parts": ["x"], "fanout": {"name": "F"}}}, "entries": {"e": {"schema": "in.json", "routes": [{"fanout": "f", "data": "/i", "when": "/i"}]}}}`, "/entries/e/routes/0/data", "data has Go type Item, fan-out F takes Comp", ErrManifest},
		{"route to an unknown entry", plain(`{"entry": "z"}`), "/entries/e/routes/0/entry", `no entry "z"`, ErrManifest},
		{"route to an entry with set", plain(`{"entry": "g", "data": "/i", "when": "/i", "set": {"/a": {"const": 1}}}`), "/entries/e/routes/0/set", "a route to an entry takes no set", ErrManifest},
		{"entry data of another type", plain(`{"entry": "g", "data": "/s"}`), "/entries/e/routes/0/data", "data has Go type string, entry g takes Item", ErrManifest},
		{"route set with a part rule", route(`{"topic": "a", "data": "/ri", "set": {"/meta/kind": {"part": true}}}`), "/entries/e/routes/0/set/~1meta~1kind", "only meaningful in the set of a topic, a family or a fan-out", ErrManifest},
		{"route source of another type", route(`{"topic": "a", "data": "/ri", "set": {"/meta/kind": {"from": "/ri/n"}}}`), "/entries/e/routes/0/set/~1meta~1kind", "set source /ri/n has Go type int64", ErrManifest},
		{"route data not in the input", plain(`{"topic": "a", "data": "/nope"}`), "/entries/e/routes/0/data", `In has no member "nope"`, ErrManifest},
		{"route when not in the input", plain(`{"topic": "a", "data": "/i", "when": "/nope"}`), "/entries/e/routes/0/when", `In has no member "nope"`, ErrManifest},
		{"route data under an unchecked member", plain(`{"topic": "a", "data": "/deep/i", "when": "/deep"}`), "/entries/e/routes/0/data", "that when does not check", ErrManifest},
		{"envelope named like the API", `{"topics": {"a": {"schema": "item.json", "envelope": "Conn"}}, "envelopes": {"Conn": {"schema": "env.json", "payload": "body"}}}`, "/envelopes/Conn", "envelope name Conn is taken by the generated API", ErrCollision},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"distgen.json": c.manifest}
			for k, v := range schemas {
				files[k] = v
			}
			err := loadAndGenerate(files)
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
