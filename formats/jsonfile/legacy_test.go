package jsonfile

// The hand-written parser sv used before parse read encoding/json's
// tokens: the reference that TestLocatorMatchesLegacy and
// FuzzLocatorMatchesLegacy hold parse to (the same spans and strings, the
// same refusals).

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

type legacyParser struct {
	b     []byte
	pos   int
	depth int
}

func (p *legacyParser) fail(msg string) error {
	line := 1
	for _, c := range p.b[:min(p.pos, len(p.b))] {
		if c == '\n' {
			line++
		}
	}
	return fmt.Errorf("line %d: %s", line, msg)
}

func (p *legacyParser) ws() {
	for p.pos < len(p.b) {
		switch p.b[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// legacyParse reads a document whose top level must be an object.
func legacyParse(b []byte) (*node, error) {
	p := &legacyParser{b: b}
	p.ws()
	if p.pos >= len(b) || b[p.pos] != '{' {
		return nil, p.fail("the top level must be an object (sops supports only objects at the top)")
	}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(b) {
		return nil, p.fail("text after the top-level object")
	}
	return n, nil
}

func (p *legacyParser) value() (*node, error) {
	if p.pos >= len(p.b) {
		return nil, p.fail("unexpected end of input")
	}
	start := p.pos
	switch c := p.b[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &node{kind: kString, start: start, end: p.pos, str: s}, nil
	case c == '-' || c >= '0' && c <= '9':
		if err := p.number(); err != nil {
			return nil, err
		}
		return &node{kind: kNumber, start: start, end: p.pos}, nil
	default:
		for _, lit := range []struct {
			s string
			k kind
		}{{"true", kTrue}, {"false", kFalse}, {"null", kNull}} {
			if len(p.b)-p.pos >= len(lit.s) && string(p.b[p.pos:p.pos+len(lit.s)]) == lit.s {
				p.pos += len(lit.s)
				return &node{kind: lit.k, start: start, end: p.pos}, nil
			}
		}
		return nil, p.fail("unexpected character")
	}
}

func (p *legacyParser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail("nested too deeply")
	}
	return nil
}

func (p *legacyParser) object() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &node{kind: kObject, start: p.pos}
	p.pos++
	p.ws()
	if p.pos < len(p.b) && p.b[p.pos] == '}' {
		p.pos++
		n.end = p.pos
		return n, nil
	}
	for {
		p.ws()
		if p.pos >= len(p.b) || p.b[p.pos] != '"' {
			return nil, p.fail("expected a string key")
		}
		ks := p.pos
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		ke := p.pos
		p.ws()
		if p.pos >= len(p.b) || p.b[p.pos] != ':' {
			return nil, p.fail("expected ':' after a key")
		}
		p.pos++
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, member{key: k, keyStart: ks, keyEnd: ke, value: v})
		p.ws()
		if p.pos >= len(p.b) {
			return nil, p.fail("unexpected end of input in an object")
		}
		switch p.b[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			n.end = p.pos
			return n, nil
		default:
			return nil, p.fail("expected ',' or '}' in an object")
		}
	}
}

func (p *legacyParser) array() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &node{kind: kArray, start: p.pos}
	p.pos++
	p.ws()
	if p.pos < len(p.b) && p.b[p.pos] == ']' {
		p.pos++
		n.end = p.pos
		return n, nil
	}
	for {
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
		p.ws()
		if p.pos >= len(p.b) {
			return nil, p.fail("unexpected end of input in an array")
		}
		switch p.b[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			n.end = p.pos
			return n, nil
		default:
			return nil, p.fail("expected ',' or ']' in an array")
		}
	}
}

func (p *legacyParser) str() (string, error) {
	p.pos++ // opening quote
	var out []byte
	plainFrom := p.pos
	for {
		if p.pos >= len(p.b) {
			return "", p.fail("unterminated string")
		}
		c := p.b[p.pos]
		switch {
		case c == '"':
			s := string(p.b[plainFrom:p.pos])
			if out != nil {
				s = string(append(out, p.b[plainFrom:p.pos]...))
			}
			p.pos++
			return s, nil
		case c < 0x20:
			return "", p.fail("control character in a string")
		case c == '\\':
			out = append(out, p.b[plainFrom:p.pos]...)
			if p.pos+1 >= len(p.b) {
				return "", p.fail("unterminated escape")
			}
			e := p.b[p.pos+1]
			p.pos += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.fail("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// A pair is one character; a lone surrogate is not text.
					if p.pos+1 < len(p.b) && p.b[p.pos] == '\\' && p.b[p.pos+1] == 'u' {
						p.pos += 2
						r2, ok := p.hex4()
						if !ok {
							return "", p.fail("invalid \\u escape")
						}
						r = utf16.DecodeRune(r, r2)
					} else {
						r = utf8.RuneError
					}
					if r == utf8.RuneError {
						return "", p.fail("a \\u escape is an unpaired surrogate (not text; sops would change it)")
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", p.fail("invalid escape")
			}
			plainFrom = p.pos
		case c < utf8.RuneSelf:
			p.pos++
		default:
			r, size := utf8.DecodeRune(p.b[p.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", p.fail("invalid UTF-8 in a string")
			}
			p.pos += size
		}
	}
}

func (p *legacyParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.b[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(v), true
}

func (p *legacyParser) number() error {
	b := p.b
	i := p.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		return p.fail("invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			p.pos = i
			return p.fail("invalid number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			p.pos = i
			return p.fail("invalid number")
		}
	}
	p.pos = i
	return nil
}

// legacyIsNumber reports whether s is exactly one JSON number.
func legacyIsNumber(s string) bool {
	p := &legacyParser{b: []byte(s)}
	return len(s) > 0 && p.number() == nil && p.pos == len(s)
}
