package schema

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func load(t *testing.T, files map[string]string) *Set {
	t.Helper()
	b := map[string][]byte{}
	for k, v := range files {
		b[k] = []byte(v)
	}
	s, err := LoadFiles(b)
	if err != nil {
		t.Fatalf("LoadFiles: %v", err)
	}
	return s
}

func valid(t *testing.T, s *Set, ref, body string) error {
	t.Helper()
	l, err := s.Lookup(ref)
	if err != nil {
		t.Fatalf("Lookup(%s): %v", ref, err)
	}
	return s.ValidateJSON(l, []byte(body))
}

// The resolution rules and the validator agree: where Resolve says a $ref
// leads is what the compiled schema checks.
func TestResolveRules(t *testing.T) {
	s := load(t, map[string]string{
		// draft-07: the $id beside a $ref is ignored, so "#/definitions/y"
		// is resolved against the file, not against other.json.
		"d7.json": `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
			"properties": {"v": {"$ref": "#/definitions/x"}},
			"definitions": {"x": {"$id": "http://example.com/other.json", "$ref": "#/definitions/y"}, "y": {"type": "integer"}}}`,
		// 2020-12: $anchor, $dynamicAnchor and an embedded resource by $id.
		"a.json": `{"$defs": {"s": {"$anchor": "str", "type": "string"}, "d": {"$dynamicAnchor": "dyn", "type": "boolean"}},
			"properties": {"s": {"$ref": "#str"}, "d": {"$ref": "#dyn"}, "e": {"$ref": "https://example.com/e.json"}, "n": {"$ref": "https://example.com/e.json#/definitions/i"}}}`,
		// An embedded draft-07 resource: served to the validator with its
		// file's draft, under which the minimum beside $ref is ignored.
		"b.json": `{"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"e": {"$id": "https://example.com/e.json",
			"definitions": {"i": {"type": "integer"}}, "properties": {"n": {"$ref": "#/definitions/i", "minimum": 5}}}}}`,
	})
	for _, c := range []struct{ from, ref, want string }{
		{"d7.json#/definitions/x", "#/definitions/y", "d7.json#/definitions/y"},
		{"a.json#/properties/s", "#str", "a.json#/$defs/s"},
		{"a.json#/properties/d", "#dyn", "a.json#/$defs/d"},
		{"a.json#/properties/e", "https://example.com/e.json", "b.json#/definitions/e"},
		{"a.json#/properties/n", "https://example.com/e.json#/definitions/i", "b.json#/definitions/e/definitions/i"},
		{"b.json#/definitions/e/properties/n", "#/definitions/i", "b.json#/definitions/e/definitions/i"},
	} {
		path, ptr, _ := strings.Cut(c.from, "#")
		got, err := s.Resolve(Loc{s.File(path), ptr}, c.ref)
		if err != nil || got.String() != c.want {
			t.Errorf("Resolve(%s, %s) = %v, %v; want %s", c.from, c.ref, got, err, c.want)
		}
	}
	for _, c := range []struct {
		ref, body string
		ok        bool
	}{
		{"d7.json", `{"v": 1}`, true},
		{"d7.json", `{"v": "one"}`, false},
		{"a.json", `{"s": "x", "d": true, "n": 3}`, true},
		{"a.json", `{"s": 1}`, false},
		{"a.json", `{"d": "x"}`, false},
		{"a.json", `{"e": {"n": 1}}`, true}, // draft-07: minimum beside $ref ignored
		{"a.json", `{"e": {"n": "x"}}`, false},
		{"https://example.com/e.json", `{"n": 2}`, true},
	} {
		if err := valid(t, s, c.ref, c.body); (err == nil) != c.ok {
			t.Errorf("%s: %s: %v, want ok=%v", c.ref, c.body, err, c.ok)
		}
	}
}

func TestLookupErrors(t *testing.T) {
	s := load(t, map[string]string{"a.json": `{"$defs": {"x": {"$anchor": "ex"}}}`})
	for _, c := range []struct {
		ref  string
		is   error
		want string
	}{
		{"", ErrRef, "empty schema reference"},
		{"nope.json", ErrRef, `no file "nope.json"`},
		{"a.json#/$defs/y", ErrRef, "a.json has no schema at /$defs/y"},
		{"a.json#why", ErrRef, `no anchor "why"`},
		{"https://example.com/a.json", ErrRemoteRef, "remote schemas are never fetched"},
	} {
		_, err := s.Lookup(c.ref)
		var e *Error
		if !errors.Is(err, c.is) || !errors.As(err, &e) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), BaseURL) {
			t.Errorf("Lookup(%q) = %v, want %v mentioning %q", c.ref, err, c.is, c.want)
		}
	}
	if l, err := s.Lookup("a.json#ex"); err != nil || l.String() != "a.json#/$defs/x" {
		t.Errorf("Lookup(anchor) = %v, %v", l, err)
	}
	p := load(t, map[string]string{"p.json": `{"$defs": {"50%off": {"type": "string"}, "a b": {"type": "integer"}}}`})
	for ref, want := range map[string]string{
		"p.json#/$defs/50%off":   "p.json#/$defs/50%off", // a pointer as distgen writes it
		"p.json#/$defs/50%25off": "p.json#/$defs/50%off", // percent-encoded, as in a $ref
		"p.json#/$defs/a%20b":    "p.json#/$defs/a b",
		"p.json#/$defs/a b":      "p.json#/$defs/a b",
	} {
		if l, err := p.Lookup(ref); err != nil || l.String() != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", ref, l, err, want)
		} else if _, err := p.CompileLoc(l); err != nil {
			t.Errorf("CompileLoc(%s): %v", l, err)
		}
	}
	if _, err := s.Compile("nope.json"); !errors.Is(err, ErrRef) {
		t.Errorf("Compile(nope.json) = %v", err)
	}
}

