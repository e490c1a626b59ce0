package doccheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// root is the repository root.
const root = "../.."

// guides are the Markdown files the check reads: the README and every
// guide under docs/.
func guides(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files[1:])
	return files
}

func parseFile(t *testing.T, file string) *Doc {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(file, src)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var (
	checkerOnce sync.Once
	checker     *Checker
	checkerErr  error
)

// newChecker is one Checker for the package's tests: listing the packages
// and building the commands takes a few seconds.
func newChecker(t *testing.T) *Checker {
	t.Helper()
	checkerOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			checkerErr = err
			return
		}
		abs, err := filepath.Abs(root)
		if err != nil {
			checkerErr = err
			return
		}
		tmp, err := os.MkdirTemp("", "doccheck")
		if err != nil {
			checkerErr = err
			return
		}
		checker, checkerErr = New(abs, goTool, tmp)
	})
	if checkerErr != nil {
		t.Fatalf("the go command is needed to check the guides: %v", checkerErr)
	}
	return checker
}

func TestMain(m *testing.M) {
	code := m.Run()
	if checker != nil {
		os.RemoveAll(checker.Tmp)
	}
	os.Exit(code)
}

// TestGuides checks the README and docs/*.md against the code: Go blocks
// compile, commands exist with their flags, links resolve.
func TestGuides(t *testing.T) {
	c := newChecker(t)
	var docs []*Doc
	for _, f := range guides(t) {
		docs = append(docs, parseFile(t, f))
	}
	for _, p := range c.Check(docs) {
		t.Error(p)
	}
}

// TestReadmeMap checks that the README links every guide in docs/ and stays
// short.
func TestReadmeMap(t *testing.T) {
	readme := parseFile(t, "README.md")
	linked := map[string]bool{}
	for _, l := range readme.Links {
		path, _, _ := strings.Cut(l.Target, "#")
		linked[filepath.Clean(path)] = true
	}
	for _, g := range guides(t)[1:] {
		if !linked[filepath.Clean(g)] {
			t.Errorf("README.md does not link %s: add it to the table of the Documentation section", g)
		}
	}
	fi, err := os.Stat(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 12<<10 {
		t.Errorf("README.md is %d bytes, more than 12 KB: move reference material to docs/ or a package doc", fi.Size())
	}
}
