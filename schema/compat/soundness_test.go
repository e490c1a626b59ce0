package compat

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/distributer/distributer/contract"
)

// soundness checks one direction that the comparison calls compatible:
// no message the instance generator makes for the writer (over many
// seeds), nor any mutant of a reader message that the writer accepts, is
// rejected by the reader.
func soundness(t *testing.T, what string, writer, reader Source, seeds int) {
	t.Helper()
	ws, err := contract.NewGenerator(writer.Files())
	if err != nil {
		t.Fatal(err)
	}
	rs, err := contract.NewGenerator(reader.Files())
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		in, err := ws.Generate("s.json", seed)
		if err != nil {
			break // an unsatisfiable writer sends nothing
		}
		if err := rs.Validate("s.json", in.JSON()); err != nil {
			t.Errorf("%s: called compatible, but the writer's message %s (seed %d) is rejected by the reader: %v", what, in.JSON(), seed, err)
			return
		}
	}
	for seed := uint64(1); seed <= uint64(seeds/10+1); seed++ {
		in, err := rs.Generate("s.json", seed)
		if err != nil {
			break
		}
		for _, m := range in.Mutants() {
			if ws.Validate("s.json", m.JSON()) == nil {
				t.Errorf("%s: called compatible, but %s (%s) is accepted by the writer and rejected by the reader", what, m.JSON(), m)
				return
			}
		}
	}
}

// directions runs the soundness check on every direction that rep calls
// compatible.
func directions(t *testing.T, name string, rep *Report, old, nw Source, seeds int) {
	t.Helper()
	back, fwd := verdict(rep)
	if len(back) == 0 {
		soundness(t, name+" (old writers, new readers)", old, nw, seeds)
	}
	if len(fwd) == 0 {
		soundness(t, name+" (new writers, old readers)", nw, old, seeds)
	}
}

func TestSoundnessOfCases(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			old, nw := c.sources(t)
			rep, err := Compare(old, nw, Options{NoWitness: true})
			if err != nil {
				t.Fatal(err)
			}
			directions(t, c.name, rep, old, nw, 80)
		})
	}
}

// randSchema makes a random schema from a small vocabulary, so that two
// of them often overlap.
func randSchema(r *rand.Rand, depth int) any {
	types := []string{"string", "integer", "number", "boolean", "null", "object", "array"}
	m := map[string]any{}
	pick := func() string { return types[r.IntN(len(types))] }
	if depth > 1 {
		types = types[:5]
	}
	switch r.IntN(6) {
	case 0:
		m["type"] = []any{pick(), pick()}
	case 1:
		return map[string]any{"enum": []any{"a", "b", json.Number("1"), nil}[:1+r.IntN(4)]}
	case 2:
		return map[string]any{"anyOf": []any{randSchema(r, depth+1), randSchema(r, depth+1)}}
	default:
		m["type"] = pick()
	}
	num := func(n int) json.Number { return json.Number(fmt.Sprint(r.IntN(n))) }
	for _, k := range []string{"minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "multipleOf", "minItems", "maxItems", "uniqueItems", "items", "properties", "required", "additionalProperties", "pattern", "not"} {
		if r.IntN(5) != 0 {
			continue
		}
		switch k {
		case "multipleOf":
			m[k] = json.Number(fmt.Sprint(1 + r.IntN(3)))
		case "uniqueItems":
			m[k] = true
		case "items":
			if depth < 2 {
				m[k] = randSchema(r, depth+1)
			}
		case "properties":
			if depth < 2 {
				m[k] = map[string]any{"a": randSchema(r, depth+1), "b": randSchema(r, depth+1)}
			}
		case "required":
			m[k] = []any{"a", "b"}[:1+r.IntN(2)]
		case "additionalProperties":
			m[k] = r.IntN(2) == 0
		case "pattern":
			m[k] = []string{"^a", "b$", "^[a-c]*$"}[r.IntN(3)]
		case "not":
			m[k] = map[string]any{"const": "a"}
		default:
			m[k] = num(6)
		}
	}
	return m
}

// tweak changes one keyword of a random schema.
func tweak(r *rand.Rand, v any) any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m == nil {
		return v
	}
	keys := []string{"maxLength", "minimum", "maximum", "required", "additionalProperties", "type", "multipleOf", "enum", "minItems"}
	k := keys[r.IntN(len(keys))]
	switch k {
	case "required":
		m[k] = []any{"a"}
	case "additionalProperties":
		m[k] = false
	case "type":
		m[k] = []any{"string", "integer", "null"}[r.IntN(3)]
	case "enum":
		m[k] = []any{"a", json.Number("1")}
	case "multipleOf":
		m[k] = json.Number("2")
	default:
		if _, ok := m[k]; ok {
			delete(m, k)
		} else {
			m[k] = json.Number(fmt.Sprint(r.IntN(5)))
		}
	}
	return m
}

// TestSoundnessRandom compares random schemas with tweaked versions of
// themselves and with each other: every direction called compatible is
// sampled, every witness checked.
func TestSoundnessRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	n := 300
	if testing.Short() {
		n = 30
	}
	for i := 0; i < n; i++ {
		a := randSchema(r, 0)
		b := tweak(r, a)
		if i%3 == 0 {
			b = randSchema(r, 0)
		}
		as, _ := json.Marshal(a)
		bs, _ := json.Marshal(b)
		name := fmt.Sprintf("pair %d: %s -> %s", i, as, bs)
		old, err1 := LoadFiles(map[string][]byte{"distgen.json": []byte(manifest), "s.json": as})
		nw, err2 := LoadFiles(map[string][]byte{"distgen.json": []byte(manifest), "s.json": bs})
		if err1 != nil || err2 != nil {
			continue // not a valid schema (a pattern the generator cannot satisfy is fine; a load error skips)
		}
		rep, err := Compare(old, nw, Options{})
		if err != nil {
			t.Fatal(err)
		}
		directions(t, name, rep, old, nw, 40)
		checkWitnesses(t, rep, old, nw, false)
		if t.Failed() {
			t.Logf("%s\n%s", name, strings.TrimSpace(dump(rep)))
			return
		}
	}
}
