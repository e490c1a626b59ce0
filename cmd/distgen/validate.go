package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distributer/distributer/internal/jsonstream"
	"github.com/distributer/distributer/internal/schemadir"
	"github.com/distributer/distributer/typed"
)

func init() {
	verbs["validate"] = verb{summary: "check recorded messages (JSON, JSON Lines, a directory or stdin) against the schemas", run: runValidate}
}

const validateUsage = `Usage: distgen validate -schemas DIR [-topic TOPIC] [-format text|json] [PATH ...]

Checks recorded messages against the schemas of their topics (the topic
declarations of DIR/distgen.json). Each PATH is a file or a directory (its
*.json, *.jsonl and *.ndjson files, recursively); no PATH or "-" reads stdin.
A file holds one or more JSON values, one after the other (a single
document, JSON Lines, or concatenated documents). After a syntax error,
reading goes on with the next line in JSON Lines input (*.jsonl, *.ndjson,
stdin) and stops for that file otherwise. Input is read as a stream:
memory holds one value at a time, however long the input.

With -topic, every value is a message body on that topic. Without it, every
value is a record naming its topic (the routing key):

  {"topic": "raw.pose", "body": {"metadata": {...}, "data": {...}}}

("routing_key" is accepted for "topic"; an optional "id" is shown in reports).

Output: one line per failure, "FILE:LINE: topic "T": at /json/pointer: what
is wrong (keyword)", then a summary; -format json prints one JSON object
{"checked", "valid", "invalid", "failures": [{"file", "line", "column",
"topic", "id", "errors": [{"pointer", "keyword", "schema", "message"}]}]}.

Exit status: 0 every message is valid; 1 some message is invalid (including
unknown topics, values that are not JSON and values that are not records);
2 usage error, unreadable input, no messages found, or invalid schemas.

Flags:
`

// record is one recorded message: its topic and body.
type record struct {
	Topic      string          `json:"topic"`
	RoutingKey string          `json:"routing_key"`
	ID         string          `json:"id"`
	Body       json.RawMessage `json:"body"`
}

// failure is one invalid input value.
type failure struct {
	File   string       `json:"file"`
	Line   int          `json:"line"`
	Column int          `json:"column"`
	Topic  string       `json:"topic,omitempty"`
	ID     string       `json:"id,omitempty"`
	Errors []failReason `json:"errors"`
}

// failReason is one thing wrong with a value (schemadir.Reason: the
// wording distctl uses too).
type failReason = schemadir.Reason

type validateReport struct {
	Checked  int        `json:"checked"`
	Valid    int        `json:"valid"`
	Invalid  int        `json:"invalid"`
	Failures []*failure `json:"failures"`
}

func runValidate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("distgen validate", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	schemaDir := fl.String("schemas", "", "directory of the JSON Schemas and distgen.json (required)")
	topicFlag := fl.String("topic", "", "topic of every message; without it each value is a {\"topic\", \"body\"} record")
	format := fl.String("format", "text", "output format: text or json")
	usage, code, ok := parseVerbFlags(fl, validateUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if *schemaDir == "" {
		fmt.Fprintf(stderr, "distgen validate: -schemas is required\n\n")
		usage(stderr)
		return exitUsage
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "distgen validate: -format %q: want text or json\n", *format)
		return exitUsage
	}
	schemas, err := schemadir.Compile(*schemaDir)
	if err != nil {
		if schemadir.IsLoadError(err) {
			fmt.Fprintf(stderr, "%v\n", err)
		} else {
			fmt.Fprintf(stderr, "distgen validate: %v\n", err)
		}
		return exitUsage
	}
	if *topicFlag != "" && !schemas.Has(*topicFlag) {
		fmt.Fprintf(stderr, "distgen validate: -topic %q: no such topic in %s (topics: %s)\n", *topicFlag, *schemaDir, strings.Join(schemas.Topics(), ", "))
		return exitUsage
	}
	inputs, err := collectInputs(fl.Args())
	if err != nil {
		fmt.Fprintf(stderr, "distgen validate: %v\n", err)
		return exitUsage
	}
	rep := &validateReport{Failures: []*failure{}}
	for _, in := range inputs {
		if err := checkInput(in, stdin, *topicFlag, schemas, rep); err != nil {
			fmt.Fprintf(stderr, "distgen validate: %v\n", err)
			return exitUsage
		}
	}
	if rep.Checked == 0 {
		fmt.Fprintf(stderr, "distgen validate: no messages found in %s\n", strings.Join(displayNames(inputs), ", "))
		return exitUsage
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(rep)
	} else {
		for _, f := range rep.Failures {
			where := fmt.Sprintf("%s:%d:", f.File, f.Line)
			if f.Topic != "" {
				where += fmt.Sprintf(" topic %q:", f.Topic)
			}
			if f.ID != "" {
				where += fmt.Sprintf(" id %q:", f.ID)
			}
			for _, e := range f.Errors {
				kw := ""
				if e.Keyword != "" {
					kw = " (" + e.Keyword + ")"
				}
				fmt.Fprintf(stdout, "%s at %s: %s%s\n", where, e.Pointer, e.Message, kw)
			}
		}
		fmt.Fprintf(stdout, "%d message(s) checked: %d valid, %d invalid\n", rep.Checked, rep.Valid, rep.Invalid)
	}
	if rep.Invalid > 0 {
		return exitFailure
	}
	return exitOK
}

