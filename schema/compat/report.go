package compat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Mode says who must be able to read whom.
type Mode string

// Modes. BACKWARD: new readers read what old writers wrote (every message
// the old schema accepts, the new one accepts): upgrade the readers first.
// FORWARD: old readers read what new writers write: upgrade the writers
// first. FULL: both, in any order. The _TRANSITIVE forms hold against
// every earlier version given, not only the latest. NONE checks nothing.
const (
	Backward           Mode = "BACKWARD"
	BackwardTransitive Mode = "BACKWARD_TRANSITIVE"
	Forward            Mode = "FORWARD"
	ForwardTransitive  Mode = "FORWARD_TRANSITIVE"
	Full               Mode = "FULL"
	FullTransitive     Mode = "FULL_TRANSITIVE"
	None               Mode = "NONE"
)

// Modes lists the modes.
var Modes = []Mode{Backward, BackwardTransitive, Forward, ForwardTransitive, Full, FullTransitive, None}

// ParseMode parses a mode name (any case).
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if strings.EqualFold(s, string(m)) {
			return m, nil
		}
	}
	return "", fmt.Errorf("%w: %q (want one of %s)", ErrUsage, s, modeList())
}

func modeList() string {
	var out []string
	for _, m := range Modes {
		out = append(out, string(m))
	}
	return strings.Join(out, ", ")
}

func (m Mode) backward() bool {
	return m == Backward || m == BackwardTransitive || m == Full || m == FullTransitive
}
func (m Mode) forward() bool {
	return m == Forward || m == ForwardTransitive || m == Full || m == FullTransitive
}

// Transitive reports whether m is checked against every earlier version.
func (m Mode) Transitive() bool {
	return m == BackwardTransitive || m == ForwardTransitive || m == FullTransitive
}

// Policy decides which findings break.
type Policy string

// Policies. Strict: every finding that can make a reader reject a message
// breaks. Lenient: adding or removing an optional property under an open,
// closed or partially open content model is a warning (as Confluent's
// LENIENT policy), trading the guarantee for the freedom to evolve
// optional members.
const (
	Strict  Policy = "strict"
	Lenient Policy = "lenient"
)

// ParsePolicy parses a policy name.
func ParsePolicy(s string) (Policy, error) {
	switch strings.ToLower(s) {
	case "strict":
		return Strict, nil
	case "lenient":
		return Lenient, nil
	}
	return "", fmt.Errorf("%w: policy %q (want strict or lenient)", ErrUsage, s)
}

// ErrUsage is wrapped by errors about options.
var ErrUsage = errors.New("compat: bad option")

// Direction says whose reading a finding breaks.
type Direction string

// Directions.
const (
	NewReaders Direction = "new readers" // BACKWARD: old writers, new readers
	OldReaders Direction = "old readers" // FORWARD: new writers, old readers
)

// Severity of a finding.
type Severity string

// Severities.
const (
	Breaking Severity = "breaking"
	Warning  Severity = "warning"
)

// Finding is one change and whom it breaks.
type Finding struct {
	File     string    `json:"file"` // in the new schema set when the change is there, else the old
	Line     int       `json:"line"`
	Column   int       `json:"column"`
	Topic    string    `json:"topic"`
	Pointer  string    `json:"pointer"` // where in a message
	Rule     string    `json:"rule"`
	Severity Severity  `json:"severity"`
	Breaks   Direction `json:"breaks,omitempty"`
	Change   string    `json:"change"`
	Why      string    `json:"why"`
	Against  string    `json:"against,omitempty"` // the base compared with, when there are several
	// Witness is a message the writer's schema accepts and the reader's
	// rejects, checked by validating it against both; nil when none was
	// found (WitnessNote says so).
	Witness     json.RawMessage `json:"witness,omitempty"`
	WitnessNote string          `json:"witness_note,omitempty"`
}

// Report is the outcome of a comparison.
type Report struct {
	Findings []Finding `json:"findings"`
	Topics   int       `json:"topics"` // topics compared
	Breaking int       `json:"breaking"`
	Warnings int       `json:"warnings"`
}

// Compatible reports whether no finding breaks.
func (r *Report) Compatible() bool { return r.Breaking == 0 }

// Options of a comparison.
type Options struct {
	Mode   Mode   // default FULL; a topic's "compatibility" in distgen.json overrides it
	Policy Policy // default strict
	// NoWitness skips the search for witnesses.
	NoWitness bool
}

// Base is an earlier version to compare with.
type Base struct {
	Name   string // a directory or git revision, for messages
	Source Source
}

// Compare checks the schema set next against old, the previous version.
func Compare(old, next Source, opts Options) (*Report, error) {
	return CompareBases([]Base{{Name: "old", Source: old}}, next, opts)
}

