package schema_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/contract"
	"github.com/distributer/distributer/gen"
	"github.com/distributer/distributer/schema"
	"github.com/distributer/distributer/typed"
)

// One schema, one verdict: the generator (gen), typed.Schemas (Publish and
// receive), package contract and the core itself accept and refuse the same
// schema sets and values. distgen validate has the same cases in
// cmd/distgen (TestValidateOneVerdict).

func readShop(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := schema.ReadDir(os.DirFS("../typed/testdata/shop"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func texts(files map[string][]byte) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		out[k] = string(v)
	}
	return out
}

// typed/testdata/shop uses $id https://shop.example/order.json for
// order.json, whose relative $refs ("customer.json", "defs/money.json")
// resolve under the $id's directory: an alias of the schema directory.
func TestOneVerdictIDDirectoryAlias(t *testing.T) {
	files := readShop(t)
	in, err := gen.LoadFiles(files)
	if err != nil {
		t.Fatalf("gen.LoadFiles: %v", err)
	}
	if _, err := gen.Generate(in, gen.Config{Package: "shop"}); err != nil {
		t.Fatalf("gen.Generate: %v", err)
	}
	s, err := typed.Compile(texts(files), map[string]string{"orders.created": "order.json"})
	if err != nil {
		t.Fatalf("typed.Compile: %v", err)
	}
	const order = `{"id": 1, "customer": {"name": "Ada", "tier": 1}, "items": [{"sku": "ABC-1", "qty": 1}], "total": {"amount": 2, "currency": "EUR"}}`
	if err := s.Validate("orders.created", []byte(order)); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	set, err := contract.NewGenerator(texts(files))
	if err != nil {
		t.Fatalf("contract.NewGenerator: %v", err)
	}
	inst, err := set.Generate("order.json", 1)
	if err != nil {
		t.Fatalf("contract Generate: %v", err)
	}
	if err := s.Validate("orders.created", inst.JSON()); err != nil {
		t.Fatalf("generated order %s refused: %v", inst.JSON(), err)
	}
	// The $id of a file and the alias name the same schema as its path.
	core, _ := schema.LoadFiles(files)
	a, err := core.Lookup("https://shop.example/defs/money.json")
	if err != nil || a.File.Path != "defs/money.json" || a.Ptr != "" {
		t.Fatalf("Lookup(alias) = %v, %v", a, err)
	}
}

const eventSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["occurred_at"],
  "properties": {"occurred_at": {"type": "string", "format": "date-time"}, "note": {"type": "string"}}
}`

// event is the Go side of eventSchema with a string for the time, so that
// only the schema can refuse "yesterday".
type event struct {
	OccurredAt string `json:"occurred_at"`
	Note       string `json:"note,omitempty"`
}

// A draft 2020-12 format is asserted: Publish, receive and contract refuse
// "occurred_at": "yesterday".
func TestOneVerdictFormat2020(t *testing.T) {
	files := map[string]string{"event.json": eventSchema}
	s := typed.MustCompile(files, map[string]string{"event.happened": "event.json"})
	topic := typed.NewTopic[event](s, "event.happened")
	ctx := context.Background()
	d, err := distributer.Open(ctx, "memory://agree-format?max_attempts=1")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = topic.Publish(ctx, d, event{OccurredAt: "yesterday"})
	var ve *typed.ValidationError
	if !errors.As(err, &ve) || len(ve.Causes) != 1 || ve.Causes[0].InstanceLocation != "/occurred_at" || ve.Causes[0].Keyword != "format" {
		t.Fatalf("Publish(yesterday) = %v, want a format error at /occurred_at", err)
	}
	if err := topic.Publish(ctx, d, event{OccurredAt: "2024-02-29T23:59:60Z"}); err != nil {
		t.Fatalf("Publish(leap second) = %v", err)
	}
	if _, err := topic.Decode([]byte(`{"occurred_at": "1990-02-31T15:59:59Z"}`)); !errors.As(err, &ve) {
		t.Fatalf("Decode(February 31) = %v, want a *typed.ValidationError", err)
	}
	set, err := contract.NewGenerator(files)
	if err != nil {
		t.Fatal(err)
	}
	err = set.Validate("event.json", []byte(`{"occurred_at": "yesterday"}`))
	var cve *typed.ValidationError
	if !errors.As(err, &cve) || cve.Schema != "event.json" || cve.Causes[0].InstanceLocation != "/occurred_at" {
		t.Fatalf("contract Set.Validate(yesterday) = %v, want a *typed.ValidationError at /occurred_at", err)
	}
	for seed := uint64(1); seed <= 20; seed++ {
		in, err := set.Generate("event.json", seed)
		if err != nil {
			t.Fatal(err)
		}
		if err := topic.Schemas().Validate("event.happened", in.JSON()); err != nil {
			t.Fatalf("generated %s refused: %v", in.JSON(), err)
		}
	}
}

// Every asserted format is asserted in every draft, by the core and by
// typed's validation path (whose fast path checks formats too).
func TestOneVerdictFormatsEveryDraft(t *testing.T) {
	samples := map[string][2]string{ // format -> valid, invalid
		"date-time":     {"2020-01-01T10:00:00.5+01:00", "2020-01-01 10:00"},
		"date":          {"2020-02-29", "2021-02-29"},
		"time":          {"10:00:00Z", "25:00:00Z"},
		"duration":      {"P1DT2H", "1 day"},
		"email":         {"ada@example.com", "ada@"},
		"idn-email":     {"실례@실례.테스트", "2962"},
		"hostname":      {"a-b.example.com", "-a.example.com"},
		"ipv4":          {"192.168.0.1", "192.168.0.256"},
		"ipv6":          {"::1", "12345::"},
		"uri":           {"https://example.com/a?b#c", "//example.com/a"},
		"uri-reference": {"../a#b", `\\a`},
		"uuid":          {"2eb8aa08-aa98-11ea-b4aa-73b441d16380", "2eb8aa08-aa98-11ea-b4aa-73b441d1638"},
		"regex":         {"^[a-z]+$", "^[a-z+$"},
		"json-pointer":  {"/a~1b/0", "a/b"},
	}
	if got := schema.AssertedFormats(); len(got) != len(samples) {
		t.Fatalf("AssertedFormats() = %v; the test covers %d", got, len(samples))
	}
	for _, draft := range []string{"http://json-schema.org/draft-07/schema#", "https://json-schema.org/draft/2019-09/schema", "https://json-schema.org/draft/2020-12/schema"} {
		files := map[string]string{}
		topics := map[string]string{}
		for f := range samples {
			files[f+".json"] = `{"$schema": "` + draft + `", "type": "object", "properties": {"v": {"type": "string", "format": "` + f + `"}}}`
			topics["f."+f] = f + ".json"
		}
		s := typed.MustCompile(files, topics)
		for f, vals := range samples {
			for i, v := range vals {
				body := `{"v": ` + quote(v) + `}`
				err := s.Validate("f."+f, []byte(body))
				if (err == nil) != (i == 0) {
					t.Errorf("%s: format %s: Validate(%s) = %v", draft, f, body, err)
				}
				if ok := s.Matches(f+".json", []byte(body)); ok != (i == 0) {
					t.Errorf("%s: format %s: Matches(%s) = %v", draft, f, body, ok)
				}
			}
		}
	}
	// Unknown formats are annotations.
	s := typed.MustCompile(map[string]string{"x.json": `{"format": "no-such-format"}`}, map[string]string{"x": "x.json"})
	if err := s.Validate("x", []byte(`"anything"`)); err != nil {
		t.Errorf("unknown format asserted: %v", err)
	}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// `{"enum": []}` accepts nothing, at every place (draft 2019-09 and
// 2020-12; draft-07's meta-schema refuses an empty enum, everywhere).
func TestOneVerdictEmptyEnum(t *testing.T) {
	d7 := `{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"x": {"enum": []}}}`
	if _, err := gen.LoadFiles(map[string][]byte{"a.json": []byte(d7)}); !errors.Is(err, schema.ErrSchema) || !strings.Contains(err.Error(), "/properties/x/enum") {
		t.Errorf("draft-07: gen.LoadFiles = %v, want ErrSchema at /properties/x/enum", err)
	}
	if _, err := typed.Compile(map[string]string{"a.json": d7}, nil); !errors.Is(err, schema.ErrSchema) || !strings.Contains(err.Error(), "/properties/x/enum") {
		t.Errorf("draft-07: typed.Compile = %v, want ErrSchema at /properties/x/enum", err)
	}
	if _, err := contract.NewGenerator(map[string]string{"a.json": d7}); !errors.Is(err, schema.ErrSchema) {
		t.Errorf("draft-07: contract.NewGenerator = %v, want ErrSchema", err)
	}
	for _, draft := range []string{"https://json-schema.org/draft/2019-09/schema", "https://json-schema.org/draft/2020-12/schema"} {
		files := map[string]string{
			"none.json": `{"$schema": "` + draft + `", "enum": []}`,
			"obj.json":  `{"$schema": "` + draft + `", "type": "object", "properties": {"x": {"enum": []}}}`,
		}
		s := typed.MustCompile(files, map[string]string{"none": "none.json", "obj": "obj.json"})
		for _, body := range []string{`null`, `0`, `""`, `[]`, `{}`, `true`} {
			if err := s.Validate("none", []byte(body)); err == nil {
				t.Errorf("%s: {\"enum\": []} accepted %s", draft, body)
			}
		}
		if err := s.Validate("obj", []byte(`{}`)); err != nil {
			t.Errorf("%s: {} refused: %v", draft, err)
		}
		err := s.Validate("obj", []byte(`{"x": 1}`))
		var ve *typed.ValidationError
		if !errors.As(err, &ve) || ve.Causes[0].InstanceLocation != "/x" || ve.Causes[0].Keyword != "enum" {
			t.Errorf("%s: {\"x\": 1} = %v, want an enum error at /x", draft, err)
		}
		set, err := contract.NewGenerator(files)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := set.Generate("none.json", 1); !errors.Is(err, contract.ErrUnsatisfiable) {
			t.Errorf("%s: contract Generate = %v, want ErrUnsatisfiable", draft, err)
		}
		core, err := schema.LoadFiles(map[string][]byte{"none.json": []byte(files["none.json"])})
		if err != nil {
			t.Fatal(err)
		}
		l, _ := core.Lookup("none.json")
		if err := core.Validate(l, nil); err == nil {
			t.Errorf("%s: schema.Set.Validate(null) accepted", draft)
		}
	}
}

// A reference out of the set is refused with schema.ErrRemoteRef by every
// loader, wherever it stands, and never fetched.
func TestOneVerdictRemoteRef(t *testing.T) {
	for name, text := range map[string]string{
		"root":        `{"$ref": "https://example.com/x.json"}`,
		"nested":      `{"type": "object", "properties": {"a": {"items": {"$ref": "http://example.com/x.json#/$defs/y"}}}}`,
		"draft-07":    `{"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"a": {"$ref": "https://example.com/x.json"}}}`,
		"dynamic":     `{"$dynamicRef": "https://example.com/x.json#meta"}`,
		"id-relative": `{"$id": "https://example.com/a/s.json", "$ref": "t.json"}`,
	} {
		files := map[string][]byte{"s.json": []byte(text), gen.ManifestFile: []byte(`{"topics": {"t": {"schema": "s.json"}}}`)}
		if _, err := gen.LoadFiles(files); !errors.Is(err, schema.ErrRemoteRef) {
			t.Errorf("%s: gen.LoadFiles = %v, want ErrRemoteRef", name, err)
		}
		if _, err := typed.Compile(map[string]string{"s.json": text}, map[string]string{"t": "s.json"}); !errors.Is(err, schema.ErrRemoteRef) || !errors.Is(err, schema.ErrSchema) {
			t.Errorf("%s: typed.Compile = %v, want ErrRemoteRef and ErrSchema", name, err)
		}
		if _, err := contract.NewGenerator(map[string]string{"s.json": text}); !errors.Is(err, schema.ErrRemoteRef) {
			t.Errorf("%s: contract.NewGenerator = %v, want ErrRemoteRef", name, err)
		}
	}
	// A topic (or a manifest entry) naming a remote schema.
	ok := map[string]string{"s.json": `{}`}
	if _, err := typed.Compile(ok, map[string]string{"t": "https://example.com/x.json"}); !errors.Is(err, schema.ErrRemoteRef) {
		t.Errorf("typed.Compile(remote topic) = %v, want ErrRemoteRef", err)
	}
	if _, err := gen.LoadFiles(map[string][]byte{"s.json": []byte(`{}`), gen.ManifestFile: []byte(`{"topics": {"t": {"schema": "https://example.com/x.json"}}}`)}); !errors.Is(err, schema.ErrRemoteRef) {
		t.Errorf("gen.LoadFiles(remote topic) = %v, want ErrRemoteRef", err)
	}
	set, _ := contract.NewGenerator(ok)
	if _, err := set.Generate("https://example.com/x.json", 1); !errors.Is(err, schema.ErrRemoteRef) {
		t.Errorf("contract Generate(remote) = %v, want ErrRemoteRef", err)
	}
}
