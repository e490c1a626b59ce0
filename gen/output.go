package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// IsGenerated reports whether content is a file distgen wrote: its first
// line is Header.
func IsGenerated(content []byte) bool {
	line, _, _ := bytes.Cut(content, []byte("\n"))
	return string(bytes.TrimRight(line, "\r")) == Header
}

// FileDiff is one difference between generated files and a directory.
type FileDiff struct {
	Name   string // file name in the directory
	Status string // "stale" (content differs), "missing" (not on disk), "extra" (a generated file distgen no longer writes)
	Diff   string // unified-style line diff (disk -> fresh) for stale files
}

// Compare compares the freshly generated files with the directory dir. Only
// files of dir that carry Header count: other files (doc.go, tests) are
// never reported.
func Compare(dir string, files map[string][]byte) ([]FileDiff, error) {
	onDisk, err := generatedFiles(dir)
	if err != nil {
		return nil, err
	}
	var out []FileDiff
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		old, err := os.ReadFile(filepath.Join(dir, n))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out = append(out, FileDiff{Name: n, Status: "missing"})
		case err != nil:
			return nil, err
		case !bytes.Equal(old, files[n]):
			out = append(out, FileDiff{Name: n, Status: "stale", Diff: lineDiff(n, string(old), string(files[n]))})
		}
	}
	for _, n := range onDisk {
		if _, ok := files[n]; !ok {
			out = append(out, FileDiff{Name: n, Status: "extra"})
		}
	}
	return out, nil
}

func generatedFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if IsGenerated(b) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Write writes files into dir (created if needed), leaves unchanged files
// untouched and removes generated files (those carrying Header) that are no
// longer produced. It refuses to overwrite a file that is not generated.
func Write(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		old, err := os.ReadFile(p)
		if err == nil {
			if bytes.Equal(old, files[n]) {
				continue
			}
			if !IsGenerated(old) {
				return fmt.Errorf("distgen: %s exists and was not written by distgen; move it away or choose another output directory", p)
			}
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return err
		}
	}
	onDisk, err := generatedFiles(dir)
	if err != nil {
		return err
	}
	for _, n := range onDisk {
		if _, ok := files[n]; !ok {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// lineDiff returns a compact unified-style diff of two texts.
func lineDiff(name, a, b string) string {
	al := strings.SplitAfter(a, "\n")
	bl := strings.SplitAfter(b, "\n")
	// Trim the common prefix and suffix, then diff the middle by LCS.
	pre := 0
	for pre < len(al) && pre < len(bl) && al[pre] == bl[pre] {
		pre++
	}
	suf := 0
	for suf < len(al)-pre && suf < len(bl)-pre && al[len(al)-1-suf] == bl[len(bl)-1-suf] {
		suf++
	}
	am, bm := al[pre:len(al)-suf], bl[pre:len(bl)-suf]
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s (on disk)\n+++ %s (generated)\n@@ line %d @@\n", name, name, pre+1)
	if len(am)*len(bm) > 4_000_000 {
		for _, l := range am {
			sb.WriteString("-" + l)
		}
		for _, l := range bm {
			sb.WriteString("+" + l)
		}
		return ensureNL(sb.String())
	}
	n, m := len(am), len(bm)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if am[i] == bm[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && am[i] == bm[j]:
			sb.WriteString(" " + am[i])
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			sb.WriteString("+" + bm[j])
			j++
		default:
			sb.WriteString("-" + am[i])
			i++
		}
	}
	return ensureNL(sb.String())
}

func ensureNL(s string) string {
	if !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}
