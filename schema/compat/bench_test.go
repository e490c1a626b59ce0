package compat

import (
	"fmt"
	"strings"
	"testing"
)

// benchSet makes a set of n topics, each with its own schema file of a
// dozen members referring to shared definitions; changed schemas get a
// lower maximum (a breaking change) in the first `changed` files.
func benchSet(tb testing.TB, n, changed int) Source {
	files := map[string][]byte{}
	var topics []string
	files["defs.json"] = []byte(`{"$defs": {"id": {"type": "string", "pattern": "^[a-z0-9-]{1,40}$"},
		"money": {"type": "object", "properties": {"amount": {"type": "integer", "minimum": 0}, "currency": {"enum": ["EUR", "USD", "GBP"]}}, "required": ["amount", "currency"], "additionalProperties": false}}}`)
	for i := 0; i < n; i++ {
		max := 1000
		if i < changed {
			max = 100
		}
		files[fmt.Sprintf("s%03d.json", i)] = []byte(fmt.Sprintf(`{"type": "object", "properties": {
			"id": {"$ref": "defs.json#/$defs/id"}, "price": {"$ref": "defs.json#/$defs/money"},
			"qty": {"type": "integer", "minimum": 1, "maximum": %d}, "note": {"type": ["string", "null"], "maxLength": 200},
			"tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true, "maxItems": 10},
			"kind": {"oneOf": [{"const": "a"}, {"const": "b"}]}, "at": {"type": "string", "format": "date-time"},
			"lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}, "n": {"type": "integer"}}, "required": ["sku"]}}},
			"required": ["id", "qty"], "additionalProperties": false}`, max))
		topics = append(topics, fmt.Sprintf(`"t%03d": {"schema": "s%03d.json"}`, i, i))
	}
	files["distgen.json"] = []byte(`{"topics": {` + strings.Join(topics, ", ") + `}}`)
	s, err := LoadFiles(files)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkCompareSelf compares a 100-schema set with itself.
func BenchmarkCompareSelf(b *testing.B) {
	old, nw := benchSet(b, 100, 0), benchSet(b, 100, 0)
	b.ResetTimer()
	for b.Loop() {
		rep, err := Compare(old, nw, Options{})
		if err != nil || !rep.Compatible() {
			b.Fatal(err, rep.Breaking)
		}
	}
}

// BenchmarkCompareTenChanges compares it with a version with 10 breaking
// changes, witnesses included.
func BenchmarkCompareTenChanges(b *testing.B) {
	old, nw := benchSet(b, 100, 0), benchSet(b, 100, 10)
	b.ResetTimer()
	for b.Loop() {
		rep, err := Compare(old, nw, Options{})
		if err != nil || rep.Breaking != 10 {
			b.Fatal(err, rep.Breaking)
		}
	}
}
