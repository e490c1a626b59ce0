package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const vdir = "testdata/validate"

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestValidateValidFileWithTopic(t *testing.T) {
	code, out, errs := runCmd(t, "", "validate", "-schemas", vdir+"/schemas", "-topic", "order.placed", vdir+"/msgs/one.json")
	if code != 0 || out != "1 message(s) checked: 1 valid, 0 invalid\n" || errs != "" {
		t.Fatalf("code %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

func TestValidateDirectoryOfRecords(t *testing.T) {
	code, out, _ := runCmd(t, "", "validate", "-schemas", vdir+"/schemas", vdir+"/msgs/sub")
	file := filepath.Join(vdir, "msgs/sub/recorded.jsonl")
	want := file + `:2: topic "order.placed": id "m2": at /lines/1: missing properties: 'sku' (required)
` + file + `:2: topic "order.placed": id "m2": at /qty: must be >= 1 but found 0 (minimum)
` + file + `:3: topic "order.cancelled": at /reason: value must be one of "customer", "fraud" (enum)
3 message(s) checked: 1 valid, 2 invalid
`
	if code != 1 || out != want {
		t.Fatalf("code %d, stdout:\n%s\nwant:\n%s", code, out, want)
	}
}

func TestValidateStdinJSONLinesAndJSONFormat(t *testing.T) {
	in := `{"topic": "order.placed", "body": {"id": "o-1", "qty": 1}}
{"topic": "order.shipped", "body": {}}
{"topic": "order.placed", "body": {"id": "x", "qty": 1, "extra": true}
{"id": "o-9"}
{"topic": "order.placed", "body": {"id": "o-2", "qty": 3}}

  {"topic": "order.placed", "body": {"id": "o-3", "qty": "3"}}
`
	code, out, errs := runCmd(t, in, "validate", "--schemas", vdir+"/schemas", "--format", "json")
	if code != 1 {
		t.Fatalf("code %d\n%s\n%s", code, out, errs)
	}
	var rep validateReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if rep.Checked != 6 || rep.Valid != 2 || rep.Invalid != 4 || len(rep.Failures) != 4 {
		t.Fatalf("report %+v\n%s", rep, out)
	}
	type row struct {
		line, col     int
		topic, ptr, m string
	}
	want := []row{
		{2, 1, "order.shipped", "(root)", `no schema for topic "order.shipped"`},
		{3, 71, "", "(root)", "not JSON: unexpected end of JSON input"},
		{4, 1, "", "(root)", "not a record"},
		{7, 3, "order.placed", "/qty", "expected integer, but got string"},
	}
	for i, w := range want {
		f := rep.Failures[i]
		if f.File != "<stdin>" || f.Line != w.line || f.Column != w.col || f.Topic != w.topic || f.Errors[0].Pointer != w.ptr || !strings.Contains(f.Errors[0].Message, w.m) {
			t.Errorf("failure %d = %+v %+v, want %+v", i, *f, f.Errors, w)
		}
	}
	if f := rep.Failures[3]; f.Errors[0].Keyword != "type" || !strings.HasSuffix(f.Errors[0].Schema, "order.json#/properties/qty/type") {
		t.Errorf("failure 3 errors %+v", f.Errors)
	}
}

func TestValidateMultiDocumentFileStopsAtSyntaxError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "docs.json")
	os.WriteFile(p, []byte("{\"id\": \"o-1\", \"qty\": 1}\n{\"id\": \"o-2\",\n \"qty\": }\n{\"id\": \"o-3\", \"qty\": 1}\n"), 0o644)
	code, out, _ := runCmd(t, "", "validate", "-schemas", vdir+"/schemas", "-topic", "order.placed", p)
	want := p + ":3: topic \"order.placed\": at (root): not JSON: invalid character '}' looking for beginning of value\n2 message(s) checked: 1 valid, 1 invalid\n"
	if code != 1 || out != want {
		t.Fatalf("code %d, stdout:\n%s\nwant:\n%s", code, out, want)
	}
}

func TestValidateUsageErrors(t *testing.T) {
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "x.json"), []byte(`{"type": 12}`), 0o644)
	os.WriteFile(filepath.Join(bad, "distgen.json"), []byte(`{"topics": {"x": {"schema": "x.json"}}}`), 0o644)
	empty := t.TempDir()
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"no schemas", []string{"validate", "x.json"}, "", "-schemas is required"},
		{"bad format", []string{"validate", "-schemas", vdir + "/schemas", "-format", "xml"}, "", `-format "xml": want text or json`},
		{"unknown flag", []string{"validate", "-bogus"}, "", "flag provided but not defined: -bogus"},
		{"invalid schema", []string{"validate", "-schemas", bad}, "", "x.json"},
		{"missing schema dir", []string{"validate", "-schemas", filepath.Join(empty, "nope")}, "", "nope"},
		{"unknown topic", []string{"validate", "-schemas", vdir + "/schemas", "-topic", "order.lost"}, "", `-topic "order.lost": no such topic`},
		{"missing input", []string{"validate", "-schemas", vdir + "/schemas", filepath.Join(empty, "none.json")}, "", "none.json"},
		{"empty dir", []string{"validate", "-schemas", vdir + "/schemas", empty}, "", "has no *.json, *.jsonl or *.ndjson files"},
		{"no messages", []string{"validate", "-schemas", vdir + "/schemas"}, "  \n", "no messages found in <stdin>"},
	} {
		code, out, errs := runCmd(t, tc.stdin, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: code %d, want 2 and stderr containing %q\nstdout: %s\nstderr: %s", tc.name, code, tc.want, out, errs)
		}
	}
}

