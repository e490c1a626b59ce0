package schema

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ReadDir reads every *.json file of fsys, a schema directory, into the
// form LoadFiles takes (slash-separated path -> content). Files and
// directories whose names start with "." or "_" are skipped. A file that is
// a symbolic link is read only when it leads, by a relative path, to a file
// inside the directory; otherwise ReadDir fails with an ErrorList of
// *Error wrapping ErrOutsideDir that name them (a link to /etc/passwd is
// never read).
func ReadDir(fsys fs.FS) (map[string][]byte, error) {
	var paths []string
	var linkErrs ErrorList
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := path.Base(p)
		if p != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if e := checkLink(fsys, p); e != nil {
				linkErrs = append(linkErrs, e)
				return nil
			}
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading schema directory: %w", err)
	}
	if len(linkErrs) > 0 {
		return nil, linkErrs
	}
	sort.Strings(paths)
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		files[p] = b
	}
	return files, nil
}

// maxLinks bounds the symbolic links followed for one file, as the OS does.
const maxLinks = 40

// checkLink checks the symbolic link p of fsys: nil when it leads, through
// any further links, to a file inside fsys; else an *Error wrapping
// ErrOutsideDir that names p and the target. Links are resolved one path
// element at a time, so ".." after a link is the parent of the link's
// target, as for the OS. An absolute target is refused even when it
// happens to lie inside the directory: fsys does not know its own place.
func checkLink(fsys fs.FS, p string) *Error {
	refuse := func(msg string) *Error {
		return &Error{Kind: ErrOutsideDir, File: p, Msg: msg, Hint: "copy the file into the schema directory, or make the link relative and keep its target inside the directory"}
	}
	rl, ok := fsys.(fs.ReadLinkFS)
	if !ok {
		return refuse("is a symbolic link, and this file system cannot tell where it leads: refused")
	}
	todo := strings.Split(p, "/") // path elements still to resolve
	var done []string             // resolved elements: real directories inside fsys
	links := 0
	via := "" // the last link followed, "name -> target"
	for len(todo) > 0 {
		el := todo[0]
		todo = todo[1:]
		switch el {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return refuse(fmt.Sprintf("is a symbolic link that leads outside the schema directory (%s): refused, a schema set reads only files inside its directory", via))
			}
			done = done[:len(done)-1]
			continue
		}
		cur := path.Join(append(done, el)...)
		fi, err := rl.Lstat(cur)
		if err != nil {
			return refuse(fmt.Sprintf("is a symbolic link that leads to %s, which cannot be read: %v", cur, err))
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = append(done, el)
			continue
		}
		if links++; links > maxLinks {
			return refuse("is a symbolic link: too many levels of symbolic links")
		}
		target, err := rl.ReadLink(cur)
		if err != nil {
			return refuse(fmt.Sprintf("is a symbolic link that cannot be read: %v", err))
		}
		target = filepath.ToSlash(target)
		via = cur + " -> " + target
		if path.IsAbs(target) || filepath.IsAbs(target) || filepath.VolumeName(target) != "" {
			return refuse(fmt.Sprintf("is a symbolic link to %q, an absolute path: refused (a schema set reads only files inside its directory)", target))
		}
		// The target is relative to the link's directory, done.
		todo = append(strings.Split(target, "/"), todo...)
	}
	return nil
}
