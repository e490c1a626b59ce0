package doccheck

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Command is a shell command line of a guide.
type Command struct {
	File string
	Line int
	Text string
	Cwd  string // directory relative to the repository root; "?" when unknown (//go:generate)
	// Inline is an inline code span: it may be meant for the root of any of
	// the repository's modules.
	Inline bool
}

// commandWords are the first words of inline code spans that are commands.
var commandWords = regexp.MustCompile(`^(make|go (run|tool|test|vet|build|generate)|distgen) `)

// Commands returns the command lines of a guide: the lines of sh, bash,
// shell, console and zsh blocks (a leading "$ " removed, "\" continuations
// joined), the lines of other non-Go blocks that start with "$ ", and the
// //go:generate lines of Go blocks; and the inline code spans that start
// with make, distgen or go run, tool, test, vet, build or generate.
func Commands(d *Doc) []Command {
	var cs []Command
	for _, sp := range d.Spans {
		if commandWords.MatchString(sp.Text) {
			cs = append(cs, Command{File: sp.File, Line: sp.Line, Text: sp.Text, Cwd: ".", Inline: true})
		}
	}
	for _, b := range d.Blocks {
		cwd := b.Cwd
		if cwd == "" {
			cwd = "."
		}
		shell := false
		switch b.Lang {
		case "sh", "bash", "shell", "console", "zsh":
			shell = true
		}
		lines := strings.Split(strings.TrimSuffix(b.Text, "\n"), "\n")
		for i := 0; i < len(lines); i++ {
			start, l := i, lines[i]
			for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
				i++
				l = strings.TrimSuffix(l, "\\") + " " + lines[i]
			}
			t := strings.TrimSpace(l)
			switch {
			case b.Lang == "go":
				if g, ok := strings.CutPrefix(t, "//go:generate "); ok {
					cs = append(cs, Command{File: b.File, Line: b.Line + start, Text: g, Cwd: "?"})
				}
			case strings.HasPrefix(t, "$ "):
				cs = append(cs, Command{File: b.File, Line: b.Line + start, Text: t[2:], Cwd: cwd})
			case shell && t != "" && !strings.HasPrefix(t, "#"):
				cs = append(cs, Command{File: b.File, Line: b.Line + start, Text: t, Cwd: cwd})
			}
		}
	}
	return cs
}

// CheckCommands checks the command lines of the guides (see the package
// doc).
func (c *Checker) CheckCommands(docs []*Doc) []Problem {
	var ps []Problem
	for _, d := range docs {
		for _, cmd := range Commands(d) {
			msgs := c.checkLine(cmd)
			if cmd.Inline && len(msgs) > 0 {
				for _, m := range c.modules[1:] {
					in := cmd
					in.Cwd = c.rel(m.dir)
					if len(c.checkLine(in)) == 0 {
						msgs = nil
						break
					}
				}
			}
			for _, msg := range msgs {
				ps = append(ps, Problem{cmd.File, cmd.Line, msg})
			}
		}
	}
	return ps
}

// words splits a command line into words and the operators && || | ; & (
// ) and redirections, with shell quoting; a word starting with # ends the
// line.
func words(line string) []string {
	var out []string
	var w strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			out = append(out, w.String())
			w.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\'' || ch == '"':
			inWord = true
			j := i + 1
			for ; j < len(line) && line[j] != ch; j++ {
				if ch == '"' && line[j] == '\\' && j+1 < len(line) {
					j++
				}
				w.WriteByte(line[j])
			}
			i = j
		case ch == '\\' && i+1 < len(line):
			inWord = true
			i++
			w.WriteByte(line[i])
		case ch == ' ' || ch == '\t':
			flush()
		case ch == '#' && !inWord:
			flush()
			return out
		case strings.IndexByte("&|;()<>", ch) >= 0:
			if ch == '>' && w.Len() == 1 && (w.String() == "1" || w.String() == "2") {
				w.Reset()
				inWord = false
			}
			flush()
			op := string(ch)
			if i+1 < len(line) && (line[i+1] == ch || (ch == '>' && line[i+1] == '&')) {
				op += string(line[i+1])
				i++
			}
			out = append(out, op)
		default:
			inWord = true
			w.WriteByte(ch)
		}
	}
	flush()
	return out
}