func TestLoadFilesRefusesUncleanPaths(t *testing.T) {
	for _, p := range []string{"../x.json", "/abs.json", `a\b.json`, "a//b.json", "."} {
		_, err := LoadFiles(map[string][]byte{p: []byte(`{}`)})
		if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "clean slash-separated") {
			t.Errorf("LoadFiles(%q) = %v", p, err)
		}
	}
	if _, err := LoadFiles(nil); !errors.Is(err, ErrSchema) {
		t.Errorf("LoadFiles(nil) = %v", err)
	}
}

func TestWith(t *testing.T) {
	s := load(t, map[string]string{"a.json": `{"type": "integer"}`})
	w, err := s.With(map[string][]byte{"_gen/b.json": []byte(`{"type": "object", "properties": {"a": {"$ref": "../a.json"}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := valid(t, w, "_gen/b.json", `{"a": "x"}`); err == nil {
		t.Error(`{"a": "x"} accepted`)
	}
	if s.File("_gen/b.json") != nil || len(s.Files()) != 1 || len(w.Files()) != 2 {
		t.Error("With changed the original set")
	}
	if _, err := s.With(map[string][]byte{"a.json": []byte(`{}`)}); err == nil || !strings.Contains(err.Error(), "already has this file") {
		t.Errorf("With(a.json again) = %v", err)
	}
	if _, err := s.With(map[string][]byte{"c.json": []byte(`{"$ref": "nope.json"}`)}); !errors.Is(err, ErrRef) {
		t.Errorf("With(unresolved) = %v", err)
	}
}

func TestValueIsSharedAndExact(t *testing.T) {
	s := load(t, map[string]string{"a.json": `{"properties": {"n": {"maximum": 18446744073709551615}}}`})
	l, _ := s.Lookup("a.json#/properties/n")
	v := s.Value(l).(map[string]any)
	if v["maximum"] != json.Number("18446744073709551615") {
		t.Errorf("Value = %v", v)
	}
	v["marker"] = true // shared: a second call returns the same map
	if w := s.Value(l).(map[string]any); w["marker"] != true {
		t.Error("Value not cached")
	}
}

func TestFormatChecker(t *testing.T) {
	if FormatChecker("no-such-format") != nil || FormatChecker("iri") != nil {
		t.Error("a format outside AssertedFormats has a check")
	}
	c := FormatChecker("idn-email")
	for v, want := range map[any]bool{"실례@실례.테스트": true, "ada@example.com": true, "2962": false, "a@-b.com": false, 12: true} {
		if c(v) != want {
			t.Errorf("idn-email(%v) = %v", v, !want)
		}
	}
}

// The checks stricter than jsonschema/v5's.
func TestFormatsStricterThanTheLibrary(t *testing.T) {
	for _, c := range []struct {
		format, value string
		ok            bool
	}{
		{"ipv4", "10.0.0.1", true},
		{"ipv4", "+10.0.0.1", false},
		{"hostname", "xn--bcher-kva.example", true}, // bücher
		{"hostname", "example.org.", false},
		{"hostname", "xn--a.example", false},    // not Punycode
		{"hostname", "xn--abc-.example", false}, // decodes to ASCII only
		{"hostname", "xn--e28h.example", false}, // an emoji is no letter
		{"hostname", "xn--ab---3ra", false},     // "ab--ü": "--" in the 3rd and 4th places
		{"hostname", "ab--cd.example", true},    // ... of a plain label is fine
		{"uri", "http://[::1]:8080/a?b=c#d", true},
		{"uri", "http://example.org/a b", false},
		{"uri", "http://example.org/ä", false},
		{"uri", "http://example.org/a[1]", false},
		{"uri", "http://a@b@example.org/", false},
		{"uri", "http://example.org/%zz", false},
		{"uri-reference", "a/b?c#d", true},
		{"uri-reference", "a/b{c}", false},
	} {
		if got := FormatChecker(c.format)(c.value); got != c.ok {
			t.Errorf("%s(%q) = %v, want %v", c.format, c.value, got, c.ok)
		}
	}
}

func TestContextual(t *testing.T) {
	if load(t, map[string]string{"a.json": `{"$dynamicAnchor": "n", "items": {"$dynamicRef": "#n"}}`}).Contextual() != true {
		t.Error("$dynamicRef not seen")
	}
	if load(t, map[string]string{"a.json": `{"enum": ["$dynamicRef"]}`}).Contextual() {
		t.Error("a $dynamicRef string in data counted")
	}
}
