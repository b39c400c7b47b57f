package sopsfile

// Conversion between formats (--output-type): every store reads its
// plaintext into one generic tree and writes a tree in its own syntax with
// that format's own encoder. Text is not kept across formats (comments,
// quoting, layout); values are, and every writer's output is read back and
// compared value by value before it is returned.
//
// A tree is an Object, a []any, or a scalar: string, bool, nil, int64,
// uint64, float64, or json.Number for an integer too big for 64 bits
// (kept digit for digit, where sops would round it to a float).

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// ConvertError is a value that does not fit the target format (or a file
// that cannot be read as a tree). Path names the value (a.b[0].c), never
// its text.
type ConvertError struct {
	Path string
	Msg  string
}

func (e *ConvertError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func convertError(p PathString, format string, a ...any) error {
	path := ""
	if len(p) > 0 {
		path = p.String()
	}
	return &ConvertError{Path: path, Msg: fmt.Sprintf(format, a...)}
}

// treeBudget bounds the values a tree may have (aliases can expand a small
// YAML file into a huge tree).
const treeBudget = 1_000_000

// YAMLTree reads a plaintext YAML file (one document) into a tree: keys in
// order, merge keys (<<) applied with explicit keys winning, aliases
// expanded, scalars as yaml.v3 resolves them. Timestamps keep their text
// (sops rewrites them in RFC 3339); !!binary values are decoded, and must
// be UTF-8 text.
func YAMLTree(text []byte) (any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &ConvertError{Msg: "invalid YAML: " + err.Error()}
		}
		docs = append(docs, &n)
	}
	switch {
	case len(docs) == 0 || len(docs) == 1 && len(docs[0].Content) == 0:
		return Object{}, nil
	case len(docs) > 1:
		return nil, &ConvertError{Msg: fmt.Sprintf("the file has %d YAML documents; only a file of one document converts", len(docs))}
	}
	c := &yamlReader{budget: treeBudget}
	return c.node(docs[0].Content[0], nil)
}

type yamlReader struct {
	budget int
	active map[*yaml.Node]bool // the collections being read: an alias to one is a cycle
}

func (c *yamlReader) node(n *yaml.Node, p PathString) (any, error) {
	if c.budget--; c.budget < 0 {
		return nil, &ConvertError{Msg: fmt.Sprintf("too many values (aliases expand to more than %d)", treeBudget)}
	}
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		if c.active[n] {
			return nil, convertError(p, "an alias refers to a collection that contains it")
		}
		if c.active == nil {
			c.active = map[*yaml.Node]bool{}
		}
		c.active[n] = true
		defer delete(c.active, n)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.node(n.Alias, p)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.node(n.Content[0], p)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, e := range n.Content {
			v, err := c.node(e, p.Index(i))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return c.mapping(n, p)
	}
	return c.scalar(n, p)
}

func (c *yamlReader) mapping(n *yaml.Node, p PathString) (Object, error) {
	o := Object{}
	at := map[string]int{}
	explicit := map[string]bool{}
	put := func(k string, v any, merged bool) error {
		i, ok := at[k]
		switch {
		case !ok:
			at[k] = len(o)
			o = append(o, Member{k, v})
			explicit[k] = !merged
		case merged:
			// An explicit key, or an earlier merged mapping, wins.
		case explicit[k]:
			return convertError(p.Key(k), "the key appears twice in its mapping")
		default:
			o[i].Value, explicit[k] = v, true
		}
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		for kn.Kind == yaml.AliasNode {
			kn = kn.Alias
		}
		if kn.Kind != yaml.ScalarNode {
			return nil, convertError(p, "a key that is not a scalar cannot be converted")
		}
		if kn.ShortTag() == "!!merge" {
			var sources []*yaml.Node
			m := vn
			for m.Kind == yaml.AliasNode {
				m = m.Alias
			}
			if m.Kind == yaml.SequenceNode {
				sources = m.Content
			} else {
				sources = []*yaml.Node{m}
			}
			for _, s := range sources {
				for s.Kind == yaml.AliasNode {
					s = s.Alias
				}
				if s.Kind != yaml.MappingNode {
					return nil, convertError(p, "a merge key (<<) whose value is not a mapping")
				}
				mm, err := c.node(s, p)
				if err != nil {
					return nil, err
				}
				for _, m := range mm.(Object) {
					if err := put(m.Key, m.Value, true); err != nil {
						return nil, err
					}
				}
			}
			continue
		}
		v, err := c.node(vn, p.Key(kn.Value))
		if err != nil {
			return nil, err
		}
		if err := put(kn.Value, v, false); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (c *yamlReader) scalar(n *yaml.Node, p PathString) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, convertError(p, "not a boolean")
		}
		return b, nil
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return i, nil
		}
		var u uint64
		if n.Decode(&u) == nil {
			return u, nil
		}
		digits := strings.TrimPrefix(strings.ReplaceAll(n.Value, "_", ""), "+")
		if decimalInteger(digits) {
			return json.Number(digits), nil
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, convertError(p, "an integer sv cannot read")
		}
		return f, nil
	case "!!float":
		if digits := strings.TrimPrefix(n.Value, "+"); decimalInteger(digits) {
			return json.Number(digits), nil // an integer beyond 64 bits
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, convertError(p, "not a number")
		}
		return f, nil
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			return nil, convertError(p, "a !!binary value that is not base64")
		}
		if !utf8.Valid(b) {
			return nil, convertError(p, "a !!binary value that is not UTF-8 text cannot be converted")
		}
		return string(b), nil
	}
	// !!str, !!timestamp (kept as written) and other tags: the text.
	return n.Value, nil
}

