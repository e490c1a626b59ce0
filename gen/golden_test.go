package gen

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/distributer/distributer/internal/jsonval"
	"go/format"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected outputs of the golden tests (testdata/golden/*/want)")

const goldenDir = "testdata/golden"

// goldenCase is one directory of testdata/golden: schemas/ in, want/ out.
type goldenCase struct {
	name    string // directory name
	pkg     string // Go package name of its output
	dir     string
	schemas string // the schema directory ("" = dir/schemas)
}

func goldenCases(t testing.TB) []goldenCase {
	ents, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenCase
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		pkg := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, e.Name())
		out = append(out, goldenCase{name: e.Name(), pkg: "g" + pkg, dir: filepath.Join(goldenDir, e.Name())})
	}
	return out
}

func runCase(t testing.TB, c goldenCase) (map[string][]byte, *generator, *Input) {
	sd := c.schemas
	if sd == "" {
		sd = filepath.Join(c.dir, "schemas")
	}
	set, err := Load(os.DirFS(sd))
	if err != nil {
		t.Fatalf("%s: Load: %v", c.name, err)
	}
	files, g, err := generate(set, Config{Package: c.pkg, Version: "test"})
	if err != nil {
		t.Fatalf("%s: Generate: %v", c.name, err)
	}
	return files, g, set
}

// TestGolden compares the output of every case with want/ (go test
// ./gen -run TestGolden -update rewrites want/).
func TestGolden(t *testing.T) {
	cases := goldenCases(t)
	if len(cases) < 40 {
		t.Errorf("only %d golden cases, want at least 40", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files, _, _ := runCase(t, c)
			// Deterministic: a second run gives the same bytes.
			again, _, _ := runCase(t, c)
			if !reflect.DeepEqual(files, again) {
				t.Fatal("two runs gave different output")
			}
			for name, src := range files {
				if formatted, err := format.Source(src); err != nil || !bytes.Equal(formatted, src) {
					t.Errorf("%s is not gofmt-clean (%v)", name, err)
				}
				if !IsGenerated(src) || !bytes.Contains(src, []byte("// distgen test.")) {
					t.Errorf("%s lacks the header with the version", name)
				}
				checkComments(t, name, src)
			}
			want := filepath.Join(c.dir, "want")
			if *update {
				if err := os.RemoveAll(want); err != nil {
					t.Fatal(err)
				}
				if err := Write(want, files); err != nil {
					t.Fatal(err)
				}
				return
			}
			diffs, err := Compare(want, files)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				t.Errorf("%s is %s (run go test ./gen -run TestGolden -update and review the diff)\n%s", d.Name, d.Status, d.Diff)
			}
		})
	}
}

// example is one schema example of a generated named type.
type example struct {
	Case, Type, Loc string
	Index           int
	JSON            string
	WantErr         string // for values that must be refused
}

// TestGoldenCompileAndRoundTrip builds every golden output as a package of
// one temporary module (go vet ./... type-checks and vets them all in one
// go), then runs a program that decodes every schema example into its Go
// type and encodes it again; the result must be valid against the schema
// and semantically equal to the example.
func TestGoldenCompileAndRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a temporary module")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	gosum, _ := os.ReadFile(filepath.Join(root, "go.sum"))
	goVersion := "1.26"
	for _, l := range strings.Split(string(gomod), "\n") {
		if strings.HasPrefix(l, "go ") {
			goVersion = strings.TrimSpace(strings.TrimPrefix(l, "go "))
		}
	}
	var req strings.Builder
	for _, l := range strings.Split(string(gomod), "\n") {
		if strings.HasPrefix(l, "\tgithub.com/") || strings.HasPrefix(l, "\tgo.uber.org/") {
			req.WriteString(l + "\n")
		}
	}
	mod := fmt.Sprintf("module goldencheck\n\ngo %s\n\nrequire (\n\tgithub.com/distributer/distributer v0.0.0\n%s)\n\nreplace github.com/distributer/distributer => %s\n", goVersion, req.String(), root)
	must(t, os.WriteFile(filepath.Join(tmp, "go.mod"), []byte(mod), 0o644))
	must(t, os.WriteFile(filepath.Join(tmp, "go.sum"), gosum, 0o644))

	var examples []example
	var imports []string
	var table strings.Builder
	sets := map[string]*Input{}
	// The built-in cortex set (schema/) is round-tripped too.
	all := append(goldenCases(t), goldenCase{name: "builtin_cortex", pkg: "builtincortex", schemas: filepath.Join("..", "examples", "cortex", "schema")})
	for _, c := range all {
		files, g, set := runCase(t, c)
		sets[c.name] = set
		must(t, Write(filepath.Join(tmp, "cases", c.pkg), files))
		imports = append(imports, fmt.Sprintf("\t%s \"goldencheck/cases/%s\"", c.pkg, c.pkg))
		for _, nt := range g.m.types {
			for i, ex := range nt.examples {
				typ := c.pkg + "." + nt.name
				if nt.params {
					typ += "[json.RawMessage]"
				}
				examples = append(examples, example{Case: c.name, Type: nt.name, Loc: nt.loc, Index: i, JSON: string(ex)})
				fmt.Fprintf(&table, "\t{%q, %q, %d, rt[%s], %q},\n", c.name, nt.name, i, typ, string(ex))
			}
		}
	}
	// Besides the corpus: 60 odd but well-formed schemas from the structured
	// fuzzer's builder (fixed seed) must compile and vet too.
	rnd := rand.New(rand.NewSource(1))
	for i := 0; i < 60; i++ {
		data := make([]byte, 80)
		rnd.Read(data)
		b := &schemaBuilder{data: data}
		doc := b.schema(0)
		doc["$defs"] = map[string]any{"d0": b.schema(1), "d1": b.schema(1)}
		src, err := json.Marshal(doc)
		must(t, err)
		set, err := LoadFiles(map[string][]byte{"s.json": src})
		if err != nil {
			continue
		}
		pkg := fmt.Sprintf("r%02d", i)
		files, err := Generate(set, Config{Package: pkg})
		if err != nil {
			continue
		}
		must(t, Write(filepath.Join(tmp, "random", pkg), files))
	}
	// Values the generated UnmarshalJSON must refuse: case, type, JSON,
	// a substring of the error.
	negatives := []struct{ c, typ, json, msg string }{
		{"08_enum_string", "Task", `{"status": "nope"}`, "is not a valid TaskStatus"},
		{"09_enum_integer_named", "User", `{"gender": 3}`, "is not a valid UserGender"},
		{"10_enum_integer_plain", "Level", `2`, "want one of -1, 0, 1, 10"},
		{"12_const", "Ping", `{"kind": "pong", "version": 2}`, "not a valid PingKind"},
		{"34_oneof_discriminator", "Shape", `{"kind": "triangle"}`, `unknown kind "triangle"`},
		{"34_oneof_discriminator", "Shape", `{"r": 1}`, `string member "kind"`},
		{"35_oneof_validation", "Value", `true`, "matches none of the oneOf schemas"},
		{"35_oneof_validation", "Value", `{"a": 1}`, "matches none"},
		{"36_anyof_multi", "Contact", `{"fax": "1"}`, "matches none of the anyOf schemas"},
		{"51_oneof_ambiguous", "Amount", `{"exact": 1}`, "matches 2 of the oneOf schemas, exactly one is allowed"},
		{"23_tuple_prefix_items", "Point", `[1, "x"]`, "item 1"},
	}
	for _, n := range negatives {
		pkg := ""
		for _, c := range all {
			if c.name == n.c {
				pkg = c.pkg
			}
		}
		if pkg == "" {
			t.Fatalf("negative case: no golden case %s", n.c)
		}
		examples = append(examples, example{Case: n.c, Type: n.typ, JSON: n.json, WantErr: n.msg})
		fmt.Fprintf(&table, "\t{%q, %q, %d, rt[%s], %q},\n", n.c, n.typ, -1, pkg+"."+n.typ, n.json)
	}
	if len(examples) < 40 {
		t.Errorf("only %d examples in the golden corpus", len(examples))
	}
	prog := fmt.Sprintf(`package main

import (
	"encoding/json"
	"os"

%s
)

func rt[T any](ex string) (string, error) {
	var v T
	if err := json.Unmarshal([]byte(ex), &v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

type result struct {
	Case, Type string
	Index      int
	Out, Err   string
}

var table = []struct {
	c, t string
	i    int
	f    func(string) (string, error)
	ex   string
}{
%s}

func main() {
	var out []result
	for _, e := range table {
		s, err := e.f(e.ex)
		r := result{Case: e.c, Type: e.t, Index: e.i, Out: s}
		if err != nil {
			r.Err = err.Error()
		}
		out = append(out, r)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`, strings.Join(imports, "\n"), table.String())
	must(t, os.MkdirAll(filepath.Join(tmp, "roundtrip"), 0o755))
	must(t, os.WriteFile(filepath.Join(tmp, "roundtrip", "main.go"), []byte(prog), 0o644))

	// The second domain's generated API at run time: an entry that fans a
	// report out to the telemetry topics, and one that publishes a single topic.
	must(t, os.MkdirAll(filepath.Join(tmp, "telemetry"), 0o755))
	must(t, os.WriteFile(filepath.Join(tmp, "telemetry", "main.go"), []byte(telemetryProgram), 0o644))
	// The helpers of the generated API: enum helpers, typed.Nullable's
	// constructors in generated types, handler aliases and a family whose
	// parts share one type.
	must(t, os.MkdirAll(filepath.Join(tmp, "ergonomics"), 0o755))
	must(t, os.WriteFile(filepath.Join(tmp, "ergonomics", "main.go"), []byte(ergonomicsProgram), 0o644))

	goCmd, err := exec.LookPath("go") // go test puts its own GOROOT/bin first in PATH
	must(t, err)
	run := func(args ...string) []byte {
		cmd := exec.Command(goCmd, args...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return out
	}
	run("vet", "./...")
	var tele []string
	must(t, json.Unmarshal(run("run", "./telemetry"), &tele))
	sort.Strings(tele)
	wantTele := []string{
		`telemetry.gps.v1 {"header":{"vehicle_id":"car-7","at":"2024-05-01T12:00:00Z","channel":"gps","seq":3},"body":{"lat":32.8,"lon":35}}`,
		`telemetry.tires.v1 {"header":{"vehicle_id":"car-7","at":"2024-05-01T12:00:00Z","channel":"tires","seq":3},"body":[2.1,2.1,2.2,2.2]}`,
		`vehicles.online {"header":{"vehicle_id":"car-8","channel":"online"},"body":{"vehicle":"car-8"}}`,
	}
	if !reflect.DeepEqual(tele, wantTele) {
		t.Errorf("telemetry messages:\n got %q\nwant %q", tele, wantTele)
	}
	var ergo []string
	must(t, json.Unmarshal(run("run", "./ergonomics"), &ergo))
	wantErgo := []string{
		`values [todo in-progress done  2fa won't fix], valid true false`,
		`levels [-1 0 1 10], valid true false`,
		`{"name":null,"age":null,"bio":"x","tags":null} {"name":null,"age":null,"bio":null,"tags":null} {"name":null,"age":null,"tags":null}`,
		`decoded bio x true, null bio true`,
		`alerts.battery part battery {"level":"warn","text":"low"}`,
		`alerts.gps part gps {"level":"info","text":"fix"}`,
		`publish of part "tires": no part is set`,
		`levels.high.v2 {"meta":{"topic":"levels.high.v2","kind":"high"},"data":{"value":0.9}}`,
		`notes {"meta":{"topic":"notes","priority":3,"source":"entry"},"data":"hello"}`,
		`a wrong meta.topic is invalid: true`,
	}
	if !reflect.DeepEqual(ergo, wantErgo) {
		t.Errorf("ergonomics:\n got %q\nwant %q", ergo, wantErgo)
	}
	out := run("run", "./roundtrip")
	var results []struct {
		Case, Type string
		Index      int
		Out, Err   string
	}
	must(t, json.Unmarshal(out, &results))
	if len(results) != len(examples) {
		t.Fatalf("%d results for %d examples", len(results), len(examples))
	}
	for i, r := range results {
		ex := examples[i]
		where := fmt.Sprintf("%s: %s example %d (%s)", ex.Case, ex.Type, ex.Index, ex.JSON)
		if ex.WantErr != "" {
			if !strings.Contains(r.Err, ex.WantErr) {
				t.Errorf("%s: %s must be refused with %q, got error %q (output %s)", ex.Case, ex.JSON, ex.WantErr, r.Err, r.Out)
			}
			continue
		}
		if r.Err != "" {
			t.Errorf("%s: %s", where, r.Err)
			continue
		}
		if !jsonEqual(t, ex.JSON, r.Out) {
			t.Errorf("%s: round trip changed it: %s", where, r.Out)
		}
		set := sets[ex.Case].Set()
		l, err := set.Lookup(ex.Loc)
		if err != nil {
			t.Errorf("%s: %s: %v", where, ex.Loc, err)
			continue
		}
		v, err := decodeNumber(r.Out)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		if err := set.Validate(l, v); err != nil {
			t.Errorf("%s: output %s is not valid: %v", where, r.Out, err)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func decodeNumber(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// jsonEqual compares two JSON texts semantically (numbers by value).
func jsonEqual(t testing.TB, a, b string) bool {
	va, err := decodeNumber(a)
	if err != nil {
		t.Fatalf("bad JSON %s: %v", a, err)
	}
	vb, err := decodeNumber(b)
	if err != nil {
		return false
	}
	return sameValue(va, vb)
}

func sameValue(a, b any) bool { return jsonval.Equal(a, b) }

const telemetryProgram = `package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/distributer/distributer"
	tele "goldencheck/cases/g47topicstelemetryfanout"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := tele.Open(ctx, "memory://")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Close()
	var mu sync.Mutex
	var got []string
	done := make(chan struct{}, 16)
	if _, err := c.Subscribe(ctx, []string{"#"}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		mu.Lock()
		got = append(got, m.Topic+" "+string(m.Body))
		mu.Unlock()
		done <- struct{}{}
		return nil
	})); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	taken := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	report := &tele.Report{Taken: taken, Seq: 3, GPS: &tele.GPS{Lat: 32.8, Lon: 35}, Tires: &[]float64{2.1, 2.1, 2.2, 2.2}}
	for _, u := range []tele.Upload{{Vehicle: "car-7", Report: report}, {Vehicle: "car-8"}} {
		if err := c.PublishUpload(ctx, u); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	for i := 0; i < 3; i++ {
		select {
		case <-done:
		case <-ctx.Done():
			fmt.Fprintln(os.Stderr, "timed out")
			os.Exit(1)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	json.NewEncoder(os.Stdout).Encode(got)
}
`

const ergonomicsProgram = `package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
	nullable "goldencheck/cases/g06nullabletypearray"
	enums "goldencheck/cases/g08enumstring"
	levels "goldencheck/cases/g10enumintegerplain"
	tele "goldencheck/cases/g47topicstelemetryfanout"
	sets "goldencheck/cases/g56settopicdescriptions"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	var out []string
	out = append(out, fmt.Sprintf("values %v, valid %v %v", enums.TaskStatusValues(), enums.TaskStatusInProgress.Valid(), enums.TaskStatus("nope").Valid()))
	out = append(out, fmt.Sprintf("levels %v, valid %v %v", levels.LevelValues(), levels.Level(10).Valid(), levels.Level(2).Valid()))

	var bodies []string
	for _, p := range []nullable.Profile{{Bio: typed.Some("x")}, {Bio: typed.Null[string]()}, {}} {
		b, err := json.Marshal(p)
		if err != nil {
			fail(err)
		}
		bodies = append(bodies, string(b))
	}
	out = append(out, bodies[0]+" "+bodies[1]+" "+bodies[2])
	var a, b nullable.Profile
	if err := json.Unmarshal([]byte(` + "`" + `{"name": null, "age": null, "tags": null, "bio": "x"}` + "`" + `), &a); err != nil {
		fail(err)
	}
	if err := json.Unmarshal([]byte(` + "`" + `{"name": null, "age": null, "tags": null, "bio": null}` + "`" + `), &b); err != nil {
		fail(err)
	}
	bio, ok := a.Bio.Get()
	out = append(out, fmt.Sprintf("decoded bio %s %v, null bio %v", bio, ok, b.Bio.Null))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := tele.Open(ctx, "memory://")
	if err != nil {
		fail(err)
	}
	defer c.Close()
	got := make(chan string, 4)
	var h tele.AlertsHandler = tele.AlertsHandlerFunc(func(_ context.Context, p tele.AlertsPart, m *distributer.Message) error {
		body, _ := json.Marshal(p.Message)
		got <- fmt.Sprintf("%s part %s %s", m.Topic, p.Part, body)
		return nil
	})
	if _, err := c.Alerts.Subscribe(ctx, "*", h); err != nil {
		fail(err)
	}
	if err := c.Alerts.Publish(ctx, tele.AlertsPart{Part: "battery", Message: tele.Alert{Level: tele.AlertLevelWarn, Text: "low"}}); err != nil {
		fail(err)
	}
	if err := c.AlertsGPS.Publish(ctx, tele.Alert{Level: tele.AlertLevelInfo, Text: "fix"}); err != nil {
		fail(err)
	}
	var alerts []string
	for range 2 {
		select {
		case s := <-got:
			alerts = append(alerts, s)
		case <-ctx.Done():
			fail(ctx.Err())
		}
	}
	sort.Strings(alerts)
	out = append(out, alerts...)
	if err := c.Alerts.Publish(ctx, tele.AlertsPart{Part: "tires"}); errors.Is(err, typed.ErrNoPart) {
		out = append(out, ` + "`" + `publish of part "tires": no part is set` + "`" + `)
	} else {
		out = append(out, fmt.Sprintf("publish of part tires: %v", err))
	}

	// {"topic": true} set rules: the full topic name, in a family and on a
	// topic; the topics' schemas require it.
	s, err := sets.Open(ctx, "memory://")
	if err != nil {
		fail(err)
	}
	defer s.Close()
	bodies = nil
	msgs := make(chan string, 4)
	if _, err := s.Subscribe(ctx, []string{"#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		msgs <- m.Topic + " " + string(m.Body)
		return nil
	})); err != nil {
		fail(err)
	}
	if err := s.Levels.Publish(ctx, sets.LevelsPart{Part: "high", Message: sets.Env[sets.Level]{Data: sets.Level{Value: 0.9}}}); err != nil {
		fail(err)
	}
	if err := s.PublishNote(ctx, "hello"); err != nil {
		fail(err)
	}
	for range 2 {
		select {
		case m := <-msgs:
			bodies = append(bodies, m)
		case <-ctx.Done():
			fail(ctx.Err())
		}
	}
	sort.Strings(bodies)
	out = append(out, bodies...)
	err = s.Publish(ctx, sets.TopicLevelsLowV2, []byte(` + "`" + `{"meta": {"topic": "levels.low", "kind": "low"}, "data": {"value": 1}}` + "`" + `))
	out = append(out, fmt.Sprintf("a wrong meta.topic is invalid: %v", errors.Is(err, distributer.ErrInvalidMessage)))
	json.NewEncoder(os.Stdout).Encode(out)
}
`
