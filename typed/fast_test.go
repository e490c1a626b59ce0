package typed

import (
	"os"
	"strings"
	"testing"
)

// fastSchemas exercise every keyword the fast path decides, and some it
// leaves to jsonschema.
var fastSchemas = map[string]string{
	"bounds.json": `{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": {
		"u64": {"type": "integer", "minimum": 0, "maximum": 18446744073709551615},
		"i": {"type": "integer", "exclusiveMinimum": -5, "exclusiveMaximum": 9007199254740993, "multipleOf": 3},
		"f": {"type": "number", "minimum": -1, "maximum": 1},
		"fx": {"type": "number", "exclusiveMinimum": 0.1, "exclusiveMaximum": 0.30000000000000004},
		"m": {"multipleOf": 0.5},
		"big": {"minimum": -18446744073709551616, "maximum": 1e400}
	}}`,
	"shapes.json": `{"$schema": "https://json-schema.org/draft/2020-12/schema",
		"type": ["object", "null"], "minProperties": 1, "maxProperties": 4,
		"required": ["kind"],
		"propertyNames": {"maxLength": 5},
		"properties": {
			"kind": {"enum": ["a", "b", 1, 2.0, null, true, [1, "x"], {"k": 1}]},
			"c": {"const": {"x": [1, 2]}},
			"s": {"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-zé]+$"},
			"t": {"prefixItems": [{"type": "integer"}, {"type": "string"}], "items": {"type": "boolean"}, "minItems": 1, "maxItems": 3}
		},
		"patternProperties": {"^x": {"type": "number"}},
		"additionalProperties": {"type": "array", "items": {"$ref": "#"}}
	}`,
	"draft7.json": `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
		"properties": {
			"tuple": {"items": [{"type": "string"}], "additionalItems": false},
			"email": {"type": "string", "format": "email"},
			"when": {"format": "date-time"},
			"ref": {"$ref": "#/definitions/d", "type": "string"},
			"any": {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 10}]},
			"all": {"allOf": [{"type": "number"}, {"maximum": 3}]},
			"one": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
			"not": {"not": {"type": "string"}},
			"uniq": {"uniqueItems": true},
			"f": false, "t": true
		},
		"definitions": {"d": {"type": "integer"}}
	}`,
	"env.json": `{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "required": ["metadata", "data"], "additionalProperties": false,
		"properties": {"metadata": {"$ref": "#/$defs/meta"}, "data": true},
		"$defs": {"meta": {"type": "object", "required": ["user_id", "topic"], "additionalProperties": false,
			"properties": {"user_id": {"type": "integer", "minimum": 0}, "datetime": {"type": "integer", "minimum": 0}, "topic": {"type": "string"}}}}}`,
	"topic.json": `{"$schema": "https://json-schema.org/draft/2020-12/schema", "allOf": [{"$ref": "env.json"},
		{"properties": {"data": {"$ref": "#/$defs/pose"}, "metadata": {"properties": {"topic": {"const": "pose"}}}}}],
		"$defs": {"pose": {"type": "object", "required": ["x"], "properties": {"x": {"type": "number", "minimum": -1, "maximum": 1}, "w": {"type": "number"}}, "additionalProperties": false}}}`,
	"mix.json": `{"$schema": "https://json-schema.org/draft/2020-12/schema", "allOf": [
		{"type": "object", "properties": {"a": {"type": "integer"}, "n": {"properties": {"p": {"type": "string"}}}}, "additionalProperties": {"type": "string"}},
		{"properties": {"b": {"minimum": 0}, "n": {"required": ["q"], "additionalProperties": false, "properties": {"q": true, "p": {"maxLength": 2}}}}, "required": ["c"]},
		{"$ref": "#/$defs/x"}],
		"$defs": {"x": {"properties": {"a": {"maximum": 5}, "b": true, "c": {"type": "string"}, "n": true}}}}`,
	"tree.json": `{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}}, "$ref": "#/$defs/node"}`,
}