func TestValidateHelp(t *testing.T) {
	code, out, _ := runCmd(t, "", "validate", "-h")
	if code != 0 || !strings.Contains(out, "Usage: distgen validate -schemas DIR") || !strings.Contains(out, "-format") {
		t.Fatalf("code %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "", "help")
	if code != 0 || !strings.Contains(out, "validate") {
		t.Fatalf("distgen help does not list validate:\n%s", out)
	}
}

func TestValidateDirectorySkipsHiddenFiles(t *testing.T) {
	// msgs/ has one.json (a body), sub/recorded.jsonl (records, not bodies:
	// additionalProperties fails) and .hidden.json (not JSON, skipped).
	code, out, _ := runCmd(t, "", "validate", "-schemas", vdir+"/schemas", "-topic", "order.placed", "-format", "json", vdir+"/msgs")
	var rep validateReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != 1 || rep.Checked != 4 || rep.Valid != 1 || strings.Contains(out, ".hidden") || strings.Contains(out, `\u003c`) {
		t.Fatalf("code %d\n%s", code, out)
	}
}

// distgen validate and generate give the verdicts of the schema core, as
// typed and contract do (schema/agree_test.go): formats asserted in draft
// 2020-12, remote references refused, the $id-directory alias accepted.
func TestValidateOneVerdict(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "event.json"), []byte(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
		"required": ["occurred_at"], "properties": {"occurred_at": {"type": "string", "format": "date-time"}}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "distgen.json"), []byte(`{"topics": {"event.happened": {"schema": "event.json"}}}`), 0o644)
	in := `{"occurred_at": "yesterday"}
{"occurred_at": "2024-02-29T23:59:60Z"}
{"occurred_at": "1990-02-31T15:59:59Z"}
`
	code, out, errs := runCmd(t, in, "validate", "-schemas", dir, "-topic", "event.happened")
	want := `<stdin>:1: topic "event.happened": at /occurred_at: 'yesterday' is not valid 'date-time' (format)
<stdin>:3: topic "event.happened": at /occurred_at: '1990-02-31T15:59:59Z' is not valid 'date-time' (format)
3 message(s) checked: 1 valid, 2 invalid
`
	if code != 1 || out != want {
		t.Fatalf("code %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, out, want, errs)
	}

	remote := t.TempDir()
	os.WriteFile(filepath.Join(remote, "s.json"), []byte(`{"properties": {"a": {"$ref": "https://example.com/a.json"}}}`), 0o644)
	os.WriteFile(filepath.Join(remote, "distgen.json"), []byte(`{"topics": {"t": {"schema": "s.json"}}}`), 0o644)
	for _, verb := range [][]string{{"validate", "-schemas", remote}, {"generate", "-schemas", remote, "-out", t.TempDir(), "-package", "p"}} {
		code, _, errs = runCmd(t, "{}", verb...)
		if code != 2 || !strings.Contains(errs, filepath.ToSlash(filepath.Join(remote, "s.json"))+":1:31: at /properties/a/$ref: $ref \"https://example.com/a.json\" points outside the schema set") {
			t.Errorf("%s with a remote $ref: code %d, stderr %s", verb[0], code, errs)
		}
	}

	code, _, errs = runCmd(t, "", "generate", "-schemas", "../../typed/testdata/shop", "-out", t.TempDir(), "-package", "shop")
	if code != 0 {
		t.Errorf("generate of a set with an $id-directory alias: code %d, stderr %s", code, errs)
	}
}
