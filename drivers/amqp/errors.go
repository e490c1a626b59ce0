package amqp

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// Errors of the AMQP driver. Test for them with errors.Is.
var (
	// ErrCredentials: the broker refused the URL's user name or password
	// (or the user may not use the vhost).
	ErrCredentials = errors.New("amqp: access refused (check the URL's user, password and vhost)")
	// ErrUnreachable: no node of the URL could be connected to. The error
	// is a *DialError naming every node and its cause.
	ErrUnreachable = errors.New("amqp: broker unreachable")
	// ErrMismatch: an exchange or queue exists on the broker with other
	// settings than the URL asks for. The error is a *MismatchError.
	ErrMismatch = errors.New("amqp: existing exchange or queue has other settings")
)

// DialError reports that none of the URL's nodes could be connected to.
// It never contains the password.
type DialError struct {
	Addrs []string // host:port of each node tried
	Errs  []error  // the cause for each node
}

// Error lists every node tried with its cause.
func (e *DialError) Error() string {
	var b strings.Builder
	b.WriteString("amqp: cannot connect to broker: ")
	for i, a := range e.Addrs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %v", a, e.Errs[i])
	}
	return b.String()
}

// Unwrap returns ErrUnreachable and the causes.
func (e *DialError) Unwrap() []error { return append([]error{ErrUnreachable}, e.Errs...) }

// MismatchError reports an exchange or queue that already exists with other
// settings, and the URL option that makes the driver agree with it.
type MismatchError struct {
	Kind   string // "exchange" or "queue"
	Name   string // its name
	Arg    string // the broker's name for the setting, e.g. "durable", "x-queue-type"
	Option string // the URL option that sets it, empty when none does
	Detail string // the broker's message
}

// Error names the exchange or queue, the setting that differs and the
// URL option that fixes it.
func (e *MismatchError) Error() string {
	fix := "delete it or use another name"
	if e.Option != "" {
		fix = fmt.Sprintf("set the URL option %q to match it, or delete it", e.Option)
	}
	return fmt.Sprintf("amqp: %s %q exists with a different %s (%s); %s", e.Kind, e.Name, e.Arg, e.Detail, fix)
}

// Unwrap returns ErrMismatch.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

var inequivalent = regexp.MustCompile(`inequivalent arg '([^']+)'`)

// mismatch turns a 406 PRECONDITION_FAILED from a declare into a
// *MismatchError, and returns other errors as they are.
func mismatch(err error, kind, name, exchangeOption string) error {
	var ae *amqp091.Error
	if !errors.As(err, &ae) || ae.Code != amqp091.PreconditionFailed {
		return err
	}
	arg := "setting"
	if m := inequivalent.FindStringSubmatch(ae.Reason); m != nil {
		arg = m[1]
	}
	opt := ""
	switch arg {
	case "durable":
		opt = "durable"
		if kind == "exchange" && exchangeOption != "retry_exchange" { // the retry exchange follows the queues
			opt = "exchange_durable"
		}
	case "x-queue-type":
		opt = "queue_type"
	case "x-delivery-limit":
		opt = "max_attempts"
	case "x-dead-letter-exchange":
		opt = "dead_letter_exchange"
	case "type":
		if kind == "exchange" {
			opt = exchangeOption // another name avoids the clash
		}
	}
	// A group queue's arguments are all set by queue_type (classic queues
	// get none): an argument present on one side only means the types
	// differ, whichever argument the broker happened to compare first.
	if kind == "queue" && strings.HasPrefix(arg, "x-") && (strings.Contains(ae.Reason, "received none") || strings.Contains(ae.Reason, "current is none")) {
		opt = "queue_type"
	}
	return &MismatchError{Kind: kind, Name: name, Arg: arg, Option: opt, Detail: ae.Reason}
}

// isPermanent reports whether a topology error will not go away by retrying
// (access refused, settings mismatch).
func isPermanent(err error) bool {
	if errors.Is(err, ErrMismatch) {
		return true
	}
	var ae *amqp091.Error
	return errors.As(err, &ae) && (ae.Code == amqp091.AccessRefused || ae.Code == amqp091.PreconditionFailed || ae.Code == amqp091.NotAllowed)
}
