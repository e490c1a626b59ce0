package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/distributer/distributer/gen"
	"github.com/distributer/distributer/internal/jsonstream"
	"github.com/distributer/distributer/typed"
)

var (
	fuzzOnce    sync.Once
	fuzzSchemas *typed.Schemas
)

func fuzzSet(t testing.TB) *typed.Schemas {
	fuzzOnce.Do(func() {
		set, err := gen.Load(os.DirFS(vdir + "/schemas"))
		if err != nil {
			t.Fatal(err)
		}
		fuzzSchemas = typed.MustCompile(set.Files(), set.TopicSchemas())
	})
	return fuzzSchemas
}

// FuzzValidateReader feeds arbitrary input to distgen validate's reader and
// checks every value it yields against the schemas, as `distgen validate`
// does, with and without -topic: nothing panics or stalls; in a plain file
// the values are exactly those a json.Decoder reads from the whole input,
// up to its first error; every value yielded is valid JSON; positions are
// 1-based. Seeds are number-heavy: huge exponents and long literals made
// the validator panic (issue 10, item 1).
func FuzzValidateReader(f *testing.F) {
	for _, s := range []string{
		`{"id": "o-1", "qty": 1}`,
		`{"id": "o-1", "qty": 1e9999999}`,
		`{"id": "o-1", "qty": -1e9999999}` + "\n" + `{"id": "o-1", "qty": 1E+99999999}`,
		`{"topic": "order.placed", "body": {"id": "o-1", "qty": 1e-9999999}}`,
		`{"topic": "order.placed", "body": {"id": "o-1", "qty": 0.` + strings.Repeat("0", 1200) + `1}}`,
		`{"topic": "order.cancelled", "body": {"id": "o-1", "reason": "fraud", "n": ` + strings.Repeat("9", 1500) + `}}`,
		`[1e309, -1e309, 1e-400, 0e99999999, 123456789012345678901234567890]`,
		`{"id": "o-1", "qty": 1.0}{"id": "o-2", "qty": 2e0} 3 "x" [` + "\n" + `{"a": tru}` + "\n",
		"  \n\t{\"id\": \"o-1\",\n \"qty\": }\n{\"id\": \"o-3\", \"qty\": 1}\n",
		`{"id": "o-1", "qty": 18446744073709551616}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	schemas := fuzzSet(f)
	f.Fuzz(func(t *testing.T, in []byte, lines bool) {
		// As distgen validate: every value checked, with -topic and without.
		for _, topic := range []string{"order.placed", ""} {
			rep := &validateReport{Failures: []*failure{}}
			vs := jsonstream.New(bytes.NewReader(in), lines)
			for range len(in) + 1 {
				v, ok, err := vs.Next()
				if err != nil {
					t.Fatalf("read error on a bytes.Reader: %v", err)
				}
				if !ok {
					break
				}
				if v.Line < 1 || v.Col < 1 {
					t.Fatalf("position %d:%d", v.Line, v.Col)
				}
				if v.Syntax == "" {
					if !json.Valid(v.Raw) {
						t.Fatalf("yielded invalid JSON %q", v.Raw)
					}
					checkOne("fuzz", v.Line, v.Col, v.Raw, topic, schemas, rep)
				}
			}
			if _, ok, _ := vs.Next(); ok {
				t.Fatal("the reader yields more values than the input has bytes")
			}
		}
		if lines {
			return
		}
		// A plain file: the values a json.Decoder reads from the whole
		// input, up to its first error.
		var want []string
		dec := json.NewDecoder(bytes.NewReader(in))
		for {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				if !errors.Is(err, io.EOF) {
					want = append(want, "error")
				}
				break
			}
			want = append(want, string(raw))
		}
		var got []string
		vs := jsonstream.New(bytes.NewReader(in), false)
		for {
			v, ok, _ := vs.Next()
			if !ok {
				break
			}
			if v.Syntax != "" {
				got = append(got, "error")
				continue
			}
			got = append(got, string(v.Raw))
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("values\n got %q\nwant %q", got, want)
		}
	})
}
