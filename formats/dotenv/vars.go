package dotenv

import (
	"errors"
	"strings"

	"github.com/sv-secrets/sv/formats/sopsfile"
)

// Var is one variable of a plaintext dotenv file, read as the common
// dotenv loaders (motdotla/dotenv, godotenv, python-dotenv) read it.
type Var struct {
	Name, Value string
	Line        int
}

// Vars reads a plaintext dotenv file as a loader does: "export " and
// blanks around the name are dropped; a double-quoted value may span lines
// and has its \n, \r, \t, \" and \\ escapes read; a single-quoted value is
// taken as it is; an unquoted value ends at " #" (an inline comment) and
// loses surrounding blanks. ${VAR} references are not expanded. Errors name
// lines, never values.
func Vars(text []byte) ([]Var, error) {
	entries, err := parse(text)
	if err != nil {
		return nil, err
	}
	var out []Var
	for _, e := range entries {
		if e.kind != kPair {
			continue
		}
		name := strings.TrimSpace(e.key(text))
		name = strings.TrimSpace(strings.TrimPrefix(name, "export "))
		if name == "" {
			return nil, &SyntaxError{e.line, "a value without a name"}
		}
		v, err := loaderValue(strings.TrimSuffix(e.value(text), "\r"))
		if err != nil {
			return nil, &SyntaxError{e.line, name + ": " + err.Error()}
		}
		out = append(out, Var{Name: name, Value: v, Line: e.line})
	}
	return out, nil
}

func loaderValue(raw string) (string, error) {
	v := strings.TrimLeft(raw, " \t")
	if v == "" {
		return "", nil
	}
	switch v[0] {
	case '"':
		i := closing([]byte(v[1:]), '"')
		if i < 0 {
			return "", errors.New("a double quote is not closed")
		}
		// Line breaks in the file are LF for loaders (CRLF read as LF);
		// an escaped \r is a CR of the value.
		body := strings.ReplaceAll(v[1:1+i], "\r\n", "\n")
		var b strings.Builder
		for j := 0; j < len(body); j++ {
			if body[j] != '\\' || j+1 == len(body) {
				b.WriteByte(body[j])
				continue
			}
			j++
			switch body[j] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\':
				b.WriteByte(body[j])
			default:
				b.WriteByte('\\')
				b.WriteByte(body[j])
			}
		}
		return b.String(), nil
	case '\'':
		i := strings.IndexByte(v[1:], '\'')
		if i < 0 {
			return "", errors.New("a single quote is not closed")
		}
		return strings.ReplaceAll(v[1:1+i], "\r\n", "\n"), nil
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	if i := strings.Index(v, "\t#"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimRight(v, " \t"), nil
}

// Values splits a plaintext dotenv file into its values (the text after
// each "="), named by their key, for a value-level merge.
func Values(text []byte) (*sopsfile.Doc, error) {
	entries, err := parse(text)
	if err != nil {
		return nil, err
	}
	d := &sopsfile.Doc{Text: text}
	for _, e := range entries {
		if e.kind == kPair {
			end := e.end
			if !e.multi && end > e.eq+1 && text[end-1] == '\r' {
				end-- // the line ending is not part of the value
			}
			d.Values = append(d.Values, sopsfile.Value{Path: e.key(text), Start: e.eq + 1, End: end})
		}
	}
	sopsfile.UniquePaths(d.Values)
	return d, nil
}

// safeRaw matches values written as they are by SetValue.
func safeRaw(v string) bool {
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.,:/@+=%^~", r)) {
			return false
		}
	}
	return true
}

// setText is how SetValue writes a value: as it is when it holds only
// letters, digits and _-.,:/@+=%^~; double-quoted otherwise, with \n,
// \" and \\ escaped (dotenv loaders read that back as the value).
func setText(v string) string {
	if safeRaw(v) {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`)
	return `"` + r.Replace(v) + `"`
}

func findKey(text []byte, entries []entry, key string) (entry, bool) {
	for _, k := range []string{key, "export " + key} {
		for _, e := range entries {
			if e.kind == kPair && e.key(text) == k {
				return e, true
			}
		}
	}
	return entry{}, false
}

// SetValue returns text with key's value set (the first line for key, or
// "export key"), or a line "key=value" added at the end.
func SetValue(text []byte, key, value string) ([]byte, error) {
	if key == "" || strings.ContainsAny(key, "=\n\r#") || strings.HasPrefix(key, sopsPrefix) {
		return nil, errors.New("not a name a dotenv file can hold")
	}
	entries, err := parse(text)
	if err != nil {
		return nil, err
	}
	v := setText(value)
	if e, ok := findKey(text, entries, key); ok {
		end := e.end
		if !e.multi && end > e.eq+1 && text[end-1] == '\r' {
			end--
		}
		return applyEdits(text, []edit{{e.eq + 1, end, v}}), nil
	}
	out := append([]byte(nil), text...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, key+"="+v+"\n"...), nil
}

// DeleteValue returns text without key's line (or lines).
func DeleteValue(text []byte, key string) ([]byte, error) {
	entries, err := parse(text)
	if err != nil {
		return nil, err
	}
	e, ok := findKey(text, entries, key)
	if !ok {
		return nil, errors.New(key + ": not found in the file")
	}
	return applyEdits(text, []edit{{e.start, e.next, ""}}), nil
}

// Tree reads a plaintext dotenv file for conversion to another format: its
// variables as Vars reads them (a later line for a name wins, in the
// first one's place), all strings. Comments are not converted.
func Tree(text []byte) (any, error) {
	vs, err := Vars(text)
	if err != nil {
		return nil, err
	}
	o := sopsfile.Object{}
	at := map[string]int{}
	for _, v := range vs {
		if i, ok := at[v.Name]; ok {
			o[i].Value = v.Value
			continue
		}
		at[v.Name] = len(o)
		o = append(o, sopsfile.Member{Key: v.Name, Value: v.Value})
	}
	return o, nil
}

// FromTree writes a tree as a dotenv file: one NAME=value line per
// top-level key, each value as SetValue writes it (double-quoted when it
// holds more than letters, digits and _-.,:/@+=%^~), numbers and booleans
// as JSON spells them, null as empty. Nested values do not fit; names must
// be names a dotenv file can hold. The output is read back and compared.
func FromTree(v any) ([]byte, error) {
	o, ok := v.(sopsfile.Object)
	if !ok {
		return nil, &sopsfile.ConvertError{Msg: "a dotenv file is a list of NAME=value lines: the top level must be a mapping"}
	}
	var b strings.Builder
	for _, m := range o {
		p := sopsfile.PathString{m.Key}
		s, err := sopsfile.ScalarText(m.Value, p, "a dotenv")
		if err != nil {
			return nil, err
		}
		if !validName(m.Key) {
			return nil, &sopsfile.ConvertError{Path: p.String(), Msg: "not a name a dotenv file can hold"}
		}
		b.WriteString(m.Key + "=" + setText(s) + "\n")
	}
	return sopsfile.CheckBack([]byte(b.String()), sopsfile.Stringify(o), Tree, "dotenv")
}

// validName reports whether a dotenv line can start with name: no
// blanks, quotes, "=", "#" or line breaks, not "export", and not sops's
// metadata prefix.
func validName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "=#\"'` \t\r\n") && name != "export" && !strings.HasPrefix(name, sopsPrefix)
}
