// Package jsonstream reads the JSON values of an input one after the other
// (a single document, JSON Lines, or concatenated documents), holding one
// value at a time in memory, with the line and column of each value and of
// each syntax error. distgen validate and distctl publish read their input
// through it.
package jsonstream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Stream reads the JSON values of one input one after the other. It
// holds in memory only the value being read and the decoder's small
// read-ahead, never the whole input: white space between values is skipped
// byte by byte, and the rest of a bad line is discarded as it is read.
type Stream struct {
	br        *bufio.Reader
	pending   []byte // bytes read ahead by the last decoder, not yet consumed
	line, col int    // position of the next byte, 1-based
	lines     bool   // JSON Lines: after a syntax error, go on with the next line
	done      bool   // a syntax error ended a file that is not JSON Lines
}

// New returns a Stream reading r. With lines (JSON Lines input), reading
// goes on with the next line after a syntax error; without, a syntax error
// ends the input (the rest of a multi-line document cannot be trusted).
func New(r io.Reader, lines bool) *Stream {
	return &Stream{br: bufio.NewReader(r), line: 1, col: 1, lines: lines}
}

// Value is one value read: its JSON text and where it starts (1-based line
// and byte column), or, when Syntax is set, a syntax error ("not JSON: ...")
// and where it is.
type Value struct {
	Raw       json.RawMessage
	Line, Col int
	Syntax    string
}

// Next returns the next value; ok is false at the end of the input. err is
// set only when the input cannot be read.
func (s *Stream) Next() (v Value, ok bool, err error) {
	if s.done {
		return v, false, nil
	}
	if more, err := s.skipSpace(); !more || err != nil {
		return v, false, err
	}
	line, col := s.line, s.col
	tr := &tapeReader{s: s}
	dec := json.NewDecoder(tr)
	var raw json.RawMessage
	derr := dec.Decode(&raw)
	tape := tr.tape // every byte the decoder read, from the value's start
	if derr == nil {
		off := int(dec.InputOffset())
		s.consume(tape, off)
		return Value{Raw: raw, Line: line, Col: col}, true, nil
	}
	var se *json.SyntaxError
	if !errors.As(derr, &se) && !errors.Is(derr, io.ErrUnexpectedEOF) {
		return v, false, derr // a read error
	}
	at := len(tape)
	if se != nil {
		at = int(se.Offset)
	}
	nl := bytes.IndexByte(tape, '\n')
	if s.lines && (se == nil || nl >= 0 && at > nl) {
		// The error lies past the value's first line, or the input ended:
		// in JSON Lines input the line alone is the value, and it ends too
		// early. Report it at the end of the line; go on from there.
		end := len(tape)
		if nl >= 0 {
			end = nl
		}
		eline, ecol := position(line, col, tape, end)
		s.consume(tape, end)
		return Value{Line: eline, Col: ecol, Syntax: "not JSON: unexpected end of JSON input"}, true, nil
	}
	eline, ecol := position(line, col, tape, max(at-1, 0))
	v = Value{Line: eline, Col: ecol, Syntax: "not JSON: " + derr.Error()}
	if !s.lines {
		s.done = true // the rest of a multi-line document cannot be trusted
		return v, true, nil
	}
	// JSON Lines: go on with the next line.
	if nl >= 0 {
		s.consume(tape, nl+1)
		return v, true, nil
	}
	s.consume(tape, len(tape))
	for {
		c, err := s.readByte()
		if err == io.EOF {
			return v, true, nil
		}
		if err != nil {
			return v, false, err
		}
		s.advance(c)
		if c == '\n' {
			return v, true, nil
		}
	}
}

// position returns the line and column of tape[off], tape starting at
// line:col.
func position(line, col int, tape []byte, off int) (int, int) {
	off = min(off, len(tape))
	n := bytes.Count(tape[:off], []byte{'\n'})
	if n == 0 {
		return line, col + off
	}
	return line + n, off - bytes.LastIndexByte(tape[:off], '\n')
}

// consume marks tape[:off] as read (moving the position past it) and gives
// tape[off:] back to be read again.
func (s *Stream) consume(tape []byte, off int) {
	for _, c := range tape[:off] {
		s.advance(c)
	}
	if rest := tape[off:]; len(rest) > 0 {
		s.pending = append(append(make([]byte, 0, len(rest)+len(s.pending)), rest...), s.pending...)
	}
}

func (s *Stream) advance(c byte) {
	if c == '\n' {
		s.line++
		s.col = 1
	} else {
		s.col++
	}
}

func (s *Stream) readByte() (byte, error) {
	if len(s.pending) > 0 {
		c := s.pending[0]
		s.pending = s.pending[1:]
		return c, nil
	}
	return s.br.ReadByte()
}

// skipSpace consumes white space; more is false at the end of the input.
func (s *Stream) skipSpace() (more bool, err error) {
	for {
		c, err := s.readByte()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !isSpace(c) {
			s.pending = append([]byte{c}, s.pending...)
			return true, nil
		}
		s.advance(c)
	}
}

// tapeReader feeds a json.Decoder from the stream and records what it
// read, so that what it read beyond its value can be given back.
type tapeReader struct {
	s    *Stream
	tape []byte
}

func (t *tapeReader) Read(p []byte) (int, error) {
	if len(t.s.pending) > 0 {
		n := copy(p, t.s.pending)
		t.s.pending = t.s.pending[n:]
		t.tape = append(t.tape, p[:n]...)
		return n, nil
	}
	n, err := t.s.br.Read(p)
	t.tape = append(t.tape, p[:n]...)
	return n, err
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