var fastSeeds = []string{
	`{"u64": 18446744073709551615, "i": 9, "f": 1, "fx": 0.2, "m": 1.5, "big": 1e300}`,
	`{"u64": 18446744073709551616}`, `{"u64": -0}`, `{"u64": 1.0}`, `{"u64": 1e2}`,
	`{"i": -5}`, `{"i": -3}`, `{"i": 9007199254740993}`, `{"i": 9007199254740990}`, `{"i": 4}`,
	`{"f": 1.0000000000000000001}`, `{"f": -1.0000000000000000001}`, `{"f": 0.9999999999999999999}`,
	`{"fx": 0.1}`, `{"fx": 0.10000000000000000001}`, `{"fx": 0.3}`, `{"fx": 0.30000000000000004}`,
	`{"m": 2}`, `{"m": 2.25}`, `{"big": -18446744073709551616}`, `{"big": -18446744073709551617}`,
	`{"kind": "a"}`, `{"kind": 2}`, `{"kind": 1.0}`, `{"kind": [1, "x"]}`, `{"kind": {"k": 1.0}}`, `{"kind": null}`,
	`{"kind": "a", "c": {"x": [1, 2]}}`, `{"kind": "a", "c": {"x": [1, 2.0]}}`,
	`{"kind": "a", "s": "éé"}`, `{"kind": "a", "s": "a"}`, `{"kind": "a", "s": "abcde"}`, `{"kind": "a", "s": "AB"}`,
	`{"kind": "a", "t": [1, "x", true]}`, `{"kind": "a", "t": [1, "x", true, false]}`, `{"kind": "a", "t": ["x"]}`,
	`{"kind": "a", "xa": 1, "other": [{"kind": "b"}]}`, `{"kind": "a", "other": [{}]}`, `{"kind": "a", "toolong": []}`,
	`null`, `{}`, `{"tuple": ["a"]}`, `{"tuple": ["a", "b"]}`, `{"email": "a@b.c"}`, `{"email": "nope"}`,
	`{"when": "2020-01-01T00:00:00Z"}`, `{"when": "yesterday"}`, `{"ref": 1}`, `{"ref": "x"}`,
	`{"any": 11}`, `{"any": 9}`, `{"any": "s"}`, `{"all": 3}`, `{"all": 4}`, `{"one": 1}`, `{"one": 1.5}`,
	`{"not": 1}`, `{"v": 1, "kids": [{"v": 2, "kids": [{"v": 3.5}]}]}`, `{"v": 1, "kids": [{"v": 2}]}`, `{"uniq": [1, 1.0]}`, `{"f": 1}`, `{"t": 1}`, `1`, `"s"`, `[]`,
}

func compileFastSchemas(t testing.TB) map[string]*compiled {
	t.Helper()
	topics := map[string]string{}
	for f := range fastSchemas {
		topics[strings.TrimSuffix(f, ".json")] = f
	}
	s, err := Compile(fastSchemas, topics)
	if err != nil {
		t.Fatal(err)
	}
	return s.topics
}

func checkFast(t *testing.T, schemas map[string]*compiled, body []byte) {
	v, err := decodeExact(body)
	if err != nil {
		return
	}
	for name, sch := range schemas {
		if !sch.fast.valid(v, 0) {
			continue
		}
		if err := sch.js.Validate(v); err != nil {
			t.Fatalf("fast path accepts %s for %s; jsonschema says %v", body, name, err)
		}
	}
}

func TestFastPathNeverAcceptsInvalid(t *testing.T) {
	schemas := compileFastSchemas(t)
	for _, s := range fastSeeds {
		checkFast(t, schemas, []byte(s))
	}
}

func FuzzFastPath(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	schemas := compileFastSchemas(f)
	f.Fuzz(func(t *testing.T, body []byte) { checkFast(t, schemas, body) })
}