// CompareBases checks next against earlier versions, oldest first: a
// topic whose mode is transitive against all of them, any other against
// the last.
func CompareBases(bases []Base, next Source, opts Options) (*Report, error) {
	if len(bases) == 0 {
		return nil, fmt.Errorf("%w: no base to compare with", ErrUsage)
	}
	if opts.Mode == "" {
		opts.Mode = Full
	}
	if _, err := ParseMode(string(opts.Mode)); err != nil {
		return nil, err
	}
	if opts.Policy == "" {
		opts.Policy = Strict
	}
	if _, err := ParsePolicy(string(opts.Policy)); err != nil {
		return nil, err
	}
	rep := &Report{}
	newSd := newSide(next, true, "new")
	newTopics := map[string]Topic{}
	for _, t := range next.Topics() {
		newTopics[t.Name] = t
	}
	compared := map[string]bool{}
	for bi, b := range bases {
		oldSd := newSide(b.Source, false, "old")
		for _, ot := range b.Source.Topics() {
			nt, ok := newTopics[ot.Name]
			mode := opts.Mode
			switch {
			case ok && nt.Mode != "":
				mode = nt.Mode
			case !ok && ot.Mode != "":
				mode = ot.Mode
			}
			if mode == None || (bi < len(bases)-1 && !mode.Transitive()) {
				continue
			}
			compared[ot.Name] = true
			against := ""
			if len(bases) > 1 {
				against = b.Name
			}
			if !ok {
				if mode.backward() {
					f := Finding{Topic: ot.Name, Rule: "TOPIC_REMOVED", Severity: Breaking, Breaks: NewReaders,
						Change: fmt.Sprintf("topic %q is no longer declared", ot.Name), Why: Why("TOPIC_REMOVED"), Against: against}
					f.File = ot.Schema.File
					f.Line, f.Column = b.Source.Position(ot.Schema)
					f.WitnessNote = "any message old writers publish on the topic"
					if !opts.NoWitness {
						if s, err := oldSd.set(); err == nil {
							if in, err := s.Generate(ref(ot.Schema), 1); err == nil {
								f.Witness = in.JSON()
								f.WitnessNote = "a message old writers may publish on the topic; new readers have no schema for it"
							}
						}
					}
					rep.Findings = append(rep.Findings, f)
				}
				continue
			}
			if ot.Schema != nt.Schema {
				rep.Findings = append(rep.Findings, Finding{Topic: ot.Name, Rule: "TOPIC_SCHEMA_REPLACED", Severity: Warning,
					File: nt.Schema.File, Change: fmt.Sprintf("schema %s -> %s", ot.Schema, nt.Schema), Why: Why("TOPIC_SCHEMA_REPLACED"), Against: against})
			}
			if mode.backward() {
				rep.Findings = append(rep.Findings, check(oldSd, newSd, ot, nt, NewReaders, against, opts)...)
			}
			if mode.forward() {
				rep.Findings = append(rep.Findings, check(newSd, oldSd, nt, ot, OldReaders, against, opts)...)
			}
		}
	}
	rep.Topics = len(compared)
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if f.Severity == Breaking && opts.Policy == Lenient && LenientAllows(f.Rule) {
			f.Severity = Warning
		}
		if f.Severity == Breaking {
			rep.Breaking++
		} else {
			rep.Warnings++
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		return a.Rule < b.Rule
	})
	return rep, nil
}

// check compares writer topic wt (side w) against reader topic rt.
func check(w, r *side, wt, rt Topic, dir Direction, against string, opts Options) []Finding {
	c := newChecker(w, r)
	wv, _ := w.src.Value(wt.Schema)
	rv, _ := r.src.Value(rt.Schema)
	wRoot := sch{sd: w, loc: wt.Schema, v: wv}
	rRoot := sch{sd: r, loc: rt.Schema, v: rv}
	c.sub([]sch{wRoot}, rRoot, "")
	seen := map[string]bool{}
	var out []Finding
	for _, f := range c.out {
		rs := f.r
		k := f.rule + "|" + rs.key() + "|" + keyOf(f.w) + "|" + f.msg
		if seen[k] {
			continue
		}
		seen[k] = true
		fd := Finding{Topic: rt.Name, Pointer: f.ip, Rule: f.rule, Severity: Breaking, Breaks: dir, Change: f.msg, Why: Why(f.rule), Against: against}
		// Locate the change in the new schema when it is there.
		at := rs
		if !rs.sd.isNew && len(f.w) > 0 && f.w[0].sd.isNew {
			at = f.w[0]
		}
		if !at.sd.isNew && len(f.w) == 0 {
			at = rs
		}
		fd.File = at.loc.File
		fd.Line, fd.Column = at.sd.src.Position(at.loc)
		if !opts.NoWitness {
			fd.Witness, fd.WitnessNote = witness(wRoot, rRoot, f)
		}
		out = append(out, fd)
	}
	return out
}

// WriteText writes one line per finding and a summary.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, f := range r.Findings {
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		at := f.Pointer
		if at == "" {
			at = "/"
		}
		who := ""
		switch {
		case f.Severity == Warning:
			who = "warning"
		case f.Breaks != "":
			who = "breaks " + string(f.Breaks)
		}
		fmt.Fprintf(&b, "%s: topic %q: at %s: %s: %s; %s: %s", loc, f.Topic, at, f.Rule, f.Change, who, f.Why)
		if f.Against != "" {
			fmt.Fprintf(&b, " [against %s]", f.Against)
		}
		b.WriteString("\n")
		switch {
		case f.Witness != nil:
			fmt.Fprintf(&b, "\twitness: %s\n", f.Witness)
		case f.WitnessNote != "":
			fmt.Fprintf(&b, "\twitness: %s\n", f.WitnessNote)
		}
	}
	verdict := "compatible"
	if !r.Compatible() {
		verdict = "BREAKING"
	}
	fmt.Fprintf(&b, "distgen breaking: %s: %d topic(s) compared, %d breaking change(s), %d warning(s)\n", verdict, r.Topics, r.Breaking, r.Warnings)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		Compatible bool `json:"compatible"`
		*Report
	}{r.Compatible(), r}
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
