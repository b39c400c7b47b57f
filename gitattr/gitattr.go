// Package gitattr turns .sops.yaml path_regex rules into .gitattributes
// patterns and adds lines to a .gitattributes text without duplicating
// them.
//
// A path_regex is an unanchored Go regular expression over the path
// relative to the .sops.yaml directory; a gitattributes pattern is a glob
// where '*' stays within one path component. Globs cover the regular
// expressions sops users write (`\.enc\.yaml$`, `secrets/.*\.yaml`,
// `(^|/)values\.prod\.yaml$`, alternatives); for anything else Globs says
// it cannot, and the caller asks for an explicit pattern. Callers should
// still confirm the result against real paths with git check-attr, since a
// glob may cover a little less than the expression in corner cases.
package gitattr

import (
	"regexp/syntax"
	"strings"
)

// token is one piece of a simplified path regex.
type token struct {
	kind tokKind
	lit  string
}

type tokKind int

const (
	tLit     tokKind = iota
	tAny             // .* or .+ : any text, slashes included
	tSeg             // [^/]* or [^/]+ : text within one component
	tBegin           // ^
	tEnd             // $
	tDirEdge         // (^|/) : start of the path or of a component
	tOne             // . : one character
	tClass           // [a-z] : one character of a set, written as a glob bracket
)

// maxGlobs bounds the expansion of alternatives.
const maxGlobs = 16

// Globs returns gitattributes patterns for the files a path_regex selects,
// relative to the directory of .sops.yaml. ok is false when the expression
// uses something a glob cannot express.
func Globs(pathRegex string) (globs []string, ok bool) {
	re, err := syntax.Parse(pathRegex, syntax.Perl)
	if err != nil {
		return nil, false
	}
	seqs, ok := expand(re.Simplify())
	if !ok || len(seqs) == 0 {
		return nil, false
	}
	seen := map[string]bool{}
	for _, s := range seqs {
		g, ok := glob(s)
		if !ok {
			return nil, false
		}
		if !seen[g] {
			seen[g] = true
			globs = append(globs, g)
		}
	}
	return globs, true
}

// expand turns a regex into the token sequences of its alternatives.
func expand(re *syntax.Regexp) ([][]token, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return [][]token{nil}, true
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		return [][]token{{{kind: tLit, lit: string(re.Rune)}}}, true
	case syntax.OpCharClass:
		if len(re.Rune) == 2 && re.Rune[0] == re.Rune[1] {
			return [][]token{{{kind: tLit, lit: string(re.Rune[0])}}}, true
		}
		if c, ok := bracket(re.Rune); ok {
			return [][]token{{{kind: tClass, lit: c}}}, true
		}
		return nil, false
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return [][]token{{{kind: tOne}}}, true
	case syntax.OpQuest:
		parts, ok := expand(re.Sub[0])
		if !ok {
			return nil, false
		}
		return append(parts, nil), true
	case syntax.OpBeginText, syntax.OpBeginLine:
		return [][]token{{{kind: tBegin}}}, true
	case syntax.OpEndText, syntax.OpEndLine:
		return [][]token{{{kind: tEnd}}}, true
	case syntax.OpStar, syntax.OpPlus:
		sub := re.Sub[0]
		switch {
		case sub.Op == syntax.OpAnyChar || sub.Op == syntax.OpAnyCharNotNL:
			return [][]token{{{kind: tAny}}}, true
		case sub.Op == syntax.OpCharClass && notSlash(sub.Rune):
			return [][]token{{{kind: tSeg}}}, true
		}
		return nil, false
	case syntax.OpCapture:
		return expand(re.Sub[0])
	case syntax.OpConcat:
		out := [][]token{nil}
		for _, sub := range re.Sub {
			parts, ok := expand(sub)
			if !ok {
				return nil, false
			}
			var next [][]token
			for _, o := range out {
				for _, p := range parts {
					next = append(next, append(append([]token{}, o...), p...))
				}
			}
			if len(next) > maxGlobs {
				return nil, false
			}
			out = next
		}
		return out, true
	case syntax.OpAlternate:
		if isDirEdge(re) {
			return [][]token{{{kind: tDirEdge}}}, true
		}
		var out [][]token
		for _, sub := range re.Sub {
			parts, ok := expand(sub)
			if !ok {
				return nil, false
			}
			out = append(out, parts...)
		}
		if len(out) > maxGlobs {
			return nil, false
		}
		return out, true
	}
	return nil, false
}

// isDirEdge recognises (^|/).
func isDirEdge(re *syntax.Regexp) bool {
	if len(re.Sub) != 2 {
		return false
	}
	a, b := re.Sub[0], re.Sub[1]
	begin := func(r *syntax.Regexp) bool { return r.Op == syntax.OpBeginText || r.Op == syntax.OpBeginLine }
	slash := func(r *syntax.Regexp) bool {
		return r.Op == syntax.OpLiteral && string(r.Rune) == "/" ||
			r.Op == syntax.OpCharClass && len(r.Rune) == 2 && r.Rune[0] == '/' && r.Rune[1] == '/'
	}
	return begin(a) && slash(b) || begin(b) && slash(a)
}

// notSlash recognises [^/] (as ranges 0-'.' and '0'-max).
func notSlash(r []rune) bool {
	return len(r) == 4 && r[0] == 0 && r[1] == '/'-1 && r[2] == '/'+1 && r[3] == 0x10FFFF
}

