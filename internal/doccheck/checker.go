package doccheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Problem is something a guide says that is not true of the code.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Checker checks parsed guides against the repository at Root. The File of
// each Doc is relative to Root.
type Checker struct {
	Root string // the repository root: the main module's directory
	Go   string // the go command
	Tmp  string // a directory for the programs it builds

	modules  []module          // the repository's modules, the main one first
	byName   map[string]string // package name -> import path (repository, then std)
	dirOf    map[string]string // import path -> directory, repository packages
	commands map[string]string // command name (last path element) -> directory of a main package
	programs map[string]*program
}

type module struct{ path, dir string }

// New lists the packages of the repository's modules (every go.mod under
// root) and of the standard library.
func New(root, goCmd, tmp string) (*Checker, error) {
	c := &Checker{Root: root, Go: goCmd, Tmp: tmp, byName: map[string]string{}, dirOf: map[string]string{},
		commands: map[string]string{}, programs: map[string]*program{}}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && p != root && (strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") || e.Name() == "testdata") {
			return filepath.SkipDir
		}
		if e.Name() == "go.mod" {
			dir := filepath.Dir(p)
			out, err := c.goCmd(dir, "list", "-m", "-f", "{{.Path}}")
			if err != nil {
				return err
			}
			c.modules = append(c.modules, module{strings.TrimSpace(out), dir})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(c.modules, func(i, j int) bool { return len(c.modules[i].dir) < len(c.modules[j].dir) })
	if len(c.modules) == 0 || c.modules[0].dir != root {
		return nil, fmt.Errorf("doccheck: no go.mod in %s", root)
	}
	repo := map[string][]string{}
	for _, m := range c.modules {
		out, err := c.goCmd(m.dir, "list", "-f", "{{.Name}}\t{{.ImportPath}}\t{{.Dir}}", "./...")
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Split(l, "\t")
			if len(f) != 3 {
				continue
			}
			c.dirOf[f[1]] = f[2]
			if f[0] == "main" {
				c.commands[filepath.Base(f[1])] = f[2]
				continue
			}
			repo[f[0]] = append(repo[f[0]], f[1])
		}
	}
	out, err := c.goCmd(root, "list", "-f", "{{.Name}}\t{{.ImportPath}}", "std")
	if err != nil {
		return nil, err
	}
	std := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		name, path, _ := strings.Cut(l, "\t")
		if name == "main" || strings.Contains(path, "internal") || strings.HasPrefix(path, "vendor/") {
			continue
		}
		std[name] = append(std[name], path)
	}
	for _, names := range []map[string][]string{std, repo} { // the repository's names win
		for name, paths := range names {
			sort.Slice(paths, func(i, j int) bool {
				ii, ij := strings.Contains(paths[i], "/internal/"), strings.Contains(paths[j], "/internal/")
				if ii != ij {
					return ij
				}
				if len(paths[i]) != len(paths[j]) {
					return len(paths[i]) < len(paths[j])
				}
				return paths[i] < paths[j]
			})
			c.byName[name] = paths[0]
		}
	}
	return c, nil
}

// goCmd runs the go command in dir and returns its standard output.
func (c *Checker) goCmd(dir string, args ...string) (string, error) {
	cmd := exec.Command(c.Go, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return string(out), nil
}

// rel is p relative to the repository root, for messages.
func (c *Checker) rel(p string) string {
	if r, err := filepath.Rel(c.Root, p); err == nil {
		return r
	}
	return p
}

// Check runs every check on the guides.
func (c *Checker) Check(docs []*Doc) []Problem {
	var ps []Problem
	ps = append(ps, c.CheckLinks(docs)...)
	ps = append(ps, c.CheckJSON(docs)...)
	ps = append(ps, c.CheckGo(docs)...)
	ps = append(ps, c.CheckCommands(docs)...)
	return ps
}

// CheckLinks checks that every relative link resolves to a file or
// directory of the repository and every anchor into a Markdown file to one
// of its headings.
func (c *Checker) CheckLinks(docs []*Doc) []Problem {
	anchors := map[string]map[string]bool{}
	for _, d := range docs {
		anchors[filepath.Clean(d.File)] = d.Anchors
	}
	var ps []Problem
	for _, d := range docs {
		for _, l := range d.Links {
			t := l.Target
			if i := strings.IndexByte(t, ':'); i > 0 && !strings.ContainsAny(t[:i], "/#.") {
				continue // a URL: https:, mailto:
			}
			path, frag, _ := strings.Cut(t, "#")
			target := filepath.Clean(d.File) // relative to the root, like d.File
			switch {
			case path == "":
			case strings.HasPrefix(path, "/"):
				target = filepath.Clean(strings.TrimPrefix(path, "/"))
			default:
				target = filepath.Join(filepath.Dir(d.File), filepath.FromSlash(path))
			}
			if target == ".." || strings.HasPrefix(target, "../") || filepath.IsAbs(target) {
				ps = append(ps, Problem{l.File, l.Line, fmt.Sprintf("link %q leaves the repository", t)})
				continue
			}
			if path == "" {
				if frag != "" && !d.Anchors[frag] {
					ps = append(ps, Problem{l.File, l.Line, fmt.Sprintf("link %q: %s has no heading with anchor #%s", t, d.File, frag)})
				}
				continue
			}
			if _, err := os.Stat(filepath.Join(c.Root, target)); err != nil {
				ps = append(ps, Problem{l.File, l.Line, fmt.Sprintf("link %q: %s does not exist", t, target)})
				continue
			}
			if frag == "" || !strings.HasSuffix(target, ".md") {
				continue
			}
			a, ok := anchors[target]
			if !ok {
				src, err := os.ReadFile(filepath.Join(c.Root, target))
				if err != nil {
					return append(ps, Problem{l.File, l.Line, err.Error()})
				}
				other, err := Parse(target, src)
				if err != nil {
					ps = append(ps, Problem{l.File, l.Line, err.Error()})
					continue
				}
				a = other.Anchors
				anchors[target] = a
			}
			if !a[frag] {
				ps = append(ps, Problem{l.File, l.Line, fmt.Sprintf("link %q: %s has no heading with anchor #%s", t, target, frag)})
			}
		}
	}
	return ps
}

// CheckJSON checks that ```json blocks not marked as fragments parse.
func (c *Checker) CheckJSON(docs []*Doc) []Problem {
	var ps []Problem
	for _, d := range docs {
		for _, b := range d.Blocks {
			if b.Lang != "json" || b.Fragment {
				continue
			}
			dec := json.NewDecoder(strings.NewReader(b.Text))
			for {
				var v any
				err := dec.Decode(&v)
				if err == nil {
					continue
				}
				if !errors.Is(err, io.EOF) {
					ps = append(ps, Problem{b.File, b.Line, fmt.Sprintf("json block does not parse: %v (fix it, or mark a deliberately partial block with <!-- fragment -->)", err)})
				}
				break
			}
		}
	}
	return ps
}
