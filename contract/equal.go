package contract

import (
	"encoding/json"
	"fmt"
	"github.com/distributer/distributer/internal/jsonval"
	"math/big"
	"strings"
	"time"
)

// equalJSON reports whether two decoded JSON values are semantically equal:
// objects compare by members regardless of order, numbers by value (1, 1.0
// and 1e0 are equal), and two strings that are both RFC 3339 date-times are
// equal when they denote the same instant with the same UTC offset (so
// "…:07.100Z" equals "…:07.1Z").
func equalJSON(a, b any) bool {
	return diffJSON(a, b, "") == ""
}

// diffJSON returns "" when a and b are semantically equal, otherwise the JSON
// pointer of the first difference and what differs there.
func diffJSON(a, b any, ptr string) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: object became %s", ptrOrRoot(ptr), describe(b))
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			p := ptr + "/" + escapeToken(k)
			xv, xok := x[k]
			yv, yok := y[k]
			switch {
			case !yok:
				return fmt.Sprintf("%s: member lost (was %s)", p, compact(xv))
			case !xok:
				return fmt.Sprintf("%s: member appeared (%s)", p, compact(yv))
			}
			if d := diffJSON(xv, yv, p); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok {
			return fmt.Sprintf("%s: array became %s", ptrOrRoot(ptr), describe(b))
		}
		if len(x) != len(y) {
			return fmt.Sprintf("%s: array of %d items became %d items", ptrOrRoot(ptr), len(x), len(y))
		}
		for i := range x {
			if d := diffJSON(x[i], y[i], fmt.Sprintf("%s/%d", ptr, i)); d != "" {
				return d
			}
		}
		return ""
	case json.Number:
		ra, oka := numRat(x)
		rb, okb := numRat(b)
		if !oka || !okb || ra.Cmp(rb) != 0 {
			return fmt.Sprintf("%s: %s became %s", ptrOrRoot(ptr), compact(a), compact(b))
		}
		return ""
	case string:
		y, ok := b.(string)
		if ok && (x == y || sameDateTime(x, y)) {
			return ""
		}
		return fmt.Sprintf("%s: %s became %s", ptrOrRoot(ptr), compact(a), compact(b))
	default: // bool, nil, float64
		if _, ok := a.(float64); ok {
			ra, oka := numRat(a)
			rb, okb := numRat(b)
			if oka && okb && ra.Cmp(rb) == 0 {
				return ""
			}
		} else if a == b {
			return ""
		}
		return fmt.Sprintf("%s: %s became %s", ptrOrRoot(ptr), compact(a), compact(b))
	}
}

func ptrOrRoot(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

func numRat(v any) (*big.Rat, bool) { return jsonval.Rat(v) }

func sameDateTime(a, b string) bool {
	if len(a) < 20 || len(b) < 20 || !strings.Contains(a, "T") || !strings.Contains(b, "T") {
		return false
	}
	ta, err := time.Parse(time.RFC3339Nano, a)
	if err != nil {
		return false
	}
	tb, err := time.Parse(time.RFC3339Nano, b)
	if err != nil {
		return false
	}
	_, oa := ta.Zone()
	_, ob := tb.Zone()
	return ta.Equal(tb) && oa == ob
}

func describe(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string " + compact(v)
	case json.Number, float64:
		return "a number " + compact(v)
	case bool:
		return "a boolean " + compact(v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// compact renders a decoded JSON value as compact JSON, shortened for
// messages.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
