package compat

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/distributer/distributer/contract"
)

// A witness is a whole message that the writer's schema accepts and the
// reader's rejects, made with the instance generator of package contract
// and checked by validating it against both topic schemas. It is searched
// for in this order, within a fixed budget of validations:
//
//  1. at the finding's location: writer messages with the value there
//     replaced by values generated from the writer's subschema, by
//     mutants (values the reader's subschema rejects) and by a few probes,
//     or with the property removed (REQUIRED_ADDED and the like);
//  2. mutants of reader messages that the writer accepts;
//  3. writer messages, as generated.

// Seeds and budget of the witness search.
const (
	witnessBases  = 4
	witnessSeeds  = 6
	witnessBudget = 600
)

var probes = []any{nil, true, false, json.Number("0"), json.Number("-1"), json.Number("1.5"), json.Number("1000000000"),
	"", "x", strings.Repeat("x", 300), "not a date", []any{}, []any{json.Number("1"), json.Number("1")}, map[string]any{},
	map[string]any{"p1": json.Number("1"), "p2": json.Number("2"), "p3": json.Number("3"), "p4": json.Number("4"), "p5": json.Number("5"), "p6": json.Number("6")},
	map[string]any{"p1": json.Number("1"), "p2": json.Number("2"), "p3": json.Number("3"), "p4": json.Number("4")},
	map[string]any{"p1": json.Number("1"), "p2": json.Number("2")},
	map[string]any{"Not-A-Name 9": json.Number("1")}}

type search struct {
	w, r       sch // topic roots
	ws, rs     *contract.Generator
	budget     int
	found      any
	foundValid bool
}

// try reports whether v separates the writer from the reader.
func (s *search) try(v any) bool {
	if s.budget <= 0 || s.foundValid {
		return s.foundValid
	}
	s.budget--
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	if s.ws.Validate(ref(s.w.loc), b) != nil {
		return false
	}
	if s.rs.Validate(ref(s.r.loc), b) == nil {
		return false
	}
	s.found, s.foundValid = v, true
	return true
}

func witness(wRoot, rRoot sch, f raw) (json.RawMessage, string) {
	ws, err1 := wRoot.sd.set()
	rs, err2 := rRoot.sd.set()
	if err1 != nil || err2 != nil {
		return nil, "no witness: the instance generator cannot read the schemas"
	}
	s := &search{w: wRoot, r: rRoot, ws: ws, rs: rs, budget: witnessBudget}
	var bases []any
	for seed := uint64(1); seed <= witnessBases; seed++ {
		if in, err := ws.Generate(ref(wRoot.loc), seed); err == nil {
			bases = append(bases, in.Value)
		}
	}
	path := f.ip
	if f.wPath != "" {
		path = f.wPath
	}
	// 1. At the location.
	if f.op == "remove" {
		for _, b := range bases {
			if v, ok := removeAt(b, path); ok && s.try(v) {
				return s.result()
			}
		}
	}
	var values []any
	for _, w := range f.w {
		for seed := uint64(1); seed <= witnessSeeds; seed++ {
			if in, err := ws.Generate(ref(w.loc), seed); err == nil {
				values = append(values, in.Value)
			}
		}
	}
	if f.hasR && !f.r.isFalse() {
		for seed := uint64(1); seed <= witnessSeeds/2; seed++ {
			if in, err := rs.Generate(ref(f.r.loc), seed); err == nil {
				for _, m := range in.Mutants() {
					values = append(values, m.Value)
				}
			}
		}
	}
	values = append(values, f.hints...)
	values = append(values, probes...)
	for _, v := range values {
		// The value must be one the reader's schema at the finding rejects,
		// so that the witness shows this finding and not another one.
		if f.hasR && f.wPath == "" && rRoot.sd.valid(f.r.loc, v) {
			continue
		}
		for _, b := range bases {
			if nv, ok := setAt(b, path, v); ok && s.try(nv) {
				return s.result()
			}
		}
	}
	// 2. Mutants of reader messages.
	for seed := uint64(1); seed <= witnessBases; seed++ {
		in, err := rs.Generate(ref(rRoot.loc), seed)
		if err != nil {
			break
		}
		for _, m := range in.Mutants() {
			if s.try(m.Value) {
				return s.result()
			}
		}
	}
	// 3. Writer messages.
	for seed := uint64(100); seed < 140; seed++ {
		in, err := ws.Generate(ref(wRoot.loc), seed)
		if err != nil {
			break
		}
		if s.try(in.Value) {
			return s.result()
		}
	}
	return nil, "no witness found: the generator made no message that the writer accepts and the reader rejects; the finding may be a conservative one"
}

func (s *search) result() (json.RawMessage, string) {
	b, _ := json.Marshal(s.found)
	return b, "accepted by the writer's schema, rejected by the reader's"
}

func splitPtr(p string) []string {
	if p == "" {
		return nil
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks
}

// setAt returns a copy of doc with v at the JSON pointer p, creating
// missing object members on the way (an array index may be one past the
// end).
func setAt(doc any, p string, v any) (any, bool) {
	return setToks(doc, splitPtr(p), v)
}

func setToks(doc any, toks []string, v any) (any, bool) {
	if len(toks) == 0 {
		return v, true
	}
	switch d := doc.(type) {
	case map[string]any:
		out := make(map[string]any, len(d)+1)
		for k, x := range d {
			out[k] = x
		}
		child, ok := d[toks[0]]
		if !ok {
			child = map[string]any{}
		}
		nv, ok := setToks(child, toks[1:], v)
		if !ok {
			return nil, false
		}
		out[toks[0]] = nv
		return out, true
	case []any:
		i, err := strconv.Atoi(toks[0])
		if err != nil || i < 0 || i > len(d) {
			return nil, false
		}
		out := append([]any(nil), d...)
		var child any = map[string]any{}
		if i < len(d) {
			child = d[i]
		}
		nv, ok := setToks(child, toks[1:], v)
		if !ok {
			return nil, false
		}
		if i == len(d) {
			out = append(out, nv)
		} else {
			out[i] = nv
		}
		return out, true
	}
	return nil, false
}

// removeAt returns a copy of doc without the object member at p; false
// when there is none.
func removeAt(doc any, p string) (any, bool) {
	toks := splitPtr(p)
	if len(toks) == 0 {
		return nil, false
	}
	var rec func(d any, toks []string) (any, bool)
	rec = func(d any, toks []string) (any, bool) {
		switch x := d.(type) {
		case map[string]any:
			if len(toks) == 1 {
				if _, ok := x[toks[0]]; !ok {
					return nil, false
				}
				out := make(map[string]any, len(x))
				for k, v := range x {
					if k != toks[0] {
						out[k] = v
					}
				}
				return out, true
			}
			c, ok := x[toks[0]]
			if !ok {
				return nil, false
			}
			nv, ok := rec(c, toks[1:])
			if !ok {
				return nil, false
			}
			out := make(map[string]any, len(x))
			for k, v := range x {
				out[k] = v
			}
			out[toks[0]] = nv
			return out, true
		case []any:
			i, err := strconv.Atoi(toks[0])
			if err != nil || i < 0 || i >= len(x) || len(toks) == 1 {
				return nil, false
			}
			nv, ok := rec(x[i], toks[1:])
			if !ok {
				return nil, false
			}
			out := append([]any(nil), x...)
			out[i] = nv
			return out, true
		}
		return nil, false
	}
	return rec(doc, toks)
}
