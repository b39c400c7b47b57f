package yamlwalk

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
	k8syaml "sigs.k8s.io/yaml"
)

// This file is sv's one emitter for values that have no original spelling:
// ciphertexts that sops wrote (always plain, whatever the value was), values
// given to sv set, new keys, merge results and metadata strings.
//
// yaml.v3's encoder spells each value; the spelling is then read back in a
// small document that puts it in the same position (same column, same kind
// of parent) with yaml.v3 and with sigs.k8s.io/yaml, the YAML 1.1 reader
// Helm uses. Both must give back exactly the value that went in, in type and
// value; otherwise the value is written double-quoted, which both read the
// same way. So a string "off" is never written plain (Helm would read false),
// a float never as an integer, and a block scalar's indentation indicator is
// always relative to its parent.

// scalarContext says where an emitted scalar goes.
type scalarContext struct {
	// flow: inside a flow collection ([…] or {…}); only one-line
	// spellings are used there.
	flow bool
	// seqItem: a block sequence item; col is the column of its "-".
	// Otherwise a block mapping value; col is the column of its key.
	seqItem bool
	col     int
	// unit is the indentation of block scalar content relative to col.
	unit int
	eol  string
	// oneLine: something (a comment) follows the value on its line, so a
	// block scalar, whose content starts on the next line, can't be used.
	oneLine bool
}

// errUnspellable means no spelling reads back as the value; it cannot
// happen for valid UTF-8 strings and finite numbers.
var errUnspellable = errors.New("no YAML spelling reads back as this value")

// spellString returns YAML text for the string s in context ctx.
func spellString(s string, ctx scalarContext) (string, error) {
	if !utf8.ValidString(s) {
		// Not text: yaml.v3 reads !!binary back as the same bytes.
		return "!!binary " + base64.StdEncoding.EncodeToString([]byte(s)), nil
	}
	if plainWord(s) {
		return s, nil
	}
	want := scalarValue{typ: crypt.TypeStr, s: s}
	if !strings.ContainsAny(s, "\t\r\n") && plainRunes(s) && readsBack(s, ctx, want) {
		// The value as it is, if every reader takes it so: sv wrote plain
		// ENC for a plain value, and this gives it back as it was.
		return s, nil
	}
	text, err := encodeScalar(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}, ctx)
	if err == nil && !(isPlainText(text) && !plainRunes(s)) && !(ctx.oneLine && strings.Contains(text, "\n")) && readsBack(text, ctx, want) {
		return text, nil
	}
	// Double quotes are the spelling every reader agrees on.
	text, err = encodeScalar(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: s}, ctx)
	if err == nil && readsBack(text, ctx, want) {
		return text, nil
	}
	return "", errUnspellable
}

// spellValue returns YAML text for a decrypted value of a sops type (pt is
// its plaintext as stored in the ciphertext) in context ctx.
func spellValue(typ string, pt []byte, ctx scalarContext) (string, error) {
	switch typ {
	case crypt.TypeStr, crypt.TypeBytes:
		return spellString(string(pt), ctx)
	case crypt.TypeInt:
		v, err := strconv.ParseInt(string(pt), 10, 64)
		if err != nil {
			return "", errors.New("decrypted int does not parse")
		}
		// A decimal int64 reads back as itself in YAML 1.1 and 1.2.
		return strconv.FormatInt(v, 10), nil
	case crypt.TypeFloat:
		f, err := strconv.ParseFloat(string(pt), 64)
		if err != nil {
			return "", errors.New("decrypted float does not parse")
		}
		return spellFloat(f, string(pt), ctx)
	case crypt.TypeBool:
		b, err := strconv.ParseBool(string(pt))
		if err != nil {
			return "", errors.New("decrypted bool does not parse")
		}
		return strconv.FormatBool(b), nil
	case crypt.TypeTime:
		var t time.Time
		if err := t.UnmarshalText(pt); err != nil {
			return "", errors.New("decrypted time does not parse")
		}
		// sops stores a bare date as midnight UTC; write it back as a date,
		// the spelling values files use.
		if d, ok := strings.CutSuffix(string(pt), "T00:00:00Z"); ok {
			return d, nil
		}
		return string(pt), nil
	}
	return "", errors.New("unknown value type")
}

