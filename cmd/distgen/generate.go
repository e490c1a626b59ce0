package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"go/token"
	"io"
	"os"
	"path/filepath"

	"github.com/distributer/distributer/gen"
	"github.com/distributer/distributer/internal/schemadir"
)

func init() {
	verbs["generate"] = verb{summary: "generate Go code from a schema directory into an output directory", run: runGenerate}
	verbs["check"] = verb{summary: "exit 1 and show a diff when generated code is stale, missing or extra", run: runCheck}
}

// genHelp describes the generate and check verbs in their -h output.
var genHelp = map[string]string{
	"generate": `Loads the JSON Schemas of -schemas (and the topic declarations in its
distgen.json), checks them and writes the Go package into -out. Unchanged
files are not touched; generated files that are no longer produced are
removed; a file without the distgen header is never overwritten.

Exit status: 0 written; 1 a file could not be written; 2 usage error or
invalid schemas (the message gives file:line:column and the JSON pointer).
`,
	"check": `Generates in memory from -schemas, exactly as generate would, and compares
the result with -out: prints "stale:" with a line diff, "missing:" and
"extra:" (a generated file distgen no longer writes). Use the flags of the
package's //go:generate line. Only files with the distgen header count.

Exit status: 0 up to date; 1 stale, missing or extra generated files; 2
usage error, invalid schemas or an unreadable -out.
`,
}

type genFlags struct {
	schemas, out, pkg string
	contract          bool // -contract-test (gen.Config.ContractTest)
}

func parseGenFlags(name string, args []string, stdout, stderr io.Writer) (*genFlags, int) {
	fs := flag.NewFlagSet("distgen "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &genFlags{}
	fs.StringVar(&f.schemas, "schemas", "", "directory of the JSON Schemas (and distgen.json)")
	fs.StringVar(&f.out, "out", "", "output directory of the generated package")
	fs.StringVar(&f.pkg, "package", "", "Go package name (default: the output directory's name)")
	fs.BoolVar(&f.contract, "contract-test", false, "also write contract_test.go: contract.Check for every topic")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: distgen %s -schemas DIR -out DIR [-package NAME] [-contract-test]\n\n%s\nFlags:\n", name, genHelp[name])
		fs.PrintDefaults()
	}
	// Parse silently first, so that -h prints the usage once, on stdout.
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, exitOK
		}
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "distgen %s: %v\n", name, err)
		fs.Usage()
		return nil, exitUsage
	}
	fs.SetOutput(stderr)
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "distgen %s: unexpected arguments %q\n", name, fs.Args())
		fs.Usage()
		return nil, exitUsage
	}
	if f.schemas == "" || f.out == "" {
		fmt.Fprintf(stderr, "distgen %s: -schemas and -out are required\n", name)
		fs.Usage()
		return nil, exitUsage
	}
	if f.pkg == "" {
		abs, err := filepath.Abs(f.out)
		if err == nil {
			f.pkg = filepath.Base(abs)
		}
		if !token.IsIdentifier(f.pkg) {
			fmt.Fprintf(stderr, "distgen %s: the output directory's name %q is not a Go package name; pass -package NAME\n", name, f.pkg)
			return nil, exitUsage
		}
	}
	return f, -1
}

// produce loads the schemas and generates: the one pure function both verbs
// share.
func produce(f *genFlags, stderr io.Writer) (map[string][]byte, int) {
	in, err := gen.Load(os.DirFS(f.schemas))
	if err != nil {
		printSchemaErr(stderr, err, f.schemas)
		return nil, exitUsage
	}
	files, err := gen.Generate(in, gen.Config{Package: f.pkg, ContractTest: f.contract})
	if err != nil {
		printSchemaErr(stderr, err, f.schemas)
		return nil, exitUsage
	}
	return files, -1
}

// printSchemaErr prints err, an error loading or generating from the schema
// directory dir, one problem a line, each "distgen: " and the file's path
// under dir first.
func printSchemaErr(w io.Writer, err error, dir string) {
	list, ok := schemadir.Errors(schemadir.PrefixDir(err, dir))
	if !ok {
		fmt.Fprintf(w, "distgen: %v\n", err)
		return
	}
	for i, e := range list {
		if i == 10 {
			fmt.Fprintf(w, "distgen: ... and %d more errors\n", len(list)-10)
			break
		}
		fmt.Fprintf(w, "distgen: %v\n", e)
	}
}

func runGenerate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f, code := parseGenFlags("generate", args, stdout, stderr)
	if f == nil {
		return code
	}
	files, code := produce(f, stderr)
	if files == nil {
		return code
	}
	if err := gen.Write(f.out, files); err != nil {
		fmt.Fprintf(stderr, "distgen generate: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f, code := parseGenFlags("check", args, stdout, stderr)
	if f == nil {
		return code
	}
	files, code := produce(f, stderr)
	if files == nil {
		return code
	}
	diffs, err := gen.Compare(f.out, files)
	if err != nil {
		fmt.Fprintf(stderr, "distgen check: %v\n", err)
		return exitUsage
	}
	if len(diffs) == 0 {
		return exitOK
	}
	for _, d := range diffs {
		switch d.Status {
		case "stale":
			fmt.Fprintf(stdout, "stale: %s\n%s", filepath.Join(f.out, d.Name), d.Diff)
		case "missing":
			fmt.Fprintf(stdout, "missing: %s (not generated yet)\n", filepath.Join(f.out, d.Name))
		case "extra":
			fmt.Fprintf(stdout, "extra: %s (generated file that distgen no longer writes)\n", filepath.Join(f.out, d.Name))
		}
	}
	fmt.Fprintf(stderr, "distgen check: %d generated file(s) out of date in %s; run distgen generate (or make generate)\n", len(diffs), f.out)
	return exitFailure
}
