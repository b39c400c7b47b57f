package yamlwalk

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// source is a YAML text with a line index, used to turn yaml.v3 positions
// (1-based line and character column) into byte offsets and to find where
// each scalar's text ends. yaml.v3 reports where a node starts but not
// where it ends, so the end is found by scanning the original bytes and
// checked against the value yaml.v3 decoded.
type source struct {
	b     []byte
	lines []int // byte offset of the start of each line; lines[0] is line 1
	bom   int   // length of a leading byte order mark, which yaml.v3 skips
}

func newSource(b []byte) *source {
	s := &source{b: b}
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		s.bom = 3
	}
	s.lines = make([]int, 1, bytes.Count(b, []byte{'\n'})+1)
	s.lines[0] = s.bom
	if hasUnicodeBreaks(b) {
		// yaml.v3 counts NEL, LS and PS as line breaks too.
		for i := s.bom; i < len(b); {
			r, w := utf8.DecodeRune(b[i:])
			i += w
			if r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029 {
				s.lines = append(s.lines, i)
			}
		}
		return s
	}
	for i := s.bom; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		s.lines = append(s.lines, i)
	}
	return s
}

func hasUnicodeBreaks(b []byte) bool {
	return bytes.Contains(b, []byte("\u0085")) || bytes.Contains(b, []byte("\u2028")) || bytes.Contains(b, []byte("\u2029"))
}

// offset returns the byte offset of a yaml.v3 (line, column) position.
func (s *source) offset(line, col int) (int, error) {
	if line < 1 || line > len(s.lines) {
		return 0, fmt.Errorf("line %d out of range", line)
	}
	off := s.lines[line-1]
	for c := 1; c < col; c++ {
		if off >= len(s.b) || s.b[off] == '\n' {
			return 0, fmt.Errorf("column %d out of range on line %d", col, line)
		}
		if s.b[off] < utf8.RuneSelf {
			off++
			continue
		}
		_, w := utf8.DecodeRune(s.b[off:])
		off += w
	}
	return off, nil
}

// lineStart returns the offset of the start of the line holding off.
func (s *source) lineStart(off int) int {
	i := bytes.LastIndexByte(s.b[:off], '\n')
	if i < 0 {
		return s.bom
	}
	return i + 1
}

// lineEnd returns the offset of the '\n' ending the line holding off (or
// len(b)); a '\r' before it is not part of the line's content.
func (s *source) lineEnd(off int) int {
	i := bytes.IndexByte(s.b[off:], '\n')
	if i < 0 {
		return len(s.b)
	}
	return off + i
}

func contentEnd(b []byte, start, end int) int {
	if end > start && b[end-1] == '\r' {
		return end - 1
	}
	return end
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// span is the byte range of one scalar's text.
type span struct {
	start   int    // where the node starts (its properties, if any)
	val     int    // where the scalar text itself starts
	end     int    // end of the scalar text
	anchor  string // "&name" if the node has an anchor, kept on rewrite
	hdrEnd  int    // block scalars: end of the header line
	indent  int    // block scalars: content indentation in columns
	chomp   byte   // block scalars: '-', '+' or 0 for clip
	explInd bool   // block scalars: header has an indentation indicator
}

// scalarSpan finds the text of scalar node n, which starts at off.
// parentIndent is the indentation of the enclosing block collection (for
// block scalars) and flow tells whether n is inside a flow collection.
func (s *source) scalarSpan(n *yaml.Node, off, parentIndent int, flow bool) (span, error) {
	sp := span{start: off}
	i := off
	// Properties: anchor and tag, in either order, separated by blanks,
	// possibly line breaks and comments.
	for {
		i = s.skipSpace(i)
		if i >= len(s.b) {
			break
		}
		c := s.b[i]
		if c != '&' && c != '!' {
			break
		}
		j := i + 1
		if c == '!' && j < len(s.b) && s.b[j] == '<' {
			for j < len(s.b) && s.b[j] != '>' {
				j++
			}
			j++
		}
		for j < len(s.b) && !isBlank(s.b[j]) && s.b[j] != '\n' && s.b[j] != '\r' && !(flow && strings.IndexByte(",[]{}", s.b[j]) >= 0) {
			j++
		}
		if c == '&' {
			sp.anchor = string(s.b[i:j])
		}
		i = j
	}
	sp.val = i
	style := n.Style &^ (yaml.TaggedStyle | yaml.FlowStyle)
	if style == 0 && n.Value == "" && n.Tag != "!!str" {
		// An empty (null) value has no text; the node's position is that
		// of what follows.
		sp.start, sp.val, sp.end = off, off, off
		return sp, nil
	}
	var err error
	switch style {
	case yaml.DoubleQuotedStyle:
		sp.end, err = s.quotedEnd(i, '"')
	case yaml.SingleQuotedStyle:
		sp.end, err = s.quotedEnd(i, '\'')
	case yaml.LiteralStyle, yaml.FoldedStyle:
		err = s.blockSpan(&sp, n, parentIndent)
	default:
		sp.end, err = s.plainEnd(i, n.Value, flow)
	}
	if err != nil {
		return sp, err
	}
	return sp, nil
}

// skipSpace skips blanks, line breaks and comments.
func (s *source) skipSpace(i int) int {
	for i < len(s.b) {
		switch s.b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		case '#':
			i = s.lineEnd(i)
		default:
			return i
		}
	}
	return i
}

