package driver

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
)

type nopDriver struct{}

func (nopDriver) Open(context.Context, *url.URL) (Conn, error) { return nil, errors.New("nop") }

func mustPanic(t *testing.T, what, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, want) {
			t.Errorf("%s: panic %v, want one mentioning %q", what, r, want)
		}
	}()
	f()
}

// Registration is database/sql style: a scheme once, never a nil driver;
// Lookup finds it and Schemes lists it, sorted.
func TestRegistry(t *testing.T) {
	Register("test-b", nopDriver{})
	Register("test-a", nopDriver{})
	mustPanic(t, "second Register of a scheme", `"test-a"`, func() { Register("test-a", nopDriver{}) })
	mustPanic(t, "Register of nil", "nil", func() { Register("test-c", nil) })
	if _, ok := Lookup("test-c"); ok {
		t.Error("the scheme of a refused nil driver is registered")
	}
	if d, ok := Lookup("test-a"); !ok || d == nil {
		t.Error("Lookup(test-a) found nothing")
	}
	if _, ok := Lookup("test-none"); ok {
		t.Error("Lookup of an unregistered scheme succeeded")
	}
	s := Schemes()
	if !slices.IsSorted(s) || !slices.Contains(s, "test-a") || !slices.Contains(s, "test-b") {
		t.Errorf("Schemes() = %v, want sorted, with test-a and test-b", s)
	}
}

// CheckQuery refuses unknown and repeated parameters with a *QueryError
// that wraps ErrInvalidURL and lists the known ones.
func TestCheckQuery(t *testing.T) {
	for raw, want := range map[string]string{
		"x://h/?a=1&b=2":  "",
		"x://h/":          "",
		"x://h/?a=1&zz=2": "zz",
		"x://h/?a=1&a=2":  "a",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckQuery(u, "b", "a")
		var qe *QueryError
		switch {
		case want == "" && err != nil:
			t.Errorf("CheckQuery(%s) = %v, want nil", raw, err)
		case want != "" && (!errors.As(err, &qe) || qe.Param != want || !errors.Is(err, ErrInvalidURL) ||
			!slices.Equal(qe.Known, []string{"a", "b"}) || qe.Scheme != "x"):
			t.Errorf("CheckQuery(%s) = %#v, want a QueryError for %q with Known [a b]", raw, err, want)
		}
	}
}