func displayNames(inputs []string) []string {
	out := make([]string, len(inputs))
	for i, in := range inputs {
		out[i] = in
		if in == "-" {
			out[i] = "<stdin>"
		}
	}
	return out
}

// collectInputs expands directories into their message files, sorted.
func collectInputs(args []string) ([]string, error) {
	if len(args) == 0 {
		return []string{"-"}, nil
	}
	var out []string
	for _, a := range args {
		if a == "-" {
			out = append(out, a)
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != a && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".jsonl") || strings.HasSuffix(p, ".ndjson")) {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("directory %s has no *.json, *.jsonl or *.ndjson files", a)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// checkInput validates every JSON value of the input in ("-": stdin), one
// after the other, reading it as a stream: memory holds one value at a
// time. A syntax error is reported at its line and column; in JSON Lines
// input (*.jsonl, *.ndjson, stdin) reading resumes on the next line, so one
// bad line does not hide the others; in other files it ends that file. The
// error is about reading the input.
func checkInput(in string, stdin io.Reader, topicFlag string, schemas *typed.Schemas, rep *validateReport) error {
	name, r := in, stdin
	if in == "-" {
		name = "<stdin>"
	} else {
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	lines := name == "<stdin>" || strings.HasSuffix(name, ".jsonl") || strings.HasSuffix(name, ".ndjson")
	vs := jsonstream.New(r, lines)
	for {
		v, ok, err := vs.Next()
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		if !ok {
			return nil
		}
		if v.Syntax != "" {
			rep.add(&failure{File: name, Line: v.Line, Column: v.Col, Topic: topicFlag, Errors: []failReason{{Message: v.Syntax}}})
			continue
		}
		checkOne(name, v.Line, v.Col, v.Raw, topicFlag, schemas, rep)
	}
}

func checkOne(name string, line, col int, raw json.RawMessage, topicFlag string, schemas *typed.Schemas, rep *validateReport) {
	f := &failure{File: name, Line: line, Column: col, Topic: topicFlag}
	body := []byte(raw)
	if topicFlag == "" {
		var r record
		if err := json.Unmarshal(raw, &r); err != nil || (r.Topic == "" && r.RoutingKey == "") || len(r.Body) == 0 {
			f.Errors = []failReason{{Message: `not a record: want {"topic": "...", "body": {...}} (or give -topic for plain message bodies)`}}
			rep.add(f)
			return
		}
		f.Topic, f.ID, body = r.Topic, r.ID, r.Body
		if f.Topic == "" {
			f.Topic = r.RoutingKey
		}
	}
	err := schemas.Validate(f.Topic, body)
	if err == nil {
		rep.Checked++
		rep.Valid++
		return
	}
	f.Errors = schemadir.Reasons(err, schemas, f.Topic)
	rep.add(f)
}

func (r *validateReport) add(f *failure) {
	for i := range f.Errors {
		if f.Errors[i].Pointer == "" {
			f.Errors[i].Pointer = "(root)"
		}
	}
	r.Checked++
	r.Invalid++
	r.Failures = append(r.Failures, f)
}
