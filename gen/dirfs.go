package gen

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// ErrOutsideDir: a file of the schema directory is a symbolic link whose
// target lies outside the directory. Such files are never read.
var ErrOutsideDir = errors.New("symbolic link leads outside the schema directory")

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
