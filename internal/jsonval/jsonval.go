// Package jsonval compares decoded JSON values the way JSON Schema does
// (enum, const, uniqueItems): objects by members regardless of order,
// arrays element by element, numbers by value (1, 1.0 and 1e0 are equal),
// everything else as Go values. It is the one such comparison of the
// module: the contract tests, the schema-evolution checks and the golden
// tests use it. Values are those of encoding/json, with or without
// UseNumber (json.Number or float64 for numbers).
package jsonval

import (
	"encoding/json"
	"math/big"
)

// Rat returns the exact value of a decoded JSON number (a json.Number or a
// float64) as a rational; ok is false for anything else. Numbers come from
// input the schema core has already bounded (internal/jsonguard), so the
// rational stays small.
func Rat(v any) (r *big.Rat, ok bool) {
	switch n := v.(type) {
	case json.Number:
		return new(big.Rat).SetString(string(n))
	case float64:
		r := new(big.Rat)
		if r.SetFloat64(n) == nil {
			return nil, false
		}
		return r, true
	}
	return nil, false
}

// Equal reports whether a and b are equal JSON values.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number, float64:
		ra, ok1 := Rat(a)
		rb, ok2 := Rat(b)
		return ok1 && ok2 && ra.Cmp(rb) == 0
	default:
		return a == b
	}
}