// spellFloat writes a float so that it reads back as a float of the same
// value: the spelling kept in the ciphertext if it does (sv keeps 4.10 and
// 6.02e23 as written), else yaml.v3's, else a decimal with ".0".
func spellFloat(f float64, spelling string, ctx scalarContext) (string, error) {
	switch {
	case math.IsInf(f, 1):
		return ".inf", nil
	case math.IsInf(f, -1):
		return "-.inf", nil
	case math.IsNaN(f):
		return ".nan", nil
	}
	if plainDecimal(spelling) {
		return spelling, nil
	}
	want := scalarValue{typ: crypt.TypeFloat, f: f}
	cands := []string{spelling}
	if t, err := encodeScalar(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(f, 'g', -1, 64)}, ctx); err == nil {
		cands = append(cands, t)
	}
	cands = append(cands, strconv.FormatFloat(f, 'f', -1, 64)+".0")
	for _, c := range cands {
		if floatForm(c) && readsBack(c, ctx, want) {
			return c, nil
		}
	}
	return "", errUnspellable
}

// plainDecimal reports spellings like 4.10 or -0.5 (digits, a dot, digits):
// a float of the value strconv parses to every YAML reader, so need no
// read-back. Checked against the full read-back by a fuzz test.
func plainDecimal(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 || i >= len(s) || s[i] != '.' {
		return false
	}
	i++
	return digits() > 0 && i == len(s) && len(s) <= 40
}

// floatForm: the text looks like a float to every reader, not an int
// (602000000000000000000000 is an int to a reader with big integers).
func floatForm(s string) bool {
	return strings.ContainsAny(s, ".eE") && !strings.ContainsAny(s, "\"'")
}

// plainWord reports the strings that are plain strings to every YAML
// reader, so need no read-back: a letter, then letters, digits, '_', '-',
// '.', '/' or inner spaces, and not one of the words YAML 1.1 or 1.2 read as
// a bool or null. Checked against the full read-back by a fuzz test.
func plainWord(s string) bool {
	if s == "" || len(s) > 200 || s[len(s)-1] == ' ' {
		return false
	}
	c := s[0]
	if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/' || c == ' ') {
			return false
		}
	}
	if len(s) <= 5 {
		switch strings.ToLower(s) {
		case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
			return false
		}
	}
	return true
}

// plainRunes reports whether s holds only characters that may stand in a
// plain scalar anywhere: no tab (common parsers reject it there), no
// control characters, no byte order mark (a reader may take it for the
// start of a document) and no NEL, LS or PS (line breaks to yaml.v3).
func plainRunes(s string) bool {
	for _, r := range s {
		switch {
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == 0xFEFF, r == 0x2028, r == 0x2029:
			return false
		}
	}
	return true
}

// isPlainText reports whether emitted text is a plain scalar.
func isPlainText(text string) bool {
	return text != "" && !strings.ContainsRune("\"'|>!&*", rune(text[0]))
}

