// Command distgen generates Go types and typed topics from a set of JSON
// Schemas, and checks that checked-in generated code is up to date.
//
// Usage:
//
//	distgen generate -schemas DIR -out DIR [-package NAME] [-contract-test]
//	distgen check    -schemas DIR -out DIR [-package NAME] [-contract-test]
//	distgen validate -schemas DIR [-topic TOPIC] [-format text|json] [PATH ...]
//	distgen breaking -schemas DIR -against BASE [-mode M] [-policy P] [-format text|json]
//	distgen help [command]
//
// generate writes the package; check generates in memory and reports stale,
// missing and extra generated files with a diff; validate checks recorded
// messages against the schemas of their topics; breaking compares the
// schemas with an earlier version (a directory or git revision) and reports
// the changes that break old or new readers (docs/breaking.md).
//
// Exit codes: 0 ok; 1 a failure was found (stale, missing or extra generated
// code, invalid messages, a file that cannot be written); 2 usage error or
// invalid schemas.
//
// In a package that holds generated code:
//
//	//go:generate go run github.com/distributer/distributer/cmd/distgen generate -schemas ../../schema -out . -package cortex
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // stale output, invalid messages
	exitUsage   = 2 // usage error, schema error
)

// verb is a sub-command.
type verb struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// verbs are the sub-commands; files register theirs from init.
var verbs = map[string]verb{}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if v, ok := verbs[args[1]]; ok {
				return v.run(ctx, []string{"-h"}, stdin, stdout, stderr)
			}
		}
		usage(stdout)
		return exitOK
	}
	v, ok := verbs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "distgen: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return v.run(ctx, args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `distgen turns JSON Schemas into Go types and typed, validated topics.

Usage:
  distgen <command> [flags]

Commands:
`)
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, verbs[n].summary)
	}
	fmt.Fprint(w, `
Run "distgen <command> -h" for the flags of a command.

Exit codes:
  0  success
  1  a failure was found (stale generated code, invalid messages)
  2  usage error or invalid schemas
`)
}

// parseVerbFlags parses a verb's flags: on -h it prints the verb's usage
// (text, then the flags) to stdout and returns exitOK; on a bad flag it
// prints the error and the usage to stderr and returns exitUsage; ok is
// true when the verb should run. usage prints the same usage to w.
func parseVerbFlags(fl *flag.FlagSet, text string, args []string, stdout, stderr io.Writer) (usage func(w io.Writer), code int, ok bool) {
	usage = func(w io.Writer) {
		fmt.Fprint(w, text)
		fl.SetOutput(w)
		fl.PrintDefaults()
		fl.SetOutput(io.Discard)
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return usage, exitOK, false
		}
		fmt.Fprintf(stderr, "%s: %v\n\n", fl.Name(), err)
		usage(stderr)
		return usage, exitUsage, false
	}
	return usage, 0, true
}