// TestFastPathDecides checks the fast path is actually used for ordinary
// valid messages: if it gave up on them, validation would be slow.
func TestFastPathDecides(t *testing.T) {
	schemas := compileFastSchemas(t)
	for _, c := range []struct{ schema, body string }{
		{"bounds", `{"u64": 18446744073709551615, "i": 9, "f": 1, "fx": 0.2, "big": 1e300}`},
		{"shapes", `{"kind": "a", "s": "éé", "t": [1, "x", true], "other": [{"kind": 1, "xb": 2}]}`},
		{"draft7", `{"tuple": ["a"], "email": "a@b.c", "ref": 1, "any": 11, "all": 3}`},
	} {
		v, err := decodeExact([]byte(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if !schemas[c.schema].fast.valid(v, 0) {
			t.Errorf("fast path not sure of %s for %s", c.body, c.schema)
		}
		if err := schemas[c.schema].js.Validate(v); err != nil {
			t.Errorf("%s invalid for %s: %v", c.body, c.schema, err)
		}
	}
	// The shop order, every node of it.
	files := map[string]string{}
	for _, f := range []string{"order.json", "customer.json", "defs/money.json"} {
		b, err := os.ReadFile("testdata/shop/" + f)
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(b)
	}
	s, err := Compile(files, map[string]string{"o": "order.json"})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := decodeExact([]byte(`{"id": 7, "customer": {"name": "Ada", "tier": 1}, "items": [{"sku": "ABC-1", "qty": 2}], "total": {"amount": 12.5, "currency": "EUR"}}`))
	if !s.topics["o"].fast.valid(v, 0) {
		t.Error("fast path not sure of a valid order")
	}
}

func checkScan(t *testing.T, schemas map[string]*compiled, body []byte) {
	for name, sch := range schemas {
		if !scanBody(sch.fast, body) {
			continue
		}
		v, err := decodeExact(body)
		if err != nil {
			t.Fatalf("scan accepts malformed JSON %q for %s: %v", body, name, err)
		}
		if err := sch.js.Validate(v); err != nil {
			t.Fatalf("scan accepts %s for %s; jsonschema says %v", body, name, err)
		}
	}
}

var scanSeeds = append([]string{
	`{"a": 3, "c": "x"}`, `{"a": 6, "c": "x"}`, `{"a": 3}`, `{"c": "x", "z": "s"}`, `{"c": "x", "z": 1}`, `{"c": 1}`,
	`{"c": "x", "b": -1}`, `{"c": "x", "b": "s"}`, `{"c": "x", "n": {"q": 1, "p": "ab"}}`, `{"c": "x", "n": {"q": 1, "p": "abc"}}`,
	`{"c": "x", "n": {"p": "a"}}`, `{"c": "x", "n": {"q": 1, "r": 2}}`, `{"c": "x", "n": 5}`, `5`,
	`{"metadata": {"user_id": 42, "datetime": 1575446887339, "topic": "pose"}, "data": {"x": 0.5, "w": 1}}`,
	`{"metadata": {"user_id": 42, "topic": "pose"}, "data": {"x": 1.5}}`, `{"metadata": {"user_id": 42, "topic": "feelings"}, "data": {"x": 0}}`,
	`{"metadata": {"user_id": -1, "topic": "pose"}, "data": {"x": 0}}`, `{"metadata": {"topic": "pose"}, "data": {"x": 0}}`,
	`{"metadata": {"user_id": 1, "topic": "pose"}, "data": {"x": 0}, "extra": 1}`, `{"metadata": {"user_id": 1, "topic": "po\u0073e"}, "data": {"x": 0}}`,
	`{"kind": "\u0061"}`, `{"k\u0069nd": "a"}`, `{"kind": "a", "kind": "b"}`, `{"kind": "a", "s": "\u00e9\u00e9"}`,
	"{\"kind\": \"a\", \"s\": \"\xff\xfe\"}", `{"kind": true}`, `{"kind": false}`, `{"kind": nul}`, `{"kind": "a",}`,
	`{"kind": "a"} x`, ` {"kind": "a"} `, `{"kind": "a" "s": "ab"}`, `{"t": [1, "x", true,]}`, `[1, 2`,
	`{"u64": 01}`, `{"u64": -}`, `{"u64": 1.}`, `{"u64": 1e}`, `{"kind": "a", "c": {"x": [1, 2]}}`,
}, fastSeeds...)

func TestScanNeverAcceptsInvalid(t *testing.T) {
	schemas := compileFastSchemas(t)
	for _, s := range scanSeeds {
		checkScan(t, schemas, []byte(s))
	}
	for _, s := range decodeSeeds {
		checkScan(t, schemas, []byte(s))
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	schemas := compileFastSchemas(f)
	f.Fuzz(func(t *testing.T, body []byte) { checkScan(t, schemas, body) })
}

// TestScanDecides: ordinary valid messages are decided on their bytes.
func TestScanDecides(t *testing.T) {
	schemas := compileFastSchemas(t)
	for _, c := range []struct{ schema, body string }{
		{"bounds", `{"u64": 18446744073709551615, "i": 9, "f": 1, "fx": 0.2, "big": 1e300}`},
		{"shapes", `{"kind": "a", "s": "éé", "t": [1, "x", true], "other": [{"kind": 1, "xb": 2}]}`},
		{"tree", `{"v": 1, "kids": [{"v": 2, "kids": []}, {"kids": [{"v": 3}]}]}`},
		{"shapes", ` null `},
		{"topic", `{"metadata": {"user_id": 42, "datetime": 1575446887339, "topic": "pose"}, "data": {"x": 0.5, "w": 1}}`},
	} {
		if !scanBody(schemas[c.schema].fast, []byte(c.body)) {
			t.Errorf("scan not sure of %s for %s", c.body, c.schema)
		}
	}
}

// TestMergeEnvelopeTopic: a generated-style topic schema (allOf of an
// envelope and the topic's member constraints) is scanned as one node.
func TestMergeEnvelopeTopic(t *testing.T) {
	schemas := compileFastSchemas(t)
	if schemas["topic"].fast.merged == nil || schemas["mix"].fast.merged == nil {
		t.Fatal("topic and mix schemas not merged")
	}
	for body, want := range map[string]bool{
		`{"a": 3, "c": "x", "z": "s", "n": {"q": null, "p": "ab"}}`: true,
		`{"a": 6, "c": "x"}`:                    false, // maximum from the $ref'd conjunct
		`{"a": 3}`:                              false, // required c
		`{"c": "x", "z": 1}`:                    false, // additionalProperties of the first
		`{"c": "x", "n": {"q": 1, "p": "abc"}}`: false, // nested merge: maxLength
		`{"c": "x", "n": {"q": 1, "r": "s"}}`:   false, // nested additionalProperties: false
		`5`:                                     false, // the first conjunct's type
	} {
		if got := scanBody(schemas["mix"].fast, []byte(body)); got != want {
			t.Errorf("mix: scan(%s) = %v, want %v", body, got, want)
		}
	}
	for body, want := range map[string]bool{
		`{"metadata": {"user_id": 42, "topic": "pose"}, "data": {"x": 0.5}}`:             true,
		`{"metadata": {"user_id": 42, "topic": "feelings"}, "data": {"x": 0.5}}`:         false, // const of the topic
		`{"metadata": {"user_id": 42, "topic": "pose", "more": 1}, "data": {"x": 0.5}}`:  false, // envelope's additionalProperties
		`{"metadata": {"user_id": 42, "topic": "pose"}, "data": {"x": 0.5}, "extra": 1}`: false,
		`{"metadata": {"user_id": 42, "topic": "pose"}}`:                                 false, // required data
		`{"metadata": {"user_id": 42, "topic": "pose"}, "data": {"x": 2}}`:               false, // the part's maximum
	} {
		if got := scanBody(schemas["topic"].fast, []byte(body)); got != want {
			t.Errorf("scan(%s) = %v, want %v", body, got, want)
		}
	}
}
