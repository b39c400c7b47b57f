package jsonfile

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// style is how a string's characters are escaped.
type style uint8

const (
	// minimal escapes only what JSON requires: '"', '\\' and control
	// characters (\b \f \n \r \t, \u00xx for the rest), as JavaScript's
	// JSON.stringify, jq and most editors write strings.
	minimal style = iota
	// asciiLower also escapes every character from U+007F up as \uxxxx
	// (surrogate pairs above U+FFFF), as Python's json.dumps does.
	asciiLower
	// asciiUpper is asciiLower with upper-case hex digits.
	asciiUpper
)

// Markers: the ENC string's closing bracket escaped records the style.
const (
	markLower = `\u005d`
	markUpper = `\u005D`
)

func quote(s string, st style) string {
	const lower, upper = "0123456789abcdef", "0123456789ABCDEF"
	hex := lower
	if st == asciiUpper {
		hex = upper
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	u := func(r rune) {
		b.WriteString(`\u`)
		b.WriteByte(hex[r>>12&0xf])
		b.WriteByte(hex[r>>8&0xf])
		b.WriteByte(hex[r>>4&0xf])
		b.WriteByte(hex[r&0xf])
	}
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			switch {
			case r < 0x20:
				u(r)
			case r >= 0x7f && st != minimal:
				if r > 0xffff {
					r1, r2 := utf16.EncodeRune(r)
					u(r1)
					u(r2)
				} else {
					u(r)
				}
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// classify returns the style that spells s exactly as literal (a string's
// text with its quotes), and false if none does.
func classify(literal, s string) (style, bool) {
	for _, st := range []style{minimal, asciiLower, asciiUpper} {
		if quote(s, st) == literal {
			return st, true
		}
	}
	return minimal, false
}

// encLiteral is the JSON string sv writes for an ENC value of a string
// spelled in style st.
func encLiteral(enc string, st style) string {
	switch st {
	case asciiLower:
		return `"` + strings.TrimSuffix(enc, "]") + markLower + `"`
	case asciiUpper:
		return `"` + strings.TrimSuffix(enc, "]") + markUpper + `"`
	}
	return `"` + enc + `"`
}

// markerStyle reads the style back from an ENC string's literal text.
func markerStyle(literal string) style {
	switch {
	case strings.HasSuffix(literal, markLower+`"`):
		return asciiLower
	case strings.HasSuffix(literal, markUpper+`"`):
		return asciiUpper
	}
	return minimal
}

func utf8Valid(b []byte) bool { return utf8.Valid(b) }