// decimalInteger reports whether s is an optionally signed run of decimal
// digits (JSON's integer syntax, leading zeros aside).
func decimalInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// YAMLText writes a tree as YAML with yaml.v3's encoder, indented by two
// spaces (Helm's convention; sops indents by four, which its users ask to
// change: getsops/sops#900, #980).
func YAMLText(v any) ([]byte, error) {
	n, err := yamlNode(v, nil)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, &ConvertError{Msg: "the YAML encoder failed: " + err.Error()}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return checkBack(buf.Bytes(), v, YAMLTree, "YAML")
}

func yamlNode(v any, p PathString) (*yaml.Node, error) {
	switch x := v.(type) {
	case Object:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, m := range x {
			k := &yaml.Node{}
			if err := k.Encode(m.Key); err != nil {
				return nil, convertError(p.Key(m.Key), "the key cannot be written as YAML")
			}
			e, err := yamlNode(m.Value, p.Key(m.Key))
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, k, e)
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i, e := range x {
			en, err := yamlNode(e, p.Index(i))
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, en)
		}
		return n, nil
	case json.Number:
		// Plain, as a person writes it (yaml.v3 would tag an integer
		// beyond 64 bits !!int, which YAML readers refuse).
		return &yaml.Node{Kind: yaml.ScalarNode, Value: string(x)}, nil
	}
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		s, ok := v.(string)
		if !ok {
			return nil, convertError(p, "the value cannot be written as YAML")
		}
		// yaml.v3 cannot spell every string in its own style (a tab
		// before a line break, say); double quotes hold any text.
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: s}, nil
	}
	return n, nil
}

// JSONTree reads a plaintext JSON document into a tree: keys in order
// (a key twice in one object is an error), integers exact, other numbers
// as float64.
func JSONTree(text []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	r := &jsonReader{dec: dec}
	v, err := r.value(nil)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &ConvertError{Msg: "invalid JSON: text after the document"}
	}
	return v, nil
}

type jsonReader struct{ dec *json.Decoder }

func (r *jsonReader) value(p PathString) (any, error) {
	t, err := r.dec.Token()
	if err != nil {
		return nil, &ConvertError{Msg: "invalid JSON: " + jsonErr(err)}
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			o := Object{}
			seen := map[string]bool{}
			for r.dec.More() {
				kt, err := r.dec.Token()
				if err != nil {
					return nil, &ConvertError{Msg: "invalid JSON: " + jsonErr(err)}
				}
				k, _ := kt.(string)
				if seen[k] {
					return nil, convertError(p.Key(k), "the key appears twice in its object")
				}
				seen[k] = true
				v, err := r.value(p.Key(k))
				if err != nil {
					return nil, err
				}
				o = append(o, Member{k, v})
			}
			_, err := r.dec.Token()
			return o, err
		case '[':
			a := []any{}
			for r.dec.More() {
				v, err := r.value(p.Index(len(a)))
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := r.dec.Token()
			return a, err
		}
	case json.Number:
		return jsonNumber(x, p)
	}
	return t, nil // string, bool, nil
}

// jsonErr is the decoder's message without the offending text.
func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("a syntax error at byte %d", se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the document ends early"
	}
	return "unreadable"
}

func jsonNumber(n json.Number, p PathString) (any, error) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u, nil
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, convertError(p, "a number out of range")
	}
	return f, nil
}

