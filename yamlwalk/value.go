package yamlwalk

import (
	"encoding/base64"
	"fmt"
	"math"
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
		return "", nil, fmt.Errorf("cannot read value: %s", strings.TrimPrefix(err.Error(), "yaml: "))
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
// scalar it replaces. It returns the text of a plain, quoted or block
// scalar; for block scalars sp describes the header and indentation.
func render(typ string, pt []byte, n *yaml.Node, sp span, flow bool, src []byte, eol string, blockIndent int) (string, error) {
	switch typ {
	case crypt.TypeStr, crypt.TypeBytes:
		return renderString(string(pt), n, sp, flow, src, eol, blockIndent), nil
	case crypt.TypeInt:
		if _, err := strconv.Atoi(string(pt)); err != nil {
			return "", fmt.Errorf("decrypted int does not parse")
		}
		return string(pt), nil
	case crypt.TypeFloat:
		f, err := strconv.ParseFloat(string(pt), 64)
		if err != nil {
			return "", fmt.Errorf("decrypted float does not parse")
		}
		return formatFloat(f, string(pt)), nil
	case crypt.TypeBool:
		b, err := strconv.ParseBool(string(pt))
		if err != nil {
			return "", fmt.Errorf("decrypted bool does not parse")
		}
		return strconv.FormatBool(b), nil
	case crypt.TypeTime:
		var t time.Time
		if err := t.UnmarshalText(pt); err != nil {
			return "", fmt.Errorf("decrypted time does not parse")
		}
		// sops stores a bare date as midnight UTC; write it back as a date,
		// the spelling values files use.
		if d, ok := strings.CutSuffix(string(pt), "T00:00:00Z"); ok {
			return d, nil
		}
		return string(pt), nil
	}
	return "", fmt.Errorf("unknown value type %q", typ)
}

// formatFloat keeps a float a float in YAML: sops stores 1.0 as "1", which
// would read back as an int.
func formatFloat(f float64, s string) string {
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.IsNaN(f):
		return ".nan"
	}
	if (&yaml.Node{Kind: yaml.ScalarNode, Value: s}).ShortTag() == "!!float" {
		return s
	}
	return s + ".0"
}

func renderString(s string, n *yaml.Node, sp span, flow bool, src []byte, eol string, blockIndent int) string {
	style := n.Style &^ (yaml.TaggedStyle | yaml.FlowStyle)
	if !utf8.ValidString(s) {
		return "!!binary " + base64.StdEncoding.EncodeToString([]byte(s))
	}
	switch style {
	case yaml.DoubleQuotedStyle:
		return doubleQuote(s)
	case yaml.SingleQuotedStyle:
		if flow && plainSafe(s, true) {
			// sv writes plain values inside flow collections as
			// single-quoted ENC (a plain ENC would end at its commas).
			return s
		}
		if singleSafe(s) {
			return "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
		return doubleQuote(s)
	case yaml.LiteralStyle, yaml.FoldedStyle:
		return renderBlock(s, sp, src, eol)
	}
	if plainSafe(s, flow) {
		return s
	}
	if !flow && strings.Contains(strings.TrimRight(s, "\n"), "\n") && literalSafe(s) {
		return literal(s, blockIndent, eol)
	}
	return doubleQuote(s)
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

// literal renders a multi-line string as a literal block scalar whose
// content is indented to indent columns.
func literal(s string, indent int, eol string) string {
	header := "|"
	body := s
	switch {
	case strings.HasSuffix(s, "\n\n"):
		header = "|+"
		body = strings.TrimSuffix(s, "\n")
	case strings.HasSuffix(s, "\n"):
		body = strings.TrimSuffix(s, "\n")
	default:
		header = "|-"
	}
	if strings.HasPrefix(s, " ") {
		header = "|2" + header[1:]
	}
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString(header)
	for _, l := range strings.Split(body, "\n") {
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

// plainSafe reports whether s can be written as a plain scalar and read back
// as the same string.
func plainSafe(s string, flow bool) bool {
	if s == "" || s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t' {
		return false
	}
	switch s[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '-', '?', ':':
		if len(s) == 1 || s[1] == ' ' || s[1] == '\t' || (flow && strings.IndexByte(",[]{}", s[1]) >= 0) {
			return false
		}
	}
	if s[len(s)-1] == ':' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\n', '\r':
			return false
		case ':':
			if i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t' || flow && strings.IndexByte(",[]{}", s[i+1]) >= 0) {
				return false
			}
		case '#':
			if s[i-1] == ' ' || s[i-1] == '\t' {
				return false
			}
		case ',', '[', ']', '{', '}':
			if flow {
				return false
			}
		}
	}
	for _, r := range s {
		if !printable(r) && r != '\t' {
			return false
		}
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	return (&yaml.Node{Kind: yaml.ScalarNode, Value: s}).ShortTag() == "!!str"
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
