package compat

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/distributer/distributer/contract"
)

const manifest = `{"topics":{"t":{"schema":"s.json"}}}`

func source(t testing.TB, schema string, files ...map[string]string) Source {
	t.Helper()
	m := map[string][]byte{"distgen.json": []byte(manifest), "s.json": []byte(schema)}
	for _, fs := range files {
		for k, v := range fs {
			m[k] = []byte(v)
		}
	}
	s, err := LoadFiles(m)
	if err != nil {
		t.Fatalf("loading %s: %v", schema, err)
	}
	return s
}

func (c tcase) sources(t testing.TB) (old, nw Source) {
	return source(t, c.old, c.files, c.oldFiles), source(t, c.new, c.files, c.newFiles)
}

func words(s string) []string {
	f := strings.Fields(s)
	sort.Strings(f)
	if len(f) == 0 {
		return nil
	}
	return f
}

func mirror(rs []string) []string {
	var out []string
	for _, r := range rs {
		out = append(out, Mirror(r))
	}
	sort.Strings(out)
	return out
}

// verdict returns the sorted, distinct rules of the breaking findings for
// new readers and for old readers.
func verdict(rep *Report) (back, fwd []string) {
	for _, f := range rep.Findings {
		if f.Severity != Breaking {
			continue
		}
		switch f.Breaks {
		case NewReaders:
			if !slices.Contains(back, f.Rule) {
				back = append(back, f.Rule)
			}
		case OldReaders:
			if !slices.Contains(fwd, f.Rule) {
				fwd = append(fwd, f.Rule)
			}
		}
	}
	sort.Strings(back)
	sort.Strings(fwd)
	return back, fwd
}

func dump(rep *Report) string {
	var b strings.Builder
	_ = rep.WriteText(&b)
	return b.String()
}

// checkWitnesses asserts that every witness separates the writer from the
// reader: the writer's schema accepts it, the reader's rejects it.
func checkWitnesses(t *testing.T, rep *Report, old, nw Source, wantAll bool) {
	t.Helper()
	os, err := contract.NewGenerator(old.Files())
	if err != nil {
		t.Fatal(err)
	}
	ns, err := contract.NewGenerator(nw.Files())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Severity != Breaking {
			continue
		}
		if f.Witness == nil {
			if wantAll {
				t.Errorf("%s at %s: no witness (%s)", f.Rule, f.Pointer, f.WitnessNote)
			}
			continue
		}
		writer, reader := os, ns
		if f.Breaks == OldReaders {
			writer, reader = ns, os
		}
		if err := writer.Validate("s.json", f.Witness); err != nil {
			t.Errorf("%s: witness %s is rejected by the writer: %v", f.Rule, f.Witness, err)
		}
		if err := reader.Validate("s.json", f.Witness); err == nil {
			t.Errorf("%s: witness %s is accepted by the reader", f.Rule, f.Witness)
		}
	}
}

