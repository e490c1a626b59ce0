package main

import (
	"archive/tar"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/distributer/distributer/gen"
	"github.com/distributer/distributer/internal/schemadir"
	"github.com/distributer/distributer/schema/compat"
)

func init() {
	verbs["breaking"] = verb{summary: "report schema changes that break old or new readers, against a directory or git revision", run: runBreaking}
}

const breakingUsage = `Usage: distgen breaking -schemas DIR -against BASE [-against-transitive REVS] [-mode M] [-policy P] [-format text|json] [-fail-on-api] [-no-witness]

Compares the schema set in DIR with an earlier version and reports, per
topic, the changes that make old or new readers reject messages. BASE is a
directory, or a git revision (origin/main, a tag, a commit) of the
repository that holds DIR: the same relative path at that revision is read
with git archive, without touching the work tree.

Modes (per topic; distgen.json "compatibility" on a topic or family
overrides -mode):
  BACKWARD  new readers read old messages: upgrade readers first
  FORWARD   old readers read new messages: upgrade writers first
  FULL      both: upgrade in any order (default)
  *_TRANSITIVE  the same against every earlier version given with
            -against-transitive (a comma-separated list of revisions or
            directories, oldest first, or "tags": every tag merged into
            HEAD, oldest first), besides -against
  NONE      no check
Policies: strict (default); lenient takes adding or removing optional
properties under open, closed or partially open content models as a
warning.

Output: one line per finding, "FILE:LINE: topic "T": at /pointer: RULE:
what changed; breaks new readers|old readers: why", then a witness (a
message the writer's schema accepts and the reader's rejects, checked
against both) and a summary. -format json prints the same as one object.
Changes of the generated Go API (a field type, a removed constant, type or
method), wire-compatible or not, are API_CHANGED warnings; -fail-on-api
makes them fail.

Exit status: 0 compatible; 1 breaking changes (or API changes with
-fail-on-api); 2 usage error, unreadable
base, or invalid schemas.

Flags:
`

func runBreaking(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("distgen breaking", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	schemaDir := fl.String("schemas", "", "directory of the new JSON Schemas and distgen.json")
	against := fl.String("against", "", "the earlier version: a directory or a git revision")
	transitive := fl.String("against-transitive", "", `earlier versions for the _TRANSITIVE modes: revisions or directories, comma-separated, oldest first, or "tags"`)
	modeFlag := fl.String("mode", "FULL", "BACKWARD, FORWARD, FULL, their _TRANSITIVE forms, or NONE")
	policyFlag := fl.String("policy", "strict", "strict or lenient")
	format := fl.String("format", "text", "text or json")
	noWitness := fl.Bool("no-witness", false, "do not search for witness messages")
	failOnAPI := fl.Bool("fail-on-api", false, "exit 1 when the generated Go API changes (reported as warnings otherwise)")
	usage, code, ok := parseVerbFlags(fl, breakingUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "distgen breaking: "+format+"\n", a...)
		return exitUsage
	}
	if *schemaDir == "" || (*against == "" && *transitive == "") {
		fmt.Fprintf(stderr, "distgen breaking: -schemas and -against are required\n\n")
		usage(stderr)
		return exitUsage
	}
	if fl.NArg() > 0 {
		return fail("unexpected arguments %q", fl.Args())
	}
	mode, err := compat.ParseMode(*modeFlag)
	if err != nil {
		return fail("-mode: %v", err)
	}
	policy, err := compat.ParsePolicy(*policyFlag)
	if err != nil {
		return fail("-policy: %v", err)
	}
	if *format != "text" && *format != "json" {
		return fail("-format %q: want text or json", *format)
	}
	if st, err := os.Stat(*schemaDir); err != nil || !st.IsDir() {
		return fail("-schemas %s: not a readable directory", *schemaDir)
	}
	next, err := compat.Load(os.DirFS(*schemaDir))
	if err != nil {
		printSchemaErr(stderr, err, *schemaDir)
		return exitUsage
	}
	var names []string
	if *transitive != "" {
		if *transitive == "tags" {
			tags, err := gitTags(*schemaDir)
			if err != nil {
				return fail("-against-transitive tags: %v", err)
			}
			names = append(names, tags...)
		} else {
			for _, n := range strings.Split(*transitive, ",") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
		}
	}
	if *against != "" {
		names = append(names, *against)
	}
	if len(names) == 0 {
		return fail("no earlier version to compare with (no tags?)")
	}
	var bases []compat.Base
	for _, n := range names {
		src, err := loadBase(*schemaDir, n)
		if err != nil {
			fmt.Fprintf(stderr, "distgen breaking: base %s: %v\n", n, err)
			return exitUsage
		}
		bases = append(bases, compat.Base{Name: n, Source: src})
	}
	rep, err := compat.CompareBases(bases, next, compat.Options{Mode: mode, Policy: policy, NoWitness: *noWitness})
	if err != nil {
		return fail("%v", err)
	}
	api, err := compat.APIChanges(bases[len(bases)-1].Source, next)
	if err != nil {
		return fail("%v", err)
	}
	rep.Findings = append(rep.Findings, api...)
	rep.Warnings += len(api)
	// Files of the new set are shown relative to the working directory.
	for i := range rep.Findings {
		if f := &rep.Findings[i]; f.File != "" && f.Rule != "API_CHANGED" && !strings.HasPrefix(f.File, "_distgen/") {
			f.File = filepath.Join(*schemaDir, filepath.FromSlash(f.File))
		}
	}
	if *format == "json" {
		_ = rep.WriteJSON(stdout)
	} else {
		_ = rep.WriteText(stdout)
	}
	if !rep.Compatible() || (*failOnAPI && len(api) > 0) {
		return exitFailure
	}
	return exitOK
}

