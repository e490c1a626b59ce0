package jsonval

import (
	"encoding/json"
	"strings"
	"testing"
)

func decode(t *testing.T, s string, useNumber bool) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	if useNumber {
		d.UseNumber()
	}
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{`1`, `1.0`, true},
		{`1`, `1e0`, true},
		{`9007199254740993`, `9007199254740992`, false}, // distinct as json.Number
		{`0.1`, `0.10`, true},
		{`{"a":1,"b":[1,2]}`, `{"b":[1,2.0],"a":1}`, true},
		{`{"a":1}`, `{"a":1,"b":null}`, false},
		{`[1,2]`, `[2,1]`, false},
		{`"1"`, `1`, false},
		{`null`, `false`, false},
		{`true`, `true`, true},
		{`{}`, `[]`, false},
	} {
		if got := Equal(decode(t, c.a, true), decode(t, c.b, true)); got != c.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
		// float64 on one side and json.Number on the other compare by value
		// too (a float64 holds the nearest binary value: 0.1 is not exact,
		// and 2^53+1 is not representable).
		if c.a != `9007199254740993` && c.a != `0.1` {
			if got := Equal(decode(t, c.a, false), decode(t, c.b, true)); got != c.want {
				t.Errorf("Equal(float %s, number %s) = %v, want %v", c.a, c.b, got, c.want)
			}
		}
	}
	if _, ok := Rat("1"); ok {
		t.Error("Rat of a string")
	}
}
