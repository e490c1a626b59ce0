package gen

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWrapDoc(t *testing.T) {
	long := "Image: A raw image of a snapshot. The pixels are not inlined: data is the path of a file in a directory shared by the services."
	got := wrapDoc(long)
	if len(got) < 2 || strings.Join(got, " ") != long {
		t.Fatalf("wrapDoc lost or kept text: %q", got)
	}
	for _, l := range got {
		if utf8.RuneCountInString(l) > docWidth {
			t.Errorf("line longer than %d: %q", docWidth, l)
		}
	}
	// Short, indented (code) and unbreakable lines stay whole.
	for _, l := range []string{"Short.", "\t" + long, "   " + long, strings.Repeat("x", 100)} {
		if got := wrapDoc(l); len(got) != 1 || got[0] != l {
			t.Errorf("wrapDoc(%q) = %q, want it unchanged", l, got)
		}
	}
	// A list item continues indented by four spaces, as gofmt writes it.
	got = wrapDoc("  - " + long)
	if len(got) < 2 || !strings.HasPrefix(got[0], "  - Image: A raw") {
		t.Fatalf("list item: %q", got)
	}
	text := strings.TrimPrefix(got[0], "  - ")
	for _, c := range got[1:] {
		if !strings.HasPrefix(c, "    ") || strings.HasPrefix(c, "     ") {
			t.Errorf("list item continuation %q is not indented by four spaces", c)
		}
		text += " " + strings.TrimPrefix(c, "    ")
	}
	if text != long {
		t.Errorf("list item text changed: %q", text)
	}
	for _, l := range got {
		if utf8.RuneCountInString(l) > docWidth {
			t.Errorf("line longer than %d: %q", docWidth, l)
		}
	}
	// No continuation line starts like a list item or a link definition.
	for i := 0; i < 6*10; i++ {
		marker := []string{"-", "+", "*", "1.", "12)", "[x]:"}[i%6]
		// The marker falls at or around the break.
		l := strings.Repeat("word ", 12) + strings.Repeat("a", 8+i/6) + " " + marker + " rest of the sentence goes on here."
		got := wrapDoc(l)
		if strings.Join(got, " ") != l {
			t.Fatalf("wrapDoc lost text: %q", got)
		}
		for _, c := range got[1:] {
			if docMarker(strings.Fields(c)[0]) {
				t.Errorf("continuation line starts with a marker: %q", got)
			}
		}
	}
}

// TestGoldenCommentsOneLineEach: no comment line of the golden output holds
// two comments (several jen.Comment codes added as one statement render on
// one line: "// Lat is item 0. // Lat").
func TestGoldenCommentsOneLineEach(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*/want/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(b), "\n") {
			if c := strings.TrimSpace(l); strings.HasPrefix(c, "// ") && strings.Contains(c[3:], " // ") {
				t.Errorf("%s:%d: two comments on one line: %s", f, i+1, c)
			}
		}
	}
}

// TestDocLead: the doc comment of a generated type starts with its name, in
// the form Go expects ("Invoice is ..."), whatever the schema's title and
// description say.
func TestDocLead(t *testing.T) {
	meta := &named{name: "Meta", loc: "meta.json#"}
	g := &generator{m: &mapper{byLoc: map[string]*named{"meta.json#": meta}}}
	for _, c := range []struct {
		nt   named
		want []string
	}{
		{named{name: "Event", doc: []string{"The envelope of every message."}}, []string{"Event is the envelope of every message."}},
		{named{name: "Event", doc: []string{"Event is sent when", "something happens."}}, []string{"Event is sent when", "something happens."}},
		{named{name: "Invoice", title: "Invoice", doc: []string{"Describes an invoice."}}, []string{"Invoice describes an invoice."}},
		{named{name: "Key", doc: []string{"JSON Web Key, as sent."}}, []string{"Key is JSON Web Key, as sent."}},
		{named{name: "Cat", doc: []string{"A cat."}}, []string{"Cat is a cat."}},
		{named{name: "Switch", title: "Switch state", doc: []string{"0 = off, 1 = on"}}, []string{"Switch is the switch state.", "", "0 = off, 1 = on"}},
		{named{name: "InvoiceCreated", title: "Invoice", loc: "invoice-created.json#"}, []string{"InvoiceCreated is the invoice."}},
		{named{name: "InvoiceCreated", title: "InvoiceCreated happens once.", loc: "x.json#"}, []string{"InvoiceCreated happens once."}},
		{named{name: "LinesItem", title: "Line", loc: "order.json#/properties/lines/items"}, []string{"LinesItem is a line."}},
		{named{name: "MetaKind", loc: "meta.json#/properties/kind"}, []string{`MetaKind is the "kind" member of Meta.`}},
		{named{name: "Meta", title: "meta", loc: "meta.json#"}, []string{"Meta is the schema of meta.json."}},
		{named{name: "OrderID", loc: "defs.json#/$defs/order_id"}, []string{`OrderID is the definition "order_id" of defs.json.`}},
		{named{name: "TagsItem", loc: "meta.json#/properties/tags/items"}, []string{`TagsItem is an item of the "tags" member of Meta.`}},
		{named{name: "Shape", loc: "s.json#/oneOf/1"}, []string{"Shape is option 2 of the oneOf of s.json."}},
		{named{name: "List", doc: []string{"  - a list item"}, loc: "l.json#"}, []string{"List is the schema of l.json.", "", "  - a list item"}},
	} {
		if got := g.docLead(&c.nt); !reflect.DeepEqual(got, c.want) {
			t.Errorf("docLead(%s, title %q, doc %q) =\n%q\nwant\n%q", c.nt.name, c.nt.title, c.nt.doc, got, c.want)
		}
	}
}

// Text from distgen.json in generated comments (a set rule's constant and
// target, a description) stays comment text: a line break, "*/" or
// "//go:generate" in it cannot end the comment or become a directive.
func TestManifestTextInComments(t *testing.T) {
	files := map[string][]byte{
		"a.json": []byte(`{"type": "object", "properties": {"n": {"type": "integer"}}}`),
		"e.json": []byte(`{"type": "object", "required": ["meta", "body"], "properties": {"meta": {"type": "object", "required": ["kind", "b */"], "properties": {"kind": {"type": "string"}, "b */": {"type": "string"}}}, "body": true}}`),
		ManifestFile: []byte(`{"envelopes": {"E": {"schema": "e.json", "payload": "body", "description": "x */ y\n//go:generate rm -rf /"}},
			"topics": {"t": {"schema": "a.json", "envelope": "E", "description": "*/\n//go:build ignore",
				"set": {"/meta/kind": {"const": "*/\n//go:generate echo"}, "/meta/b *~1": {"topic": true}}}}}`),
	}
	set, err := LoadFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Generate(set, Config{Package: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range out {
		checkComments(t, name, src)
	}
	if !strings.Contains(string(out["topics.go"]), `v.Meta.Kind = "*/\n//go:generate echo"`) {
		t.Errorf("the constant is not set as written:\n%s", out["topics.go"])
	}
}
