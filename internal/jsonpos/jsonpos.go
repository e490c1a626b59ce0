// Package jsonpos turns byte offsets in JSON documents into the line:column
// positions that error messages show.
package jsonpos

import "bytes"

// LineCol returns the 1-based line and column of byte offset off in data.
// Columns count bytes. An offset past the end is taken as the end.
func LineCol(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)))
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}