// loadBase loads an earlier version: a directory, or the schema directory
// at a git revision.
func loadBase(schemaDir, base string) (compat.Source, error) {
	if st, err := os.Stat(base); err == nil && st.IsDir() {
		src, err := compat.Load(os.DirFS(base))
		if err != nil {
			return nil, schemadir.PrefixDir(err, base)
		}
		return src, nil
	}
	fsys, err := gitTree(schemaDir, base)
	if err != nil {
		return nil, err
	}
	src, err := compat.Load(fsys)
	if err != nil {
		return nil, fmt.Errorf("the schemas at %s: %w", base, err)
	}
	return src, nil
}

func git(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return out.Bytes(), nil
}

// gitTree reads the directory dir as it is at revision rev, with git
// archive, into memory: the work tree and index are not touched.
func gitTree(dir, rev string) (fstest.MapFS, error) {
	if strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("%q is neither a directory nor a git revision", rev)
	}
	prefix, err := git(dir, "rev-parse", "--show-prefix")
	if err != nil {
		return nil, fmt.Errorf("%q is not a directory, and %s is not in a git repository to read it as a revision from: %w", rev, dir, err)
	}
	if _, err := git(dir, "rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return nil, fmt.Errorf("%q is neither a directory nor a revision of the repository of %s", rev, dir)
	}
	p := strings.TrimSuffix(strings.TrimSpace(string(prefix)), "/")
	tree := rev
	if p != "" {
		tree = rev + ":" + p
	}
	top, err := git(dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	out, err := git(strings.TrimSpace(string(top)), "archive", "--format=tar", tree)
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s (does the directory exist at that revision?): %w", p, rev, err)
	}
	fsys := fstest.MapFS{}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading git archive of %s: %w", rev, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(h.Name)
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return nil, err
		}
		fsys[name] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	if _, ok := fsys[gen.ManifestFile]; !ok && len(fsys) == 0 {
		return nil, fmt.Errorf("no schemas in %s at %s", p, rev)
	}
	return fsys, nil
}

// gitTags lists the tags merged into HEAD, oldest first.
func gitTags(dir string) ([]string, error) {
	out, err := git(dir, "tag", "--merged", "HEAD", "--sort=creatordate")
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}