// assignRE matches an environment assignment before a command.
var assignRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// checkLine checks the simple commands of a line, following cd (and
// restoring the directory after a parenthesised subshell).
func (c *Checker) checkLine(cmd Command) []string {
	var msgs []string
	cwd := cmd.Cwd
	var stack []string
	var argv []string
	run := func() {
		for len(argv) > 0 && assignRE.MatchString(argv[0]) {
			argv = argv[1:] // environment assignments
		}
		if len(argv) > 0 {
			var msg []string
			msg, cwd = c.checkSimple(cwd, argv)
			msgs = append(msgs, msg...)
		}
		argv = nil
	}
	ws := words(cmd.Text)
	for i := 0; i < len(ws); i++ {
		switch w := ws[i]; w {
		case "(":
			run()
			stack = append(stack, cwd)
		case ")":
			run()
			if len(stack) > 0 {
				cwd, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
		case "&&", "||", "|", ";", "&":
			run()
		case ">", ">>", "<", ">&", "&>":
			i++ // the redirection's target
		default:
			argv = append(argv, w)
		}
	}
	run()
	return msgs
}

// checkSimple checks one simple command run in cwd and returns the
// directory the next command runs in.
func (c *Checker) checkSimple(cwd string, argv []string) ([]string, string) {
	known := cwd != "?"
	dir := filepath.Join(c.Root, cwd)
	switch name := argv[0]; {
	case name == "cd":
		if len(argv) < 2 || !known || strings.ContainsAny(argv[1], "$~") {
			return nil, "?"
		}
		next := filepath.Join(cwd, argv[1])
		if fi, err := os.Stat(filepath.Join(c.Root, next)); err != nil || !fi.IsDir() {
			return []string{fmt.Sprintf("cd %s: no directory %s", argv[1], next)}, "?"
		}
		return nil, next
	case name == "make":
		if !known {
			return nil, cwd
		}
		return c.checkMake(dir, argv[1:]), cwd
	case name == "go":
		return c.checkGoCommand(cwd, argv[1:]), cwd
	case strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../"):
		if known && !strings.Contains(name, "$") {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				return []string{fmt.Sprintf("%s: no such file in %s", name, cwd)}, cwd
			}
		}
	case c.commands[name] != "":
		return c.checkProgram(c.commands[name], name, argv[1:]), cwd
	}
	return nil, cwd
}

var targetRE = regexp.MustCompile(`^([^\s:#=$][^:=]*?)\s*::?(?:[^=]|$)`)

// checkMake checks that each target is a rule of dir's Makefile.
func (c *Checker) checkMake(dir string, args []string) []string {
	src, err := os.ReadFile(filepath.Join(dir, "Makefile"))
	if err != nil {
		return []string{fmt.Sprintf("make: no Makefile in %s", c.rel(dir))}
	}
	targets := map[string]bool{}
	for _, l := range strings.Split(string(src), "\n") {
		if m := targetRE.FindStringSubmatch(l); m != nil {
			for _, t := range strings.Fields(m[1]) {
				targets[t] = true
			}
		}
	}
	var msgs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-C" || a == "-f":
			return nil // another directory or Makefile: not followed
		case strings.HasPrefix(a, "-") || strings.Contains(a, "="):
		case !targets[a]:
			var all []string
			for t := range targets {
				if !strings.HasPrefix(t, ".") {
					all = append(all, t)
				}
			}
			sort.Strings(all)
			msgs = append(msgs, fmt.Sprintf("make %s: no such target in %s (targets: %s)", a, c.rel(filepath.Join(dir, "Makefile")), strings.Join(all, " ")))
		}
	}
	return msgs
}

// goValueFlags are the flags of go build, run, test and vet that take a
// value.
var goValueFlags = map[string]bool{
	"C": true, "o": true, "p": true, "tags": true, "ldflags": true, "gcflags": true, "asmflags": true,
	"mod": true, "modfile": true, "overlay": true, "pkgdir": true, "toolexec": true, "exec": true,
	"covermode": true, "coverpkg": true, "coverprofile": true, "cpuprofile": true, "memprofile": true,
	"blockprofile": true, "mutexprofile": true, "trace": true, "outputdir": true, "timeout": true,
	"count": true, "cpu": true, "parallel": true, "run": true, "bench": true, "benchtime": true,
	"fuzz": true, "fuzztime": true, "fuzzminimizetime": true, "list": true, "skip": true, "shuffle": true,
	"vet": true,
}

