package typed_test

import (
	"encoding/json"
	"testing"

	"github.com/distributer/distributer/typed"
)

type withNullable struct {
	Note typed.Nullable[string] `json:"note,omitzero"`
	N    typed.Nullable[int]    `json:"n,omitzero"`
}

func TestNullableRoundTrip(t *testing.T) {
	for _, c := range []struct {
		in   withNullable
		json string
	}{
		{withNullable{}, `{}`},
		{withNullable{Note: typed.Some("x"), N: typed.Some(0)}, `{"note":"x","n":0}`},
		{withNullable{Note: typed.Null[string](), N: typed.Null[int]()}, `{"note":null,"n":null}`},
		{withNullable{Note: typed.Some(""), N: typed.Null[int]()}, `{"note":"","n":null}`},
	} {
		b, err := json.Marshal(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.json {
			t.Errorf("Marshal(%+v) = %s, want %s", c.in, b, c.json)
		}
		var back withNullable
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back != c.in {
			t.Errorf("round trip of %s: %+v, want %+v", b, back, c.in)
		}
	}
	var v withNullable
	if err := json.Unmarshal([]byte(`{"n": "x"}`), &v); err == nil {
		t.Error("a string decoded into Nullable[int]")
	}
}

func TestNullableGet(t *testing.T) {
	if v, ok := typed.Some(3).Get(); !ok || v != 3 {
		t.Errorf("Some(3).Get() = %v, %v", v, ok)
	}
	if v, ok := typed.Null[int]().Get(); ok || v != 0 {
		t.Errorf("Null().Get() = %v, %v", v, ok)
	}
	if v, ok := (typed.Nullable[int]{}).Get(); ok || v != 0 {
		t.Errorf("absent Get() = %v, %v", v, ok)
	}
	if n := typed.Null[string](); !n.Set || !n.Null || n.IsZero() {
		t.Errorf("Null() = %+v", n)
	}
	if !(typed.Nullable[string]{}).IsZero() || typed.Some("").IsZero() {
		t.Error("IsZero: only the absent member is zero")
	}
}

func TestPtr(t *testing.T) {
	x := 5
	p := typed.Ptr(x)
	x = 6
	if *p != 5 {
		t.Errorf("Ptr copies its argument: got %d", *p)
	}
	if q := typed.Ptr[int64](7); *q != 7 {
		t.Errorf("Ptr[int64](7) = %d", *q)
	}
	a, b := typed.Ptr(1), typed.Ptr(1)
	if a == b {
		t.Error("Ptr returns the same pointer twice")
	}
}
