package typed_test

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/schema"
	"github.com/distributer/distributer/typed"
)

// shopFiles reads testdata/shop into the files argument of Compile.
func shopFiles(t testing.TB) map[string]string {
	t.Helper()
	files := map[string]string{}
	root := os.DirFS("testdata/shop")
	err := fs.WalkDir(root, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var shopTopics = map[string]string{
	"orders.created": "order.json",
	"orders.ping":    "events.json#/definitions/ping",
	"orders.shipped": "events.json#/definitions/shipped",
	"customers.new":  "https://shop.example/customer.json", // by $id
}

func shopSchemas(t testing.TB) *typed.Schemas {
	t.Helper()
	s, err := typed.Compile(shopFiles(t), shopTopics)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

const validOrder = `{"id": 7, "customer": {"name": "Ada", "tier": 1}, "items": [{"sku": "ABC-1", "qty": 2}], "total": {"amount": 12.5, "currency": "EUR"}}`

func TestCompileTopics(t *testing.T) {
	s := shopSchemas(t)
	want := []string{"customers.new", "orders.created", "orders.ping", "orders.shipped"}
	if got := s.Topics(); !slices.Equal(got, want) {
		t.Fatalf("Topics() = %v, want %v", got, want)
	}
	if !s.Has("orders.ping") || s.Has("orders.unknown") {
		t.Fatal("Has is wrong")
	}
	if ref, ok := s.Ref("orders.ping"); !ok || ref != "events.json#/definitions/ping" {
		t.Fatalf("Ref = %q, %v", ref, ok)
	}
}

func TestValidateValid(t *testing.T) {
	s := shopSchemas(t)
	for topic, body := range map[string]string{
		"orders.created": validOrder,
		"orders.ping":    `{"seq": 1, "from": {"name": "Bob", "tier": 2}}`,
		"orders.shipped": `{"order_id": 7, "carrier": "DHL"}`,
		"customers.new":  `{"name": "Ada", "tier": 0}`,
	} {
		if err := s.Validate(topic, []byte(body)); err != nil {
			t.Errorf("Validate(%s): %v", topic, err)
		}
	}
}

func TestValidateInvalidCauses(t *testing.T) {
	s := shopSchemas(t)
	body := `{"id": -1, "customer": {"name": "", "tier": 5}, "items": [{"sku": "bad", "qty": 0}], "total": {"amount": 1, "currency": "GBP"}, "extra": true}`
	err := s.Validate("orders.created", []byte(body))
	var ve *typed.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want *ValidationError", err)
	}
	if !errors.Is(err, distributer.ErrInvalidMessage) {
		t.Error("ValidationError is not ErrInvalidMessage")
	}
	if ve.Topic != "orders.created" {
		t.Errorf("Topic = %q", ve.Topic)
	}
	type lk struct{ Loc, Keyword string }
	var got []lk
	for _, c := range ve.Causes {
		got = append(got, lk{c.InstanceLocation, c.Keyword})
		if c.Message == "" || c.KeywordLocation == "" {
			t.Errorf("cause without message or keyword location: %+v", c)
		}
	}
	want := []lk{
		{"", "additionalProperties"},
		{"/id", "minimum"},
		{"/customer/name", "minLength"},
		{"/customer/tier", "enum"},
		{"/items/0/sku", "pattern"},
		{"/items/0/qty", "minimum"},
		{"/total/currency", "enum"},
	}
	slices.SortFunc(got, func(a, b lk) int { return strings.Compare(a.Loc+a.Keyword, b.Loc+b.Keyword) })
	slices.SortFunc(want, func(a, b lk) int { return strings.Compare(a.Loc+a.Keyword, b.Loc+b.Keyword) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("causes (-want +got):\n%s", diff)
	}
	msg := err.Error()
	if !strings.Contains(msg, `"orders.created"`) || !strings.Contains(msg, "and 4 more") {
		t.Errorf("Error() = %q", msg)
	}
	for _, c := range ve.Causes {
		if strings.Contains(c.AbsoluteKeywordLocation, "mem:") {
			t.Errorf("internal base URL leaks: %q", c.AbsoluteKeywordLocation)
		}
	}
}

func TestValidateExactNumbers(t *testing.T) {
	s := shopSchemas(t)
	with := func(id string) []byte {
		return []byte(strings.Replace(validOrder, `"id": 7`, `"id": `+id, 1))
	}
	if err := s.Validate("orders.created", with("18446744073709551615")); err != nil {
		t.Errorf("max uint64: %v", err)
	}
	// One more than the maximum: a float64 decode would round both to 2^64
	// and accept it.
	err := s.Validate("orders.created", with("18446744073709551616"))
	var ve *typed.ValidationError
	if !errors.As(err, &ve) || ve.Causes[0].InstanceLocation != "/id" || ve.Causes[0].Keyword != "maximum" {
		t.Errorf("2^64: got %v, want maximum at /id", err)
	}
	// Not an integer, though a float64 would say it is.
	err = s.Validate("orders.created", with("7.0000000000000000001"))
	if !errors.As(err, &ve) || ve.Causes[0].Keyword != "type" {
		t.Errorf("7.0000000000000000001: got %v, want a type error", err)
	}
}

func TestValidateNotJSON(t *testing.T) {
	s := shopSchemas(t)
	for _, body := range []string{`{"id": `, `{} {}`, ``} {
		err := s.Validate("orders.created", []byte(body))
		if !errors.Is(err, distributer.ErrInvalidMessage) || !errors.Is(err, distributer.ErrInvalidJSON) {
			t.Errorf("Validate(%q) = %v, want invalid message and invalid JSON", body, err)
		}
	}
}

func TestValidateNoSchema(t *testing.T) {
	s := shopSchemas(t)
	err := s.Validate("orders.cancelled", []byte(`{}`))
	if !errors.Is(err, distributer.ErrNoSchema) {
		t.Fatalf("Validate(unknown topic) = %v, want ErrNoSchema", err)
	}
	if errors.Is(err, distributer.ErrInvalidMessage) {
		t.Error("no-schema error must not claim the message is invalid")
	}
	if !strings.Contains(err.Error(), "orders.cancelled") {
		t.Errorf("error does not name the topic: %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	base := shopFiles(t)
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		files  map[string]string
		topics map[string]string
		is     error
		want   []string // substrings of the error
	}{
		{
			name:   "remote ref refused",
			files:  with(map[string]string{"remote.json": `{"$ref": "https://example.com/schemas/thing.json"}`}),
			topics: map[string]string{"things": "remote.json"},
			is:     schema.ErrRemoteRef,
			want:   []string{"remote.json", "/$ref", "https://example.com/schemas/thing.json"},
		},
		{
			name:   "missing file",
			files:  with(map[string]string{"a.json": `{"$ref": "defs/nope.json"}`}),
			topics: map[string]string{"a": "a.json"},
			is:     schema.ErrRef,
			want:   []string{"a.json", "/$ref", `no file "defs/nope.json"`},
		},
		{
			name:   "topic references a missing file",
			files:  base,
			topics: map[string]string{"a": "nope.json"},
			want:   []string{`"a"`, "nope.json"},
		},
		{
			name:   "missing fragment",
			files:  base,
			topics: map[string]string{"a": "events.json#/definitions/nope"},
			want:   []string{`"a"`, "events.json#/definitions/nope"},
		},
		{
			name:   "meta-schema violation",
			files:  with(map[string]string{"bad.json": `{"type": "integer", "minimum": "zero"}`}),
			topics: map[string]string{"bad": "bad.json"},
			want:   []string{"bad.json", "/minimum", "not a valid draft 2020-12 schema"},
		},
		{
			name:   "not JSON",
			files:  with(map[string]string{"broken.json": `{"type": `}),
			topics: map[string]string{"broken": "broken.json"},
			is:     schema.ErrSyntax,
			want:   []string{"broken.json:1:10"},
		},
		{
			name:   "invalid topic name",
			files:  base,
			topics: map[string]string{"orders..x": "order.json"},
			is:     distributer.ErrInvalidTopic,
			want:   []string{`"orders..x"`},
		},
		{
			name:   "unclean file name",
			files:  with(map[string]string{"../x.json": `{}`}),
			topics: map[string]string{"a": "order.json"},
			want:   []string{"../x.json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := typed.Compile(tt.files, tt.topics)
			if err == nil {
				t.Fatalf("Compile succeeded (%v), want error", s.Topics())
			}
			if !errors.Is(err, schema.ErrSchema) {
				t.Errorf("error does not wrap ErrSchema: %v", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), schema.BaseURL) {
				t.Errorf("internal base URL in error: %v", err)
			}
		})
	}
}

func TestMustCompilePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustCompile did not panic")
		}
	}()
	typed.MustCompile(map[string]string{"a.json": `{`}, map[string]string{"a": "a.json"})
}

func TestNewTopicUnknownPanics(t *testing.T) {
	s := shopSchemas(t)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "orders.unknown") {
			t.Errorf("recover() = %v", r)
		}
	}()
	typed.NewTopic[map[string]any](s, "orders.unknown")
}
