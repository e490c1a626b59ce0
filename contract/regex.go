package contract

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp/syntax"
	"strings"
	"time"
	"unicode"
)

// maxRepeat bounds the repetitions generated for *, + and open {n,} on a
// first try.
const maxRepeat = 4

// genRegex returns a string that the regular expression pattern (Go
// syntax) matches in full, built from its syntax tree. Anchors and word
// boundaries generate nothing; callers check the result with the compiled
// pattern.
func genRegex(rng *rand.Rand, pattern string, reps int) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("pattern %q: %w", pattern, err)
	}
	var sb strings.Builder
	if err := genNode(rng, re.Simplify(), &sb, reps); err != nil {
		return "", fmt.Errorf("pattern %q: %w", pattern, err)
	}
	return sb.String(), nil
}

var errNoMatch = errors.New("pattern matches nothing")

func genNode(rng *rand.Rand, re *syntax.Regexp, sb *strings.Builder, reps int) error {
	switch re.Op {
	case syntax.OpNoMatch:
		return errNoMatch
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return nil
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && rng.IntN(2) == 0 {
				r = unicode.SimpleFold(r)
			}
			sb.WriteRune(r)
		}
		return nil
	case syntax.OpCharClass:
		sb.WriteRune(classRune(rng, re.Rune))
		return nil
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		sb.WriteByte(plainRunes[rng.IntN(len(plainRunes))])
		return nil
	case syntax.OpCapture:
		return genNode(rng, re.Sub[0], sb, reps)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, reps
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 {
				hi = lo + reps
			}
		}
		n := lo + rng.IntN(hi-lo+1)
		for i := 0; i < n; i++ {
			if err := genNode(rng, re.Sub[0], sb, reps); err != nil {
				return err
			}
		}
		return nil
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if err := genNode(rng, s, sb, reps); err != nil {
				return err
			}
		}
		return nil
	case syntax.OpAlternate:
		return genNode(rng, re.Sub[rng.IntN(len(re.Sub))], sb, reps)
	}
	return fmt.Errorf("unsupported regular expression construct %v", re.Op)
}

// classRune picks a rune from a character class given as sorted [lo, hi]
// pairs, preferring printable runes (negated classes span all of Unicode).
func classRune(rng *rand.Rand, ranges []rune) rune {
	var r rune
	for try := 0; try < 8; try++ {
		i := rng.IntN(len(ranges)/2) * 2
		lo, hi := ranges[i], ranges[i+1]
		if hi > 0x7e && lo <= 0x7e && try < 6 {
			hi = 0x7e // stay in ASCII where the class allows it
		}
		r = lo + rune(rng.IntN(int(hi-lo)+1))
		if unicode.IsPrint(r) && r != 0xfffd {
			return r
		}
	}
	return r
}

func unixTime(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
