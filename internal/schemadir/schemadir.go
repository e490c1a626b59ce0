// Package schemadir is how the commands turn a schema directory (the
// -schemas DIR of distgen validate and distctl: its distgen.json and the
// JSON Schemas it names) into validators, and a validation failure into the
// reasons they print. Both commands go through it, so that a message is
// checked, and its failures worded, the same way whichever command looks at
// it.
package schemadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/gen"
	"github.com/distributer/distributer/schema"
	"github.com/distributer/distributer/typed"
)

// Compile loads the schema directory dir with gen.Load (the schema core)
// and compiles the schemas of its declared topics with typed.CompileSet.
// Its errors say what is wrong and where; located schema errors carry their
// paths under dir (see Errors).
func Compile(dir string) (*typed.Schemas, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("-schemas %s: not a readable directory", dir)
	}
	in, err := gen.Load(os.DirFS(dir))
	if err != nil {
		return nil, PrefixDir(err, dir)
	}
	if len(in.Topics()) == 0 {
		return nil, fmt.Errorf("%s declares no topics (add them to %s)", dir, filepath.Join(dir, gen.ManifestFile))
	}
	schemas, err := typed.CompileSet(in.Set(), in.TopicSchemas())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return schemas, nil
}

// Errors returns the located schema errors err holds (a *schema.Error or a
// schema.ErrorList): each begins with its file and line.
func Errors(err error) (schema.ErrorList, bool) {
	var list schema.ErrorList
	var one *schema.Error
	switch {
	case errors.As(err, &list):
		return list, true
	case errors.As(err, &one):
		return schema.ErrorList{one}, true
	}
	return nil, false
}

// IsLoadError reports whether err holds located schema errors (see Errors).
func IsLoadError(err error) bool {
	_, ok := Errors(err)
	return ok
}

// PrefixDir puts dir before the file paths of the schema errors in err
// (paths in a set are relative to the schema directory) and returns err.
func PrefixDir(err error, dir string) error {
	if dir == "" {
		return err
	}
	list, _ := Errors(err)
	for _, e := range list {
		if e.File != "" {
			e.File = filepath.ToSlash(filepath.Join(dir, e.File))
		}
	}
	return err
}

// Reason is one thing wrong with a message: where in the body (a JSON
// pointer, "(root)" for the whole body), the failing keyword and its place
// in the schema when a schema check failed, and what is wrong.
type Reason struct {
	Pointer string `json:"pointer"`
	Keyword string `json:"keyword,omitempty"`
	Schema  string `json:"schema,omitempty"`
	Message string `json:"message"`
}

// String is "at POINTER: MESSAGE (KEYWORD)", the form the commands print.
func (r Reason) String() string {
	s := "at " + r.Pointer + ": " + r.Message
	if r.Keyword != "" {
		s += " (" + r.Keyword + ")"
	}
	return s
}

// Reasons turns the error of schemas.Validate(topic, ...) into reasons,
// sorted by location, then keyword (stable output). A nil error has none.
func Reasons(err error, schemas *typed.Schemas, topic string) []Reason {
	if err == nil {
		return nil
	}
	var ve *typed.ValidationError
	switch {
	case errors.As(err, &ve) && len(ve.Causes) > 0:
		out := make([]Reason, 0, len(ve.Causes))
		for _, c := range ve.Causes {
			p := c.InstanceLocation
			if p == "" {
				p = "(root)"
			}
			out = append(out, Reason{Pointer: p, Keyword: c.Keyword, Schema: c.AbsoluteKeywordLocation, Message: c.Message})
		}
		sort.SliceStable(out, func(i, j int) bool {
			if out[i].Pointer != out[j].Pointer {
				return out[i].Pointer < out[j].Pointer
			}
			return out[i].Keyword < out[j].Keyword
		})
		return out
	case errors.Is(err, distributer.ErrNoSchema):
		return []Reason{{Pointer: "(root)", Message: fmt.Sprintf("no schema for topic %q (topics: %s)", topic, strings.Join(schemas.Topics(), ", "))}}
	default:
		return []Reason{{Pointer: "(root)", Message: err.Error()}}
	}
}