// glob writes one token sequence as a gitattributes pattern.
func glob(ts []token) (string, bool) {
	// Merge adjacent literals.
	var seq []token
	for _, t := range ts {
		if t.kind == tLit && len(seq) > 0 && seq[len(seq)-1].kind == tLit {
			seq[len(seq)-1].lit += t.lit
			continue
		}
		seq = append(seq, t)
	}
	anchored, dirEdge := false, false
	switch {
	case len(seq) > 0 && seq[0].kind == tBegin:
		anchored, seq = true, seq[1:]
	case len(seq) > 0 && seq[0].kind == tDirEdge:
		dirEdge, seq = true, seq[1:]
	case len(seq) > 0 && seq[0].kind == tAny:
		seq = seq[1:] // unanchored already means "anything before"
	}
	endAnchored := false
	switch {
	case len(seq) > 0 && seq[len(seq)-1].kind == tEnd:
		endAnchored, seq = true, seq[:len(seq)-1]
	case len(seq) > 0 && seq[len(seq)-1].kind == tAny:
		seq = seq[:len(seq)-1]
	}
	var b strings.Builder
	hasSlash := false
	for i, t := range seq {
		switch t.kind {
		case tLit:
			if strings.ContainsAny(t.lit, "\n\r\t \"") {
				return "", false // would need C-style quoting
			}
			if strings.Contains(t.lit, "/") {
				hasSlash = true
			}
			b.WriteString(escape(t.lit))
		case tSeg:
			b.WriteString("*")
		case tOne:
			b.WriteString("?")
		case tClass:
			b.WriteString(t.lit)
		case tAny:
			// Any text, slashes included: "/**/" between components, else
			// "*/**/*" (the rest of this component, any directories, the
			// start of another). A following "/" or a preceding one
			// absorbs the extra star.
			prevSlash := i > 0 && seq[i-1].kind == tLit && strings.HasSuffix(seq[i-1].lit, "/")
			nextSlash := i+1 < len(seq) && seq[i+1].kind == tLit && strings.HasPrefix(seq[i+1].lit, "/")
			hasSlash = true
			switch {
			case prevSlash && nextSlash:
				b.WriteString("**")
			case prevSlash:
				b.WriteString("**/*")
			case nextSlash:
				b.WriteString("*/**")
			default:
				b.WriteString("*/**/*")
			}
		default:
			return "", false // an anchor in the middle
		}
	}
	body := b.String()
	if body == "" {
		return "", false // matches everything
	}
	if !endAnchored {
		if strings.HasSuffix(body, "/") {
			body += "**"
		} else {
			body += "*"
		}
	}
	switch {
	case anchored:
		if !hasSlash {
			body = "/" + body
		}
	case !hasSlash:
		// No slash: gitattributes matches the last component at any depth.
		if !dirEdge && !strings.HasPrefix(body, "*") {
			body = "*" + body
		}
	default:
		if !dirEdge && !strings.HasPrefix(body, "*") {
			body = "*" + body
		}
		body = "**/" + body
	}
	return body, true
}

// escape quotes glob metacharacters in a literal.
func escape(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '*' || r == '?' || r == '[' || r == '\\':
			b.WriteByte('\\')
		case i == 0 && (r == '#' || r == '!'):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// bracket writes a small character class as a glob bracket expression, or
// fails for classes that include '/' or characters a bracket can't hold.
func bracket(rs []rune) (string, bool) {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i+1 < len(rs); i += 2 {
		lo, hi := rs[i], rs[i+1]
		for _, r := range []rune{lo, hi} {
			if r <= ' ' || r == '/' || r == ']' || r == '\\' || r == '-' || r == '^' || r == '!' || r == '[' || r > 0x7e {
				return "", false
			}
		}
		b.WriteRune(lo)
		if hi != lo {
			b.WriteByte('-')
			b.WriteRune(hi)
		}
	}
	b.WriteByte(']')
	return b.String(), len(rs) > 0 && len(rs) <= 16
}

// Line is one pattern with its attributes.
type Line struct {
	Pattern string
	Attrs   []string // e.g. diff=sv merge=sv
}

func (l Line) String() string { return l.Pattern + " " + strings.Join(l.Attrs, " ") }

// Add returns text with each line appended unless a line with the same
// pattern already carries all of its attributes, and the lines it added.
// A comment (header) is written before the first added line unless the
// text already holds it.
func Add(text, header string, lines []Line) (string, []Line) {
	have := map[string]map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(strings.TrimSpace(l))
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if have[f[0]] == nil {
			have[f[0]] = map[string]bool{}
		}
		for _, a := range f[1:] {
			have[f[0]][a] = true
		}
	}
	var added []Line
	var b strings.Builder
	for _, l := range lines {
		all := true
		for _, a := range l.Attrs {
			if !have[l.Pattern][a] {
				all = false
			}
		}
		if all {
			continue
		}
		if len(added) == 0 && header != "" && !strings.Contains(text, header) {
			b.WriteString(header + "\n")
		}
		added = append(added, l)
		b.WriteString(l.String() + "\n")
		if have[l.Pattern] == nil {
			have[l.Pattern] = map[string]bool{}
		}
		for _, a := range l.Attrs {
			have[l.Pattern][a] = true
		}
	}
	if len(added) == 0 {
		return text, nil
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return text + b.String(), added
}

// Prefix puts a directory (slash-separated, relative to the .gitattributes
// file) in front of a pattern made for files under that directory.
func Prefix(dir, pattern string) string {
	dir = strings.Trim(dir, "/")
	if dir == "" || dir == "." {
		return pattern
	}
	if !strings.Contains(pattern, "/") {
		// A component match anywhere below dir.
		return dir + "/**/" + pattern
	}
	return dir + "/" + strings.TrimPrefix(pattern, "/")
}
