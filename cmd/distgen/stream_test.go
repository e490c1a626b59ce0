package main

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strings"
	"testing"
)

// TestValidateStreamsStdin: distgen validate reads stdin as a stream,
// holding one value at a time: 64 MiB of white space through a pipe, with
// values between, costs a few KiB, not the size of the input (issue 10,
// item 4; it read all of stdin first: 1 GiB of white space took 2.7 GB).
func TestValidateStreamsStdin(t *testing.T) {
	const total = 64 << 20
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte("  \t\r\n  \n"), 8<<10) // 64 KiB, reused
		body := []byte(`{"topic": "order.placed", "body": {"id": "o-1", "qty": 1}}` + "\n")
		bad := []byte(`{"topic": "order.placed", "body": {"id": "o-2", "qty": 0}}` + "\n")
		for i := 0; i < total/len(chunk); i++ {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
			if i%256 == 0 {
				pw.Write(body)
			}
		}
		pw.Write(bad)
		pw.Close()
	}()
	var out, errb bytes.Buffer
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	code := run(context.Background(), []string{"validate", "-schemas", vdir + "/schemas"}, pr, &out, &errb)
	runtime.ReadMemStats(&after)
	if code != 1 || !strings.Contains(out.String(), "5 message(s) checked: 4 valid, 1 invalid") || !strings.Contains(out.String(), "at /qty: must be >= 1") {
		t.Fatalf("code %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d MiB of input, %d KiB allocated in all", total>>20, alloc>>10)
	if alloc > 16<<20 {
		t.Errorf("allocated %d MiB for %d MiB of white space: stdin is not streamed", alloc>>20, total>>20)
	}
}

// TestValueStreamPositions: values, syntax errors and resumption in JSON
// Lines and in plain files, with the lines and columns reported, across
// reads that split values (a one-byte reader).
func TestValueStreamPositions(t *testing.T) {
	type got struct {
		line, col int
		raw, err  string
	}
	read := func(in string, lines bool) []got {
		vs := newValueStream(iotestOneByte{strings.NewReader(in)}, lines)
		var out []got
		for {
			v, ok, err := vs.next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				return out
			}
			out = append(out, got{v.line, v.col, string(v.raw), v.syntax})
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