func (s *source) quotedEnd(i int, q byte) (int, error) {
	if i >= len(s.b) || s.b[i] != q {
		return 0, fmt.Errorf("expected %c at byte %d", q, i)
	}
	for j := i + 1; j < len(s.b); j++ {
		switch s.b[j] {
		case '\\':
			if q == '"' {
				j++
			}
		case q:
			if q == '\'' && j+1 < len(s.b) && s.b[j+1] == '\'' {
				j++
				continue
			}
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated quoted scalar at byte %d", i)
}

// plainEnd finds the end of a plain scalar starting at i whose decoded value
// is want. A plain scalar may continue over several lines (folded into
// spaces); the decoded value tells where it stops.
func (s *source) plainEnd(i int, want string, flow bool) (int, error) {
	seg := func(from int) (int, int) { // start, end of the text on this line
		for from < len(s.b) && isBlank(s.b[from]) {
			from++
		}
		le := contentEnd(s.b, from, s.lineEnd(from))
		j := from
		for j < le {
			c := s.b[j]
			if c == '#' && j > from && isBlank(s.b[j-1]) {
				break
			}
			if flow && (c == ',' || c == '[' || c == ']' || c == '{' || c == '}') {
				break
			}
			if c == ':' && (j+1 >= le || isBlank(s.b[j+1]) || (flow && strings.IndexByte(",[]{}", s.b[j+1]) >= 0)) {
				break
			}
			j++
		}
		for j > from && isBlank(s.b[j-1]) {
			j--
		}
		return from, j
	}
	st, end := seg(i)
	acc := string(s.b[st:end])
	if acc == want {
		return end, nil
	}
	if !strings.HasPrefix(want, acc) {
		return 0, fmt.Errorf("plain scalar text does not match its value")
	}
	pos := end
	for len(acc) < len(want) {
		// Next line(s): empty lines become '\n', otherwise a single break
		// folds into a space.
		le := s.lineEnd(pos)
		if le >= len(s.b) {
			break
		}
		pos = le + 1
		empties := 0
		for pos < len(s.b) {
			ls, e := seg(pos)
			if ls == e && (ls >= len(s.b) || s.b[ls] != '#') {
				if s.lineEnd(pos) >= len(s.b) {
					pos = len(s.b)
					break
				}
				empties++
				pos = s.lineEnd(pos) + 1
				continue
			}
			break
		}
		ls, e := seg(pos)
		if ls == e {
			break
		}
		if empties == 0 {
			acc += " "
		} else {
			acc += strings.Repeat("\n", empties)
		}
		acc += string(s.b[ls:e])
		if !strings.HasPrefix(want, acc) {
			break
		}
		end, pos = e, e
	}
	if acc != want {
		return 0, fmt.Errorf("plain scalar text does not match its value")
	}
	return end, nil
}

// blockSpan fills in the span of a literal or folded block scalar: the
// header from the indicator to the end of its line, then the content lines.
// sp.end is the end of the last non-empty content line; trailing empty lines
// stay outside the span.
func (s *source) blockSpan(sp *span, n *yaml.Node, parentIndent int) error {
	i := sp.val
	if i >= len(s.b) || (s.b[i] != '|' && s.b[i] != '>') {
		return fmt.Errorf("expected block scalar indicator at byte %d", i)
	}
	sp.hdrEnd = s.lineEnd(i)
	for j := i + 1; j < sp.hdrEnd; j++ {
		c := s.b[j]
		switch {
		case c == '-' || c == '+':
			sp.chomp = c
		case c >= '1' && c <= '9':
			sp.indent = parentIndent + int(c-'0')
			sp.explInd = true
		default:
			j = sp.hdrEnd
		}
	}
	sp.end = sp.hdrEnd
	pos := sp.hdrEnd + 1
	var lines []string
	// breaks[i] ends lines[i]: yaml.v3 keeps an LS or PS inside a block
	// scalar as it is, and reads a line break for every other break.
	var breaks []string
	for pos <= len(s.b) && pos < len(s.b)+1 {
		if pos >= len(s.b) {
			break
		}
		le, next, brk := s.blockLineEnd(pos)
		breaks = append(breaks, brk)
		line := s.b[pos:contentEnd(s.b, pos, le)]
		ind := 0
		for ind < len(line) && line[ind] == ' ' {
			ind++
		}
		blank := ind == len(line)
		if !blank && sp.indent == 0 {
			if ind <= parentIndent && parentIndent >= 0 {
				break
			}
			sp.indent = ind
		}
		if !blank && ind < sp.indent {
			break
		}
		if blank && ind > sp.indent && sp.indent > 0 {
			lines = append(lines, string(line[sp.indent:]))
		} else if blank {
			lines = append(lines, "")
		} else {
			lines = append(lines, string(line[sp.indent:]))
			sp.end = contentEnd(s.b, pos, le)
			if brk != "\n" {
				// An LS or PS is the value's own text: an edit of
				// the value replaces it too.
				sp.end = next
			}
		}
		if le >= len(s.b) {
			break
		}
		pos = next
	}
	// Check the text against the decoded value.
	if len(breaks) > len(lines) {
		breaks = breaks[:len(lines)]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var bb strings.Builder
	for i, l := range lines {
		if i > 0 {
			bb.WriteString(breaks[i-1])
		}
		bb.WriteString(l)
	}
	body := bb.String()
	// The break after the last line of text: a line break, or an LS or PS
	// that yaml.v3 keeps in the value.
	tail := "\n"
	if len(lines) > 0 && len(lines) <= len(breaks) {
		tail = breaks[len(lines)-1]
	}
	if n.Style&yaml.LiteralStyle != 0 {
		ok := false
		switch sp.chomp {
		case '-':
			ok = n.Value == body
		case '+':
			ok = body == "" || strings.HasPrefix(n.Value, body+tail) && strings.Trim(n.Value[len(body):], "\n\u2028\u2029") == ""
		default:
			ok = n.Value == body+tail || (body == "" && n.Value == "")
		}
		if !ok {
			return fmt.Errorf("literal block text does not match its value")
		}
	} else if strings.Join(strings.Fields(body), " ") != strings.Join(strings.Fields(n.Value), " ") {
		return fmt.Errorf("folded block text does not match its value")
	}
	return nil
}

// blockLineEnd returns where the line of a block scalar that starts at pos
// ends (the offset of its break, or len(b)), where the next line starts,
// and the text yaml.v3 reads for the break: a line break, or the LS or PS
// character itself.
func (s *source) blockLineEnd(pos int) (end, next int, brk string) {
	le := s.lineEnd(pos)
	if hasUnicodeBreaks(s.b[pos:le]) {
		for i := pos; i < le; {
			r, w := utf8.DecodeRune(s.b[i:])
			switch r {
			case 0x85:
				return i, i + w, "\n"
			case 0x2028, 0x2029:
				return i, i + w, string(r)
			}
			i += w
		}
	}
	return le, le + 1, "\n"
}
