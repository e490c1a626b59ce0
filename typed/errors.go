package typed

import (
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/schema"
)

// ValidationError reports a message body that does not satisfy its topic's
// schema. errors.Is(err, distributer.ErrInvalidMessage) is true for it.
type ValidationError struct {
	// Topic is the topic the message was published to or delivered on; ""
	// for a value checked with Schemas.ValidateRef.
	Topic string
	// Schema is the schema reference a value was checked against with
	// Schemas.ValidateRef; "" for a topic's message.
	Schema string
	// Causes are the failing checks, one per failing instance location and
	// keyword, in the order the validator found them.
	Causes []Cause
	// Err is set when the body could not be checked at all (it is not JSON:
	// then it wraps distributer.ErrInvalidJSON).
	Err error
}

// Cause is one failing check of a ValidationError.
type Cause struct {
	// InstanceLocation is the JSON pointer of the failing value in the body,
	// "" for the whole body ("/data/gender", "/metadata/user_id").
	InstanceLocation string
	// KeywordLocation is the path of the failing keyword in the schema, as
	// evaluated ("/properties/data/$ref/properties/gender/enum").
	KeywordLocation string
	// AbsoluteKeywordLocation is the schema file and JSON pointer of the
	// failing keyword ("user.json#/properties/gender/enum").
	AbsoluteKeywordLocation string
	// Keyword is the failing keyword ("enum", "required", "type", ...).
	Keyword string
	// Message says what is wrong.
	Message string
}

// maxShown is how many causes Error lists before "and N more".
const maxShown = 3

// Error lists the topic and the first causes.
func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Topic == "" && e.Schema != "" {
		fmt.Fprintf(&b, "invalid value for schema %q", e.Schema)
	} else {
		fmt.Fprintf(&b, "invalid message for topic %q", e.Topic)
	}
	for i, c := range e.Causes {
		if i == maxShown {
			fmt.Fprintf(&b, "; and %d more", len(e.Causes)-maxShown)
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// String formats c as "at /data/gender: value must be one of 0, 1, 2 (enum)".
func (c Cause) String() string {
	s := "at " + pointerOrRoot(c.InstanceLocation) + ": " + c.Message
	if c.Keyword != "" {
		s += " (" + c.Keyword + ")"
	}
	return s
}

// Is reports whether target is distributer.ErrInvalidMessage.
func (e *ValidationError) Is(target error) bool { return target == distributer.ErrInvalidMessage }

// Unwrap returns Err, nil unless the body could not be checked at all.
func (e *ValidationError) Unwrap() error { return e.Err }

func pointerOrRoot(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

// leaves flattens a jsonschema error tree into its leaves: the checks that
// actually failed, without the "doesn't validate with" wrappers above them.
func leaves(ve *jsonschema.ValidationError, out []Cause) []Cause {
	if len(ve.Causes) == 0 {
		return append(out, Cause{
			InstanceLocation:        ve.InstanceLocation,
			KeywordLocation:         ve.KeywordLocation,
			AbsoluteKeywordLocation: strings.ReplaceAll(ve.AbsoluteKeywordLocation, schema.BaseURL, ""),
			Keyword:                 keyword(ve.KeywordLocation),
			Message:                 ve.Message,
		})
	}
	for _, c := range ve.Causes {
		out = leaves(c, out)
	}
	return out
}

// keyword returns the keyword a keyword location ends with: the last
// segment that is not an array index ("/allOf/1" -> "allOf").
func keyword(loc string) string {
	segs := strings.Split(loc, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		s := segs[i]
		if s == "" || isIndex(s) {
			continue
		}
		return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return ""
}

func isIndex(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
