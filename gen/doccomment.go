package gen

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dave/jennifer/jen"
)

// docParts returns the title of a schema (its first line) and the lines of
// its description, as comment text (docLines).
func docParts(n *node) (string, []string) {
	title := ""
	if v := n.Get("title"); v != nil && v.Kind == kString {
		if l := docLines(v.Str); len(l) > 0 {
			title = strings.TrimSpace(l[0])
		}
	}
	var desc []string
	if v := n.Get("description"); v != nil && v.Kind == kString {
		desc = docLines(v.Str)
	}
	return title, desc
}

// typeDoc writes the doc comment of a named type in the form Go expects
// ("Invoice is ..."), from the schema's description or title, then note
// (what the kind of type adds, "" for nothing), then the schema's
// location.
func (g *generator) typeDoc(f *jen.File, nt *named, note string) {
	lines := paragraphs(g.docLead(nt), nt.more)
	if note != "" {
		lines = paragraphs(lines, []string{note})
	}
	lines = paragraphs(lines, []string{"Schema: " + nt.loc})
	for _, c := range comments(lines) {
		f.Add(c)
	}
}

// docLead returns the description of a named type as a doc comment whose
// first sentence starts with the type's name:
//
//   - a description that starts with the name is kept as it is;
//   - one that starts with a verb of a short list ("Represents",
//     "Describes", "Can", ...) gets the name before it: "Invoice describes
//     ...";
//   - one that starts with another word gets "<Name> is": "The envelope of
//     ..." becomes "Event is the envelope of ...";
//   - one that does not start with a word (a list, code, "0 = off") follows
//     a first sentence made of the title or, without one, of the schema's
//     place ("Meta is the "meta" member of Event.").
//
// The title is used only when the description cannot start the comment
// and the title is more than the name itself: "<Name> is the <title>."
// ("a <title>" for the items of an array), or as it is when it is a
// sentence that starts with the name.
func (g *generator) docLead(nt *named) []string {
	desc := nt.doc
	if len(desc) > 0 && startsSentence(desc[0]) {
		first := desc[0]
		switch w := firstWord(first); {
		case w == nt.name:
		case docVerbs[strings.ToLower(w)]:
			first = nt.name + " " + lowerFirst(first)
		default:
			first = nt.name + " is " + lowerFirst(first)
		}
		return append([]string{first}, desc[1:]...)
	}
	var lead string
	switch t := strings.TrimRight(nt.title, "."); {
	case t != "" && firstWord(t) == nt.name && strings.HasSuffix(nt.title, "."):
		lead = nt.title // a sentence about the type
	case t != "" && goName(t) != nt.name && startsSentence(t):
		switch a := strings.ToLower(firstWord(t)); {
		case a == "a" || a == "an" || a == "the":
			lead = nt.name + " is " + lowerFirst(t) + "."
		case g.oneOfMany(nt):
			// An item or a map value: one of many.
			art := "a "
			if strings.ContainsRune("AEIOaeio", rune(t[0])) {
				art = "an "
			}
			lead = nt.name + " is " + art + lowerFirst(t) + "."
		default:
			lead = nt.name + " is the " + lowerFirst(t) + "."
		}
	default:
		lead = nt.name + " is " + g.describeLoc(nt) + "."
	}
	return paragraphs([]string{lead}, desc)
}

// docVerbs are the words that start a description which reads as a
// sentence with the type's name before it ("Describes an order" ->
// "Order describes an order").
var docVerbs = map[string]bool{
	"represents": true, "describes": true, "contains": true, "holds": true, "defines": true,
	"identifies": true, "records": true, "carries": true, "lists": true, "names": true,
	"specifies": true, "stores": true, "marks": true, "indicates": true, "tells": true,
	"reports": true, "is": true, "has": true, "can": true, "may": true, "must": true,
	"should": true, "will": true,
}

// startsSentence reports whether a line of comment text can be the start
// of a sentence: it starts with a letter (not indented code, a list marker
// or a number).
func startsSentence(l string) bool {
	r, _ := utf8.DecodeRuneInString(l)
	return unicode.IsLetter(r) && !docMarker(firstWord(l))
}

// firstWord returns the first word of l: its leading letters and digits.
func firstWord(l string) string {
	end := strings.IndexFunc(l, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if end < 0 {
		return l
	}
	return l[:end]
}

// lowerFirst writes the first letter of s in lower case when its first
// word is an ordinary capitalized word ("The", "Every"), not an acronym or
// a name with capitals inside ("JSON", "iPhone", "GraphQL").
func lowerFirst(s string) string {
	w := firstWord(s)
	r, n := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(r) || strings.IndexFunc(w[n:], unicode.IsUpper) >= 0 || len(w) == n && w != "A" {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// oneOfMany reports whether a named type's schema is that of the items of
// an array or the values of a map.
func (g *generator) oneOfMany(nt *named) bool {
	_, ptr, _ := strings.Cut(nt.loc, "#")
	toks := splitPointer(ptr)
	n := len(toks)
	return n > 0 && (toks[n-1] == "items" || toks[n-1] == "additionalProperties" || toks[n-1] == "additionalItems" || n > 1 && toks[n-2] == "patternProperties")
}

// describeLoc describes where a named type's schema is, for a type whose
// schema says nothing of it: `the "meta" member of Event`, `an item of
// Order's lines`...
func (g *generator) describeLoc(nt *named) string {
	if nt.params {
		return "the envelope of messages declared in " + ManifestFile + ": its type parameter T is the payload's type"
	}
	file, ptr, _ := strings.Cut(nt.loc, "#")
	toks := splitPointer(ptr)
	n := len(toks)
	// of names the schema at toks[:k]: its Go type, or where it is.
	var of func(k int) string
	of = func(k int) string {
		p := file
		if k > 0 {
			p += "#/" + strings.Join(escapeAll(toks[:k]), "/")
		} else {
			p += "#"
		}
		switch pt, ok := g.m.byLoc[p]; {
		case ok && pt != nt:
			return pt.name
		case k == 0:
			return file
		case k >= 2 && toks[k-2] == "properties":
			return fmt.Sprintf("the %q member of %s", toks[k-1], of(k-2))
		}
		return "the schema at " + p
	}
	switch {
	case n == 0:
		return "the schema of " + file
	case n >= 2 && (toks[n-2] == "$defs" || toks[n-2] == "definitions"):
		return fmt.Sprintf("the definition %q of %s", toks[n-1], file)
	case n >= 2 && toks[n-2] == "properties":
		return fmt.Sprintf("the %q member of %s", toks[n-1], of(n-2))
	case toks[n-1] == "items" || toks[n-1] == "additionalItems":
		return "an item of " + of(n-1)
	case n >= 2 && (toks[n-2] == "prefixItems" || toks[n-2] == "items"):
		return "item " + toks[n-1] + " of " + of(n-2)
	case toks[n-1] == "additionalProperties":
		return "a member value of " + of(n-1)
	case n >= 2 && toks[n-2] == "patternProperties":
		return fmt.Sprintf("the value of a member of %s whose name matches %q", of(n-2), toks[n-1])
	case n >= 2 && (toks[n-2] == "oneOf" || toks[n-2] == "anyOf" || toks[n-2] == "allOf"):
		i, _ := strconv.Atoi(toks[n-1])
		return fmt.Sprintf("option %d of the %s of %s", i+1, toks[n-2], of(n-2))
	}
	return "the schema at " + nt.loc
}
