package gen

import (
	"fmt"
	"strings"
	"testing"
)

// hundredSchemas is a synthetic set of 100 schema files, each an object with
// scalars, formats, an enum, a nested object, an array of objects, a
// $ref to the next file and a $defs entry, plus topic declarations with an
// envelope and a 10-part fan-out.
func hundredSchemas() map[string][]byte {
	files := map[string][]byte{}
	for i := 0; i < 100; i++ {
		next := (i + 1) % 100
		files[fmt.Sprintf("s%03d.json", i)] = []byte(fmt.Sprintf(`{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Entity %[1]d",
  "description": "Synthetic entity number %[1]d.",
  "type": "object",
  "properties": {
    "id": {"type": "integer", "minimum": 0},
    "name": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"},
    "score": {"type": "number", "minimum": -1, "maximum": 1},
    "status": {"enum": ["new", "active", "closed"]},
    "owner": {"type": "object", "properties": {"user_id": {"type": "integer"}, "email": {"type": "string", "format": "email"}}, "required": ["user_id"]},
    "lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}, "required": ["sku", "qty"]}},
    "next": {"$ref": "s%03[2]d.json"},
    "tag": {"$ref": "#/$defs/tag"},
    "note": {"type": ["string", "null"]}
  },
  "required": ["id", "name", "status"],
  "additionalProperties": false,
  "$defs": {"tag": {"type": "string", "pattern": "^[a-z]+$"}},
  "examples": [{"id": %[1]d, "name": "e%[1]d", "status": "new"}]
}`, i, next))
	}
	files["envelope.json"] = []byte(`{"type": "object", "properties": {"meta": {"type": "object", "properties": {"part": {"type": "string"}, "at": {"type": "string", "format": "date-time"}}, "required": ["part"]}, "data": true}, "required": ["meta", "data"], "additionalProperties": false}`)
	var props, parts []string
	for i := 0; i < 10; i++ {
		props = append(props, fmt.Sprintf(`"p%d": {"$ref": "s%03d.json"}`, i, i))
		parts = append(parts, fmt.Sprintf(`"p%d"`, i))
	}
	files["batch.json"] = []byte(`{"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}, ` + strings.Join(props, ", ") + `}, "required": ["at"]}`)
	files[ManifestFile] = []byte(`{
  "envelopes": {"Envelope": {"schema": "envelope.json", "payload": "data"}},
  "topics": {"entity.first": {"schema": "s000.json", "envelope": "Envelope", "set": {"/meta/part": {"const": "first"}}}},
  "families": {"batch": {"topic": "batch.{part}", "envelope": "Envelope", "composite": "batch.json", "parts": [` + strings.Join(parts, ", ") + `],
    "set": {"/meta/part": {"part": true}}, "fanout": {"name": "Batches", "set": {"/meta/at": {"from": "/data/at"}}}}}
}`)
	return files
}

// BenchmarkGenerate100 loads (parse, meta-schema validation, compilation)
// and generates a 100-schema set: the whole distgen generate minus disk.
// Target: well under 1 s per op.
func BenchmarkGenerate100(b *testing.B) {
	files := hundredSchemas()
	b.ReportAllocs()
	for b.Loop() {
		set, err := LoadFiles(files)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Generate(set, Config{Package: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHundredSchemasGenerate keeps the benchmark's input valid.
func TestHundredSchemasGenerate(t *testing.T) {
	set, err := LoadFiles(hundredSchemas())
	if err != nil {
		t.Fatal(err)
	}
	out, err := Generate(set, Config{Package: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out["topics.go"]), "func (c *Conn) PublishBatches(") {
		t.Error("no fan-out generated")
	}
}