// checkGoCommand checks go run, tool, test, vet, build, list and generate.
func (c *Checker) checkGoCommand(cwd string, args []string) []string {
	if len(args) == 0 {
		return nil
	}
	sub, args := args[0], args[1:]
	if sub == "tool" {
		if len(args) > 0 && c.commands[args[0]] != "" {
			return c.checkProgram(c.commands[args[0]], args[0], args[1:])
		}
		return nil
	}
	flags := map[string]string{}
	var pkgs []string
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "-args" || a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			pkgs = append(pkgs, a)
			if sub == "run" {
				i++
				break // the rest are the program's arguments
			}
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if goValueFlags[name] && !hasVal && i+1 < len(args) {
			i++
			val = args[i]
		}
		flags[name] = val
	}
	var msgs []string
	var dirs []string
	for _, p := range pkgs {
		d, msg := c.packageDir(cwd, p)
		if msg != "" {
			msgs = append(msgs, fmt.Sprintf("go %s %s: %s", sub, p, msg))
		}
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	switch sub {
	case "run":
		if len(dirs) == 1 && len(msgs) == 0 && !strings.HasSuffix(pkgs[0], ".go") {
			msgs = append(msgs, c.checkProgram(dirs[0], filepath.Base(dirs[0]), args[i:])...)
		}
	case "test":
		for _, f := range []struct{ flag, prefix string }{{"run", "Test|Example|Fuzz"}, {"bench", "Benchmark"}, {"fuzz", "Fuzz"}} {
			if pat, ok := flags[f.flag]; ok && len(dirs) > 0 {
				if msg := matchTests(dirs, f.flag, pat, f.prefix); msg != "" {
					msgs = append(msgs, msg)
				}
			}
		}
	}
	return msgs
}

// packageDir resolves a package argument of the go command run in cwd to
// its directory (for p/..., the directory of p), or says why it does not
// exist. Packages outside the repository resolve to "".
func (c *Checker) packageDir(cwd, p string) (string, string) {
	if strings.Contains(p, "@") || strings.Contains(p, "$") {
		return "", ""
	}
	rest, recursive := strings.CutSuffix(p, "/...")
	if p == "..." {
		rest, recursive = ".", true
	}
	if rest == "." || strings.HasPrefix(rest, "./") || strings.HasPrefix(rest, "../") || strings.HasSuffix(p, ".go") {
		if cwd == "?" {
			return "", ""
		}
		d := filepath.Join(c.Root, cwd, rest)
		if strings.HasSuffix(p, ".go") {
			if _, err := os.Stat(d); err != nil {
				return "", fmt.Sprintf("no file %s", c.rel(d))
			}
			return "", ""
		}
		fi, err := os.Stat(d)
		if err != nil || !fi.IsDir() {
			return "", fmt.Sprintf("no directory %s", c.rel(d))
		}
		if !recursive {
			if gos, _ := filepath.Glob(filepath.Join(d, "*.go")); len(gos) == 0 {
				return "", fmt.Sprintf("no Go package in %s", c.rel(d))
			}
		}
		return d, ""
	}
	for _, m := range c.modules {
		if rest == m.path || strings.HasPrefix(rest, m.path+"/") {
			if d, ok := c.dirOf[rest]; ok {
				return d, ""
			}
			d := filepath.Join(m.dir, strings.TrimPrefix(strings.TrimPrefix(rest, m.path), "/"))
			if fi, err := os.Stat(d); recursive && err == nil && fi.IsDir() {
				return d, ""
			}
			return "", fmt.Sprintf("no package %s in module %s", rest, m.path)
		}
	}
	return "", ""
}

var testFuncRE = regexp.MustCompile(`(?m)^func ((?:Test|Benchmark|Example|Fuzz)\w*)\(`)

// matchTests says what is wrong when the pattern of go test's -run, -bench
// or -fuzz matches none of the tests of the packages in dirs (subtests and
// patterns that match everything or nothing are not checked).
func matchTests(dirs []string, flag, pat, prefix string) string {
	top := pat
	if i := strings.IndexByte(pat, '/'); i >= 0 {
		top = pat[:i]
	}
	re, err := regexp.Compile(top)
	if err != nil {
		return fmt.Sprintf("go test -%s %q: not a regular expression: %v", flag, pat, err)
	}
	if re.MatchString("") || top == "^$" {
		return ""
	}
	kinds := regexp.MustCompile(`^(?:` + prefix + `)`)
	var names []string
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if e.IsDir() && p != d && (e.Name() == "testdata" || strings.HasPrefix(e.Name(), ".")) {
				return filepath.SkipDir
			}
			if !strings.HasSuffix(p, "_test.go") {
				return nil
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			for _, m := range testFuncRE.FindAllStringSubmatch(string(src), -1) {
				if kinds.MatchString(m[1]) {
					names = append(names, m[1])
				}
			}
			return nil
		})
	}
	for _, n := range names {
		if re.MatchString(n) {
			return ""
		}
	}
	return fmt.Sprintf("go test -%s %q matches no test function of the packages named", flag, pat)
}

