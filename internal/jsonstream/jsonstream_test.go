package jsonstream

import (
	"io"
	"strings"
	"testing"
)

// TestPositions: values, syntax errors and resumption in JSON
// Lines and in plain files, with the lines and columns reported, across
// reads that split values (a one-byte reader).
func TestPositions(t *testing.T) {
	type got struct {
		line, col int
		raw, err  string
	}
	read := func(in string, lines bool) []got {
		vs := New(iotestOneByte{strings.NewReader(in)}, lines)
		var out []got
		for {
			v, ok, err := vs.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				return out
			}
			out = append(out, got{v.Line, v.Col, string(v.Raw), v.Syntax})
		}
	}
	in := "  1 [2,\n 3]\n{\"a\": tru}\n {\"b\": 1\n\"x\" 4"
	want := []got{
		{1, 3, "1", ""},
		{1, 5, "[2,\n 3]", ""},
		{3, 10, "", "not JSON: invalid character '}' in literal true (expecting 'e')"},
		{4, 9, "", "not JSON: unexpected end of JSON input"},
		{5, 1, `"x"`, ""},
		{5, 5, "4", ""},
	}
	if g := read(in, true); !equalGot(g, want) {
		t.Errorf("JSON Lines:\n got %+v\nwant %+v", g, want)
	}
	want = []got{
		{1, 3, "1", ""},
		{1, 5, "[2,\n 3]", ""},
		{3, 10, "", "not JSON: invalid character '}' in literal true (expecting 'e')"},
	}
	if g := read(in, false); !equalGot(g, want) {
		t.Errorf("plain file:\n got %+v\nwant %+v", g, want)
	}
	if g := read(`{"a": [1, 2`, false); len(g) != 1 || g[0].err != "not JSON: unexpected EOF" || g[0].line != 1 || g[0].col != 11 {
		t.Errorf("truncated document: %+v", g)
	}
}

func equalGot[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// iotestOneByte reads one byte at a time.
type iotestOneByte struct{ r io.Reader }

func (o iotestOneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}