// JSONText writes a tree as JSON as sops does (json.Indent with a tab, a
// final line break), with encoding/json's spelling of each scalar, except
// that <, > and & are not escaped.
func JSONText(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, v, nil, 0); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return checkBack(buf.Bytes(), v, JSONTree, "JSON")
}

func writeJSON(buf *bytes.Buffer, v any, p PathString, depth int) error {
	nl := func(d int) { buf.WriteString("\n" + strings.Repeat("\t", d)) }
	switch x := v.(type) {
	case Object:
		if len(x) == 0 {
			buf.WriteString("{}")
			return nil
		}
		buf.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			nl(depth + 1)
			if err := jsonScalar(buf, m.Key, p); err != nil {
				return err
			}
			buf.WriteString(": ")
			if err := writeJSON(buf, m.Value, p.Key(m.Key), depth+1); err != nil {
				return err
			}
		}
		nl(depth)
		buf.WriteByte('}')
		return nil
	case []any:
		if len(x) == 0 {
			buf.WriteString("[]")
			return nil
		}
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			nl(depth + 1)
			if err := writeJSON(buf, e, p.Index(i), depth+1); err != nil {
				return err
			}
		}
		nl(depth)
		buf.WriteByte(']')
		return nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return convertError(p, "JSON has no infinity or NaN")
		}
	}
	return jsonScalar(buf, v, p)
}

func jsonScalar(buf *bytes.Buffer, v any, p PathString) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return convertError(p, "the value cannot be written as JSON")
	}
	buf.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	return nil
}

// ScalarText is a scalar's text in a format whose values are all text
// (dotenv, INI): a string as it is, null as "", numbers and booleans as
// JSON spells them (1.5, 1e+21, true). A mapping or list does not fit:
// the error names p and says what it is.
func ScalarText(v any, p PathString, format string) (string, error) {
	switch x := v.(type) {
	case Object:
		return "", convertError(p, "a mapping does not fit in %s file", format)
	case []any:
		return "", convertError(p, "a list does not fit in %s file", format)
	case string:
		return x, nil
	case nil:
		return "", nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}
	}
	var b bytes.Buffer
	if err := jsonScalar(&b, v, p); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Stringify is the tree a format whose values are all text reads back
// after writing v: every scalar as ScalarText gives it.
func Stringify(v any) any {
	switch x := v.(type) {
	case Object:
		o := make(Object, len(x))
		for i, m := range x {
			o[i] = Member{m.Key, Stringify(m.Value)}
		}
		return o
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = Stringify(e)
		}
		return a
	}
	s, _ := ScalarText(v, nil, "")
	return s
}

// CheckBack reads out back with read and compares it with the tree v it
// was written from: a writer's output must hold exactly the values it was
// given. A difference is reported by path, never by value.
func CheckBack(out []byte, v any, read func([]byte) (any, error), format string) ([]byte, error) {
	return checkBack(out, v, read, format)
}

func checkBack(out []byte, v any, read func([]byte) (any, error), format string) ([]byte, error) {
	back, err := read(out)
	if err != nil {
		return nil, &ConvertError{Msg: fmt.Sprintf("the %s written does not read back (please report this): %v", format, err)}
	}
	if p, ok := sameTree(v, back, nil); !ok {
		return nil, convertError(p, "the value does not read back the same from the %s written (please report this)", format)
	}
	return out, nil
}

// sameTree compares two trees; numbers compare by value whatever their Go
// type.
func sameTree(a, b any, p PathString) (PathString, bool) {
	switch x := a.(type) {
	case Object:
		y, ok := b.(Object)
		if !ok || len(x) != len(y) {
			return p, false
		}
		for i := range x {
			if x[i].Key != y[i].Key {
				return p.Key(x[i].Key), false
			}
			if q, ok := sameTree(x[i].Value, y[i].Value, p.Key(x[i].Key)); !ok {
				return q, false
			}
		}
		return nil, true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return p, false
		}
		for i := range x {
			if q, ok := sameTree(x[i], y[i], p.Index(i)); !ok {
				return q, false
			}
		}
		return nil, true
	}
	if na, ok := numberText(a); ok {
		nb, ok := numberText(b)
		return p, ok && na == nb
	}
	return p, reflect.DeepEqual(a, b)
}

// numberText is a number's value as comparable text.
func numberText(v any) (string, bool) {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case json.Number:
		return string(x), true
	case float64:
		if x == 0 {
			return "0", true // -0 is written as -0 and read back as 0
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e21 {
			return strconv.FormatFloat(x, 'f', -1, 64), true // as an integer reads
		}
		return strconv.FormatFloat(x, 'g', -1, 64), true
	}
	return "", false
}
