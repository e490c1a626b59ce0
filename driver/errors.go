package driver

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// BatchError reports which messages of a Publish call failed. Errs has one
// entry per message, nil for those that were accepted.
type BatchError struct {
	Errs []error
}

// Error says how many messages failed and gives the first failure.
func (e *BatchError) Error() string {
	failed := 0
	var first error
	for _, err := range e.Errs {
		if err != nil {
			if first == nil {
				first = err
			}
			failed++
		}
	}
	return fmt.Sprintf("%d of %d messages not published: %v", failed, len(e.Errs), first)
}

// Unwrap returns the non-nil errors, so errors.Is and errors.As see them.
func (e *BatchError) Unwrap() []error {
	var errs []error
	for _, err := range e.Errs {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// QueryError reports a URL query parameter that is unknown or has a bad
// value. It wraps ErrInvalidURL.
type QueryError struct {
	Scheme string   // the URL's scheme
	Param  string   // the parameter's name
	Value  string   // its value, empty for an unknown parameter
	Known  []string // the parameters the driver knows, sorted
	Err    error    // why the value is bad; nil for an unknown parameter
}

// Error names the parameter and says what is wrong with it.
func (e *QueryError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%s URL: unknown query parameter %q (known: %s)", e.Scheme, e.Param, strings.Join(e.Known, ", "))
	}
	return fmt.Sprintf("%s URL: query parameter %s=%q: %v", e.Scheme, e.Param, e.Value, e.Err)
}

// Unwrap returns ErrInvalidURL and the cause.
func (e *QueryError) Unwrap() []error { return []error{ErrInvalidURL, e.Err} }

// CheckQuery returns a *QueryError for the first query parameter of u that is
// not in known, and for any parameter given more than once.
func CheckQuery(u *url.URL, known ...string) error {
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	sortedKnown := slices.Sorted(slices.Values(known))
	for _, k := range keys {
		if !slices.Contains(known, k) {
			return &QueryError{Scheme: u.Scheme, Param: k, Known: sortedKnown}
		}
		if len(q[k]) > 1 {
			return &QueryError{Scheme: u.Scheme, Param: k, Value: strings.Join(q[k], ","), Known: sortedKnown, Err: errors.New("given more than once")}
		}
	}
	return nil
}
