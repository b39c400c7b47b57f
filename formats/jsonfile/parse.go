package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// parse reads JSON with encoding/json's Decoder, as sops does, and keeps
// every value's byte span so that values can be replaced in the original
// text: InputOffset before a token, past the blanks and the ',' or ':'
// before it, is where the token starts, and InputOffset after it is where
// it ends. parse accepts what sops accepts, with three refusals of its
// own, each measured against sops v3.13 (TestStrictnessAsSops):
//
//   - text after the top-level object: sops reads the first object and
//     drops the rest; sv keeps text as it is, so whatever follows would
//     stay in plaintext next to the encrypted file;
//   - invalid UTF-8 and \u escapes that are unpaired surrogates, in keys
//     and strings: the Decoder (and so sops) reads both as U+FFFD without
//     an error, which would change the value, and its path, silently;
//   - nesting deeper than sops can write its own output (maxDepth), which
//     sops refuses too, only after reading the file.

type kind uint8

const (
	kObject kind = iota
	kArray
	kString
	kNumber
	kTrue
	kFalse
	kNull
)

type node struct {
	kind       kind
	start, end int // the value's text, quotes included
	members    []member
	items      []*node
	str        string // a decoded string
}

type member struct {
	key              string
	keyStart, keyEnd int
	value            *node
}

// SyntaxError is JSON sv does not read; it names a line and a byte
// offset, never the text.
type SyntaxError struct {
	Line   int
	Offset int // bytes from the start of the file
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at line %d (byte offset %d): %s", e.Line, e.Offset, e.Msg)
}

// maxDepth bounds nesting as encoding/json's scanner does (sops's
// json.Indent of its output refuses a file nested deeper); the Decoder's
// token stream has no bound of its own.
const maxDepth = 10000

type locator struct {
	b   []byte
	dec *json.Decoder
}

func (l *locator) fail(off int, msg string) error {
	off = max(0, min(off, len(l.b)))
	return &SyntaxError{Line: bytes.Count(l.b[:off], []byte("\n")) + 1, Offset: off, Msg: msg}
}

// decodeError is the Decoder's error at its place in the file, without
// the text it quotes: an "invalid character 'x' …" names one character of
// what may be a secret.
func (l *locator) decodeError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return l.fail(len(l.b), "unexpected end of input")
	}
	// The Decoder counts the offset of an error inside a scalar from
	// somewhere else than the file's start; json.Unmarshal validates the
	// whole text first and finds the same first error, counted after the
	// offending byte.
	var se *json.SyntaxError
	if errors.As(json.Unmarshal(l.b, new(json.RawMessage)), &se) {
		return l.fail(int(se.Offset)-1, syntaxMsg(se.Error()))
	}
	return l.fail(int(l.dec.InputOffset()), "unreadable")
}

func syntaxMsg(msg string) string {
	const prefix = "invalid character "
	switch {
	case msg == "unexpected end of JSON input":
		return "unexpected end of input"
	case strings.HasPrefix(msg, prefix+`'\''`):
		return "unexpected character" + msg[len(prefix)+4:]
	case strings.HasPrefix(msg, prefix+"'"):
		// quoteChar's 'c': nothing in it but '\'' holds a quote.
		rest := msg[len(prefix)+1:]
		if i := strings.IndexByte(rest, '\''); i >= 0 {
			return "unexpected character" + rest[i+1:]
		}
	}
	return "a syntax error"
}

// next reads a token and its span.
func (l *locator) next() (tok json.Token, start, end int, err error) {
	from := int(l.dec.InputOffset())
	tok, err = l.dec.Token()
	if err != nil {
		return nil, 0, 0, l.decodeError(err)
	}
	end = int(l.dec.InputOffset())
	start = from
	for start < end && isSkipped(l.b[start]) {
		start++
	}
	return tok, start, end, nil
}

// isSkipped: the bytes Token passes over before a token.
func isSkipped(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':'
}

// text refuses a key or string the Decoder read as U+FFFD where the file
// does not spell U+FFFD: invalid UTF-8 or an unpaired surrogate.
func (l *locator) text(s string, start, end int) error {
	if !strings.ContainsRune(s, utf8.RuneError) {
		return nil
	}
	raw := l.b[start:end]
	if !utf8.Valid(raw) {
		return l.fail(start, "invalid UTF-8 in a string")
	}
	if strings.Count(s, string(utf8.RuneError)) != spelledFFFD(raw) {
		return l.fail(start, "a \\u escape is an unpaired surrogate (not text; sops would change it)")
	}
	return nil
}

// spelledFFFD counts the U+FFFD in a string literal the Decoder accepted,
// as UTF-8 or as a \ufffd escape.
func spelledFFFD(raw []byte) int {
	n := 0
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\\':
			if raw[i+1] == 'u' && strings.EqualFold(string(raw[i+2:i+6]), "fffd") {
				n++
			}
			i++ // the escaped character; no hex digit is a '\\' or starts U+FFFD
		case bytes.HasPrefix(raw[i:], []byte(string(utf8.RuneError))):
			n++
		}
	}
	return n
}

// parse reads a document whose top level must be an object.
func parse(b []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers are read from the text; this only skips float64 range errors
	l := &locator{b: b, dec: dec}
	tok, start, end, err := l.next()
	if err != nil || tok != json.Delim('{') {
		return nil, l.fail(len(b)-len(bytes.TrimLeft(b, " \t\r\n")), "the top level must be an object (sops supports only objects at the top)")
	}
	root := &node{kind: kObject, start: start}
	stack := []*node{root}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		tok, start, end, err = l.next()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim('}') || tok == json.Delim(']') {
			top.end = end
			stack = stack[:len(stack)-1]
			continue
		}
		ms := top.members
		if top.kind == kObject && (len(ms) == 0 || ms[len(ms)-1].value != nil) {
			k := tok.(string) // Token returns nothing else where a key goes
			if err := l.text(k, start, end); err != nil {
				return nil, err
			}
			top.members = append(ms, member{key: k, keyStart: start, keyEnd: end})
			continue
		}
		n := &node{start: start, end: end}
		switch t := tok.(type) {
		case json.Delim: // '{' or '['
			n.kind = kArray
			if t == '{' {
				n.kind = kObject
			}
			if len(stack) >= maxDepth {
				return nil, l.fail(start, "nested too deeply")
			}
		case string:
			if err := l.text(t, start, end); err != nil {
				return nil, err
			}
			n.kind, n.str = kString, t
		case json.Number:
			n.kind = kNumber
		case bool:
			n.kind = kFalse
			if t {
				n.kind = kTrue
			}
		case nil:
			n.kind = kNull
		}
		if top.kind == kObject {
			ms[len(ms)-1].value = n
		} else {
			top.items = append(top.items, n)
		}
		if n.kind == kObject || n.kind == kArray {
			stack = append(stack, n)
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		rest := b[end:]
		return nil, l.fail(end+len(rest)-len(bytes.TrimLeft(rest, " \t\r\n")), "text after the top-level object")
	}
	return root, nil
}

// isNumber reports whether s is exactly one JSON number: a valid JSON text
// that starts as a number does and ends with a digit (not a blank).
func isNumber(s string) bool {
	return s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') && s[len(s)-1] >= '0' && s[len(s)-1] <= '9' && json.Valid([]byte(s))
}
