package yamlwalk

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// plaintext returns a scalar's type and the bytes sops encrypts and feeds to
// the MAC for it (sops's ToBytes). null reports typ "".
func plaintext(n *yaml.Node) (typ string, pt []byte, err error) {
	style := n.Style &^ yaml.TaggedStyle
	if n.Tag == "!!str" || (n.Tag == "" || n.Tag == "!") && style != 0 {
		return crypt.TypeStr, []byte(n.Value), nil
	}
	if style == 0 && (n.Tag == "" || n.Tag == "!!str") {
		// Fast path for the common untagged plain scalar.
		switch n.ShortTag() {
		case "!!str":
			return crypt.TypeStr, []byte(n.Value), nil
		case "!!null":
			return "", nil, nil
		}
	}
	var v any
	if err := n.Decode(&v); err != nil {
		// yaml.v3's message quotes the value ("cannot decode !!str
		// `hunter2` as a !!int"): name the tag only.
		return "", nil, fmt.Errorf("cannot read the value as its tag %s says", safeTag(n.ShortTag()))
	}
	switch v := v.(type) {
	case nil:
		return "", nil, nil
	case string:
		return crypt.TypeStr, []byte(v), nil
	case int:
		return crypt.TypeInt, []byte(strconv.Itoa(v)), nil
	case int64:
		return crypt.TypeInt, []byte(strconv.FormatInt(v, 10)), nil
	case float64:
		return crypt.TypeFloat, []byte(strconv.FormatFloat(v, 'f', -1, 64)), nil
	case bool:
		if v {
			return crypt.TypeBool, []byte("True"), nil
		}
		return crypt.TypeBool, []byte("False"), nil
	case time.Time:
		b, err := v.MarshalText()
		if err != nil {
			return "", nil, fmt.Errorf("cannot serialize timestamp")
		}
		return crypt.TypeTime, b, nil
	case uint64:
		return "", nil, fmt.Errorf("integer too large (sops cannot store integers above 2^63-1: quote it)")
	}
	return "", nil, fmt.Errorf("unsupported value type %T", v)
}

// render returns YAML text for a decrypted value in the style of the ENC
// scalar it replaces. Quoted and block ENC scalars were written by sv in the
// style of the original value, which is re-created; a plain ENC scalar (sops
// writes every value so) gets the emitter's spelling (see emit.go).
func render(typ string, pt []byte, n *yaml.Node, sp span, src []byte, ctx scalarContext) (string, error) {
	if typ == crypt.TypeStr || typ == crypt.TypeBytes {
		return renderString(string(pt), n, sp, src, ctx)
	}
	return spellValue(typ, pt, ctx)
}

// flowSingleTag marks an ENC scalar inside a flow collection whose original
// value was single-quoted: sv writes plain values there single-quoted too (a
// plain ENC would end at its commas), so the tag tells the two apart. sops
// reads !!str as the string it is.
const flowSingleTag = "!!str "

func renderString(s string, n *yaml.Node, sp span, src []byte, ctx scalarContext) (string, error) {
	style := n.Style &^ (yaml.TaggedStyle | yaml.FlowStyle)
	if !utf8.ValidString(s) {
		return spellString(s, ctx)
	}
	switch style {
	case yaml.DoubleQuotedStyle:
		return doubleQuote(s), nil
	case yaml.SingleQuotedStyle:
		if ctx.flow && n.Style&yaml.TaggedStyle == 0 {
			// A plain value inside a flow collection (see flowSingleTag).
			return spellString(s, ctx)
		}
		if singleSafe(s) {
			return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
		}
		return doubleQuote(s), nil
	case yaml.LiteralStyle, yaml.FoldedStyle:
		return renderBlock(s, sp, src, ctx.eol), nil
	}
	return spellString(s, ctx)
}

// renderBlock re-creates a block scalar from its original header (kept in
// the file) and the value. Folded scalars lose their line wrapping: each
// value line becomes one source line.
func renderBlock(s string, sp span, src []byte, eol string) string {
	header := string(src[sp.val:sp.hdrEnd])
	header = strings.TrimSuffix(header, "\r")
	body := s
	switch sp.chomp {
	case '-':
	case '+':
		body = strings.TrimRight(body, "\n")
	default:
		body = strings.TrimSuffix(body, "\n")
	}
	if !literalSafe(s) || (sp.chomp == 0 && strings.HasSuffix(body, "\n")) || (sp.chomp == '-' && strings.HasSuffix(body, "\n")) {
		return doubleQuote(s)
	}
	lines := strings.Split(body, "\n")
	if header[0] == '>' {
		folded := true
		for _, l := range lines {
			if l == "" || l[0] == ' ' || l[0] == '\t' {
				folded = false
			}
		}
		if folded {
			// Each single line break would fold into a space: separate
			// lines with an empty line to keep them apart.
			lines = strings.Split(strings.Join(lines, "\n\n"), "\n")
		} else {
			header = "|" + header[1:]
		}
	}
	ind := sp.indent
	if ind == 0 {
		ind = 2
	}
	pad := strings.Repeat(" ", ind)
	var b strings.Builder
	b.WriteString(header)
	for _, l := range lines {
		b.WriteString(eol)
		if l != "" {
			b.WriteString(pad)
			b.WriteString(l)
		}
	}
	return b.String()
}

// literalSafe reports whether s can be written as a literal block: printable
// text, no trailing blanks on a line, no carriage returns, and not only
// line breaks.
func literalSafe(s string) bool {
	if strings.Trim(s, "\n") == "" {
		return false
	}
	for _, l := range strings.Split(s, "\n") {
		if strings.HasSuffix(l, " ") || strings.HasSuffix(l, "\t") {
			return false
		}
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && !printable(r) {
			return false
		}
	}
	return !strings.HasPrefix(s, "\n") && !strings.HasPrefix(s, "\t")
}

func singleSafe(s string) bool {
	for _, r := range s {
		if !printable(r) && r != '\t' {
			return false
		}
	}
	return !strings.ContainsAny(s, "\n\r")
}

func printable(r rune) bool {
	switch {
	case r == 0xFEFF:
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return false
	case r == 0x2028 || r == 0x2029:
		return false
	}
	return unicode.IsPrint(r) || r == ' ' || r == 0xa0 || unicode.IsSpace(r) && r > 0x7f
}

// doubleQuote writes s as a double-quoted scalar, escaping what YAML needs.
func doubleQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\0`)
		case 0x1b:
			b.WriteString(`\e`)
		case 0x85:
			b.WriteString(`\N`)
		case 0xa0:
			b.WriteString(`\_`)
		case 0x2028:
			b.WriteString(`\L`)
		case 0x2029:
			b.WriteString(`\P`)
		default:
			switch {
			case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
				fmt.Fprintf(&b, `\x%02X`, r)
			case r == 0xFEFF:
				b.WriteString(`\uFEFF`)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