// program is what a command of the repository accepts, as its -h output
// lists it.
type program struct {
	verbs map[string]bool            // sub-commands; nil when it has none
	flags map[string]map[string]bool // verb ("" without verbs) -> flag -> takes a value
	help  bool                       // "NAME help" is accepted
	err   error
}

var (
	flagLineRE = regexp.MustCompile(`^\s+-([A-Za-z0-9][\w.-]*)(?: +(\S+))?`)
	verbLineRE = regexp.MustCompile(`^\s+([a-z][\w-]*)\s`)
)

// loadProgram builds the main package in dir and reads its usage.
func (c *Checker) loadProgram(dir, name string) *program {
	if p, ok := c.programs[dir]; ok {
		return p
	}
	p := &program{flags: map[string]map[string]bool{}}
	c.programs[dir] = p
	bin := filepath.Join(c.Tmp, fmt.Sprintf("%s-%d", name, len(c.programs)))
	if _, err := c.goCmd(dir, "build", "-o", bin, "."); err != nil {
		p.err = err
		return p
	}
	usage := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	top, err := usage("-h")
	if err != nil && !strings.Contains(top, "Usage") {
		p.err = fmt.Errorf("%s -h: %v\n%s", name, err, top)
		return p
	}
	inCommands := false
	for _, l := range strings.Split(top, "\n") {
		switch {
		case strings.TrimSpace(l) == "Commands:":
			inCommands = true
			p.verbs = map[string]bool{}
		case strings.TrimSpace(l) == "":
			inCommands = false
		case inCommands:
			if m := verbLineRE.FindStringSubmatch(l); m != nil {
				p.verbs[m[1]] = true
			}
		}
	}
	if p.verbs == nil {
		p.flags[""] = parseFlags(top)
		return p
	}
	for v := range p.verbs {
		out, _ := usage(v, "-h")
		p.flags[v] = parseFlags(out)
	}
	_, err = usage("help")
	p.help = err == nil
	return p
}

// parseFlags reads the flags of a flag.PrintDefaults listing.
func parseFlags(usage string) map[string]bool {
	flags := map[string]bool{}
	for _, l := range strings.Split(usage, "\n") {
		if m := flagLineRE.FindStringSubmatch(l); m != nil {
			flags[m[1]] = m[2] != ""
		}
	}
	return flags
}

// checkProgram checks the sub-command and flags of a run of the command
// built from dir.
func (c *Checker) checkProgram(dir, name string, args []string) []string {
	p := c.loadProgram(dir, name)
	if p.err != nil {
		return []string{p.err.Error()}
	}
	cmdName := name
	flags := p.flags[""]
	if p.verbs != nil {
		var all []string
		for v := range p.verbs {
			all = append(all, v)
		}
		sort.Strings(all)
		switch {
		case len(args) == 0:
			return nil // the command named, not run
		case args[0] == "help" && p.help:
			return nil
		case strings.HasPrefix(args[0], "-"):
			if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
				return nil
			}
			return []string{fmt.Sprintf("%s %s: the command comes first (%s)", name, args[0], strings.Join(all, ", "))}
		case !p.verbs[args[0]]:
			return []string{fmt.Sprintf("%s has no command %q (its commands: %s)", name, args[0], strings.Join(all, ", "))}
		}
		cmdName += " " + args[0]
		flags = p.flags[args[0]]
		args = args[1:]
	}
	var msgs []string
	for i := 0; i < len(args); i++ {
		a := strings.TrimRight(strings.TrimLeft(args[i], "["), "]") // [-flag VALUE] of a synopsis
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			break // the flag package stops at the first argument that is not a flag
		}
		fl, _, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if fl == "h" || fl == "help" {
			continue
		}
		takes, ok := flags[fl]
		if !ok {
			var all []string
			for f := range flags {
				all = append(all, "-"+f)
			}
			sort.Strings(all)
			msgs = append(msgs, fmt.Sprintf("%s has no flag -%s (its flags: %s)", cmdName, fl, strings.Join(all, " ")))
			continue
		}
		if takes && !hasVal {
			i++
		}
	}
	return msgs
}