// encodeScalar spells n with yaml.v3's encoder in context ctx: as the value
// of a one-key mapping (or the item of a one-item sequence) encoded with
// ctx's indentation, whose continuation lines are then moved to ctx's
// column. Indentation indicators stay right: they are relative to the
// parent, which moves by the same amount.
func encodeScalar(n *yaml.Node, ctx scalarContext) (string, error) {
	var doc *yaml.Node
	var prefix string
	switch {
	case ctx.flow:
		doc = &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{n}}
		prefix = "["
	case ctx.seqItem:
		doc = &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{n}}
		prefix = "- "
	default:
		doc = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "k"}, n}}
		prefix = "k: "
	}
	var b bytes.Buffer
	e := yaml.NewEncoder(&b)
	unit := ctx.unit
	if unit < 2 || unit > 9 {
		unit = 2
	}
	e.SetIndent(unit)
	if err := e.Encode(doc); err != nil {
		return "", err
	}
	if err := e.Close(); err != nil {
		return "", err
	}
	out, ok := strings.CutPrefix(b.String(), prefix)
	if !ok {
		return "", errUnspellable
	}
	out = strings.TrimSuffix(out, "\n")
	if ctx.flow {
		out, ok = strings.CutSuffix(out, "]")
		if !ok || strings.Contains(out, "\n") {
			return "", errUnspellable
		}
		return out, nil
	}
	if !strings.Contains(out, "\n") {
		return out, nil
	}
	if ctx.seqItem && len(out) > 1 && (out[0] == '|' || out[0] == '>') && strings.ContainsAny(out[1:2], "123456789") {
		// An indentation indicator in a sequence item is relative to the
		// item's own indentation, which readers work out differently from
		// a top-level sequence: don't rely on it.
		return "", errUnspellable
	}
	lines := strings.Split(out, "\n")
	pad := strings.Repeat(" ", ctx.col)
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" {
			lines[i] = pad + lines[i]
		}
	}
	return strings.Join(lines, ctx.eol), nil
}

// scalarValue is a typed value to compare a read-back with.
type scalarValue struct {
	typ string
	s   string
	f   float64
}

// readsBack reports whether text, placed as ctx says in a small document,
// reads back as want under yaml.v3 and under sigs.k8s.io/yaml.
func readsBack(text string, ctx scalarContext, want scalarValue) bool {
	doc := contextDoc(text, ctx)
	var v3 struct {
		K any `yaml:"k"`
	}
	var got any
	if err := yaml.Unmarshal([]byte(doc), &v3); err != nil {
		return false
	}
	got = v3.K
	if ctx.flow || ctx.seqItem {
		l, ok := got.([]any)
		if !ok || len(l) != 1 {
			return false
		}
		got = l[0]
	}
	switch want.typ {
	case crypt.TypeStr:
		if s, ok := got.(string); !ok || s != want.s {
			return false
		}
	case crypt.TypeFloat:
		if f, ok := got.(float64); !ok || f != want.f {
			return false
		}
	default:
		return false
	}
	// Helm's reader: YAML 1.1 converted to JSON.
	j, err := k8syaml.YAMLToJSON([]byte(doc))
	if err != nil {
		return false
	}
	var h struct {
		K json.RawMessage `json:"k"`
	}
	if err := json.Unmarshal(j, &h); err != nil {
		return false
	}
	raw := h.K
	if ctx.flow || ctx.seqItem {
		var l []json.RawMessage
		if err := json.Unmarshal(raw, &l); err != nil || len(l) != 1 {
			return false
		}
		raw = l[0]
	}
	switch want.typ {
	case crypt.TypeStr:
		var s string
		return json.Unmarshal(raw, &s) == nil && s == want.s
	case crypt.TypeFloat:
		var f float64
		return len(raw) > 0 && raw[0] != '"' && json.Unmarshal(raw, &f) == nil && f == want.f
	}
	return false
}

// contextDoc builds a document holding text at ctx's position under the
// key k. A root mapping may be indented, so the key (or the dash of the
// item) sits at exactly ctx's column and the text is read in its position.
func contextDoc(text string, ctx scalarContext) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var b strings.Builder
	switch {
	case ctx.flow:
		b.WriteString("k: [")
	case ctx.seqItem:
		b.WriteString("k:\n")
		b.WriteString(strings.Repeat(" ", ctx.col))
		b.WriteString("- ")
	default:
		b.WriteString(strings.Repeat(" ", ctx.col))
		b.WriteString("k: ")
	}
	b.WriteString(text)
	if ctx.flow {
		b.WriteString("]")
	}
	b.WriteString("\n")
	return b.String()
}
