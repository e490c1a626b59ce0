package distributer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/distributer/distributer/driver"
	"github.com/distributer/distributer/topic"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrClosed: the Distributer or Subscription is closed.
	ErrClosed = driver.ErrClosed
	// ErrUnknownScheme: no driver is registered for the URL's scheme. The
	// error is an *UnknownSchemeError.
	ErrUnknownScheme = errors.New("unknown URL scheme")
	// ErrInvalidURL: the URL is malformed or has an unknown or invalid query
	// parameter.
	ErrInvalidURL = driver.ErrInvalidURL
	// ErrInvalidJSON: a message body is not valid JSON.
	ErrInvalidJSON = errors.New("invalid JSON")
	// ErrInvalidTopic: a topic or pattern is malformed. The error is a
	// *topic.Error.
	ErrInvalidTopic = topic.ErrInvalid
	// ErrRejected marks a handler error that dead-letters the message at
	// once instead of redelivering it. Build one with Reject.
	ErrRejected = driver.ErrReject
	// ErrNoSchema: validation is on and the topic has no schema.
	ErrNoSchema = errors.New("no schema for topic")
	// ErrInvalidMessage is wrapped by validation errors. A handler error
	// that wraps it is reported (OnInvalid, log) and dead-letters the
	// message at once, like Reject.
	ErrInvalidMessage = errors.New("invalid message")
	// ErrTooLarge: a message body is larger than the URL option
	// max_message_bytes. The error is a *TooLargeError.
	ErrTooLarge = errors.New("message too large")
	// ErrUnavailable: Open could not reach the broker, for a reason that
	// waiting may cure (connection refused or reset, no answer, node
	// starting); Open retried it until open_wait or its context ended.
	ErrUnavailable = driver.ErrUnavailable
)

// TooLargeError reports a message body larger than the URL option
// max_message_bytes: refused by Publish before anything is sent, or
// dead-lettered on delivery before it is decoded or validated.
type TooLargeError struct {
	Topic    string
	Size     int  // the body's size in bytes
	Limit    int  // max_message_bytes
	Received bool // true for a delivered message, false for a publish
}

// Error names the topic, the size, the limit and the option that sets it.
func (e *TooLargeError) Error() string {
	what := "publish to"
	if e.Received {
		what = "message on"
	}
	return fmt.Sprintf("distributer: %s %q: body of %d bytes is larger than max_message_bytes=%d (a URL option; raise it on both publisher and subscriber to allow larger messages)",
		what, e.Topic, e.Size, e.Limit)
}

// Unwrap returns ErrTooLarge.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// UnknownSchemeError reports a URL scheme with no registered driver.
type UnknownSchemeError struct {
	Scheme     string   // the scheme asked for
	Registered []string // the schemes that are registered, sorted
	Hint       string   // how the URL may have been meant; may be empty
}

// Error names the scheme and lists the registered ones.
func (e *UnknownSchemeError) Error() string {
	s := fmt.Sprintf("distributer: unknown URL scheme %q (registered: %s; import the driver package to register its scheme)",
		e.Scheme, strings.Join(e.Registered, ", "))
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

// Unwrap returns ErrUnknownScheme.
func (e *UnknownSchemeError) Unwrap() error { return ErrUnknownScheme }

// PanicError is the error a handler's panic is turned into. The message is
// then treated as not processed.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the stack of the panicking goroutine
}

// Error reports the panic value (the stack is in Stack).
func (e *PanicError) Error() string { return fmt.Sprintf("handler panicked: %v", e.Value) }

// Reject wraps err so that the message is dead-lettered at once rather than
// redelivered. Return it from a handler for messages that can never succeed.
func Reject(err error) error {
	if err == nil {
		err = errors.New("rejected by handler")
	}
	return &rejectError{err}
}

type rejectError struct{ err error }

func (e *rejectError) Error() string   { return e.err.Error() }
func (e *rejectError) Unwrap() []error { return []error{e.err, ErrRejected} }

// jsonError reports a body that is not valid JSON.
type jsonError struct{ topic string }

func (e *jsonError) Error() string {
	return fmt.Sprintf("distributer: publish to %q: body is not valid JSON", e.topic)
}
func (e *jsonError) Unwrap() error { return ErrInvalidJSON }