func TestCases(t *testing.T) {
	if len(cases) < 120 {
		t.Fatalf("%d cases, want at least 120", len(cases))
	}
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		names[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			old, nw := c.sources(t)
			wantBack, wantFwd := words(c.back), words(c.fwd)

			rep, err := Compare(old, nw, Options{})
			if err != nil {
				t.Fatal(err)
			}
			back, fwd := verdict(rep)
			if !slices.Equal(back, wantBack) || !slices.Equal(fwd, wantFwd) {
				t.Errorf("old -> new: new readers %v, old readers %v; want %v, %v\n%s", back, fwd, wantBack, wantFwd, dump(rep))
			}
			if rep.Compatible() != (len(wantBack)+len(wantFwd) == 0) {
				t.Errorf("Compatible() = %v", rep.Compatible())
			}
			checkWitnesses(t, rep, old, nw, !c.noWitness)

			// The other way round: verdicts swap, rules mirror.
			rev, err := Compare(nw, old, Options{})
			if err != nil {
				t.Fatal(err)
			}
			rback, rfwd := verdict(rev)
			if !slices.Equal(rback, mirror(wantFwd)) || !slices.Equal(rfwd, mirror(wantBack)) {
				t.Errorf("new -> old: new readers %v, old readers %v; want %v, %v\n%s", rback, rfwd, mirror(wantFwd), mirror(wantBack), dump(rev))
			}
			checkWitnesses(t, rev, nw, old, !c.noWitness)

			// Modes: BACKWARD sees only new readers, FORWARD only old ones,
			// NONE nothing.
			for _, m := range []struct {
				mode Mode
				want []string
			}{{Backward, wantBack}, {Forward, wantFwd}, {None, nil}} {
				r, err := Compare(old, nw, Options{Mode: m.mode, NoWitness: true})
				if err != nil {
					t.Fatal(err)
				}
				b, f := verdict(r)
				if got := append(b, f...); !slices.Equal(got, m.want) {
					t.Errorf("mode %s: %v, want %v", m.mode, got, m.want)
				}
			}

			// Lenient: optional-property rules become warnings.
			lr, err := Compare(old, nw, Options{Policy: Lenient, NoWitness: true})
			if err != nil {
				t.Fatal(err)
			}
			lb, lf := verdict(lr)
			keep := func(rs []string) []string {
				var out []string
				for _, r := range rs {
					if !LenientAllows(r) {
						out = append(out, r)
					}
				}
				return out
			}
			if !slices.Equal(lb, keep(wantBack)) || !slices.Equal(lf, keep(wantFwd)) {
				t.Errorf("lenient: %v, %v; want %v, %v", lb, lf, keep(wantBack), keep(wantFwd))
			}
		})
	}
}

// Every rule of the table's expectations exists, and each is covered.
func TestRulesCovered(t *testing.T) {
	used := map[string]bool{}
	for _, c := range cases {
		for _, r := range append(words(c.back), words(c.fwd)...) {
			if rules[r] == nil {
				t.Errorf("case %q expects unknown rule %s", c.name, r)
			}
			used[r] = true
			used[Mirror(r)] = true
		}
	}
	for _, r := range []string{"TYPE_NARROWED", "ENUM_NARROWED", "REQUIRED_ADDED", "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
		"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "PROPERTY_ADDED_TO_PARTIALLY_OPEN_CONTENT_MODEL", "CONTENT_MODEL_CLOSED",
		"TUPLE_ITEM_ADDED_TO_CLOSED_TUPLE", "ONE_OF_EXTENDED", "ANY_OF_NARROWED", "NOT_ADDED", "FORMAT_ADDED", "MULTIPLE_OF_CHANGED",
		"PATTERN_CHANGED", "UNIQUE_ITEMS_ADDED", "CONST_CHANGED", "ONE_OF_AMBIGUOUS", "CONDITIONAL_ADDED", "KEYWORD_ADDED"} {
		if !used[r] {
			t.Errorf("no case covers %s", r)
		}
	}
	for _, r := range Rules() {
		if Why(r) == "" {
			t.Errorf("rule %s has no explanation", r)
		}
		if Mirror(Mirror(r)) != r {
			t.Errorf("Mirror(Mirror(%s)) = %s", r, Mirror(Mirror(r)))
		}
	}
}

var _ = json.Marshal

func TestAPIChanges(t *testing.T) {
	obj := `{"type":"object","title":"Order","properties":{"paid":{"type":"boolean"},"state":{"enum":["new","done"]}},"required":["paid","state"]}`
	old := source(t, obj)
	same, err := APIChanges(old, source(t, obj))
	if err != nil || len(same) != 0 {
		t.Fatalf("same schemas: %v, %v", same, err)
	}
	// paid becomes optional (wire-compatible for readers) and an enum
	// value goes: the generated field type and a constant change.
	nw := source(t, `{"type":"object","title":"Order","properties":{"paid":{"type":"boolean"},"state":{"enum":["new"]}},"required":["state"]}`)
	got, err := APIChanges(old, nw)
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, f := range got {
		if f.Rule != "API_CHANGED" || f.Severity != Warning {
			t.Errorf("finding %+v", f)
		}
		text = append(text, f.Change)
	}
	all := strings.Join(text, "\n")
	if !strings.Contains(all, "field S.Paid: bool -> *bool") || !strings.Contains(all, "const SStateDone removed") {
		t.Errorf("API changes:\n%s", all)
	}
}
