// Package yamlwalk reads and rewrites YAML files in the SOPS format without
// re-emitting them: it parses with yaml.v3 to find every leaf value, then
// edits the original bytes at those values' spans, so comments, blank lines,
// indentation, key order and quoting stay exactly as they were.
//
// It holds the walk over leaves and their paths, sops's selection rules,
// the text-preserving edits, and the sops: metadata block. Cryptography
// lives in package crypt. Nothing here prints or exits, and no error
// contains a value.
package yamlwalk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// File is a parsed YAML stream together with its original bytes.
type File struct {
	src  *source
	Docs []*Doc
	// Aliases lists alias nodes that refer to nodes holding leaves, by the
	// display path of the alias; see AliasWarnings.
	aliases []aliasRef
	eolStr  string // cached by eol
	unit    int    // cached by indentUnit
	// encs locates in orig the ciphertexts replaced by placeholders (see
	// shrinkENC); nil when the file was parsed as it is.
	encs [][2]int
	orig []byte
}

type aliasRef struct {
	path   string
	target *yaml.Node
	node   *yaml.Node // the alias
	keys   []string   // the path sops binds the alias's copy to
	flow   bool
}

// Doc is one document of the stream.
type Doc struct {
	Root      *yaml.Node // a mapping, or nil for an empty document
	startLine int        // the line the document starts on (its "---", if any)
	node      *yaml.Node // the document node: it holds the comments around the root
	end       int        // where the document's content ends: the next marker or EOF
	sopsKey   *yaml.Node // the top-level "sops" key, if present
	sopsVal   *yaml.Node
}

// SyntaxError is invalid YAML or a YAML shape the SOPS format can't hold.
type SyntaxError struct {
	Line int    // 1-based, 0 if unknown
	Path string // YAML path, if known
	Msg  string
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		fmt.Fprintf(&b, "%s: ", e.Path)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrEmpty is returned for a file with no YAML document at all.
var ErrEmpty = errors.New("file is empty: it must contain at least one YAML document")

// Parse parses a YAML stream. Every document's root must be a mapping (or
// empty), keys must be unique strings.
func Parse(b []byte) (*File, error) { return parse(b, false) }

// parseShrunk parses b with its ciphertexts replaced by placeholders; only
// code that resolves them (realValue, applyEdits) may use the result.
func parseShrunk(b []byte) (*File, error) { return parse(b, true) }

func parse(b []byte, shrink bool) (*File, error) {
	if !isUTF8(b) {
		return nil, &SyntaxError{Msg: "file is not UTF-8 text"}
	}
	if i := bytes.IndexByte(b, '\r'); i >= 0 && bareCR(b[i:]) {
		return nil, &SyntaxError{Msg: "the file uses bare carriage returns (CR) as line breaks: convert it to LF or CRLF line endings"}
	}
	var encs [][2]int
	orig := b
	if shrink {
		var ok bool
		if b, encs, ok = shrinkENC(b); !ok {
			encs = nil
		}
	}
	f := &File{src: newSource(b), encs: encs, orig: orig}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	lim := newLimiter()
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, yamlError(err)
		}
		if err := lim.doc(&n); err != nil {
			return nil, err
		}
		d := &Doc{startLine: n.Line, node: &n}
		if len(n.Content) == 1 {
			root := n.Content[0]
			switch {
			case root.Kind == yaml.MappingNode:
				if root.Style&yaml.FlowStyle != 0 && len(root.Content) > 0 {
					return nil, &SyntaxError{Line: root.Line, Msg: "a document whose root is a flow mapping ({...}) is not supported: write it in block style"}
				}
				d.Root = root
			case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" && root.Value == "":
				// An empty document: sops reads it as an empty map.
			default:
				return nil, &SyntaxError{Line: root.Line, Msg: "the document root must be a mapping (key: value pairs)"}
			}
		}
		f.Docs = append(f.Docs, d)
		_ = n
	}
	if len(f.Docs) == 0 {
		return nil, ErrEmpty
	}
	if err := f.findDocEnds(); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	if encs != nil && f.keysHoldPlaceholder() {
		return parse(orig, false)
	}
	return f, nil
}

func bareCR(b []byte) bool {
	for i, c := range b {
		if c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			return true
		}
	}
	return false
}

func isUTF8(b []byte) bool { return utf8.Valid(b) }

var yamlLineRe = "yaml: line "

func yamlError(err error) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, yamlLineRe); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			if line, err := strconv.Atoi(rest[:i]); err == nil {
				return &SyntaxError{Line: line, Msg: "invalid YAML: " + rest[i+2:]}
			}
		}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return &SyntaxError{Msg: "invalid YAML: " + msg}
}

// findDocEnds locates where each document ends: at the first document
// marker line ("---" or "...") after the line the document starts on (its
// own "---", if any, is on that line), or at the end of the file. Marker
// lines inside scalars can't occur at column 0 in a document whose root is
// a mapping.
func (f *File) findDocEnds() error {
	type marker struct{ line, off int }
	var markers []marker
	b := f.src.b
	for li, off := range f.src.lines {
		if off+3 <= len(b) && (string(b[off:off+3]) == "---" || string(b[off:off+3]) == "...") {
			if off+3 == len(b) || b[off+3] == ' ' || b[off+3] == '\t' || b[off+3] == '\n' || b[off+3] == '\r' {
				markers = append(markers, marker{li + 1, off})
			}
		}
	}
	for _, d := range f.Docs {
		d.end = len(b)
		for _, m := range markers {
			if m.line > d.startLine {
				d.end = m.off
				break
			}
		}
	}
	return nil
}

// check enforces what the SOPS format needs: string keys, no duplicates.
func (f *File) check() error {
	for _, d := range f.Docs {
		if d.Root == nil {
			continue
		}
		if err := checkNode(d.Root, ""); err != nil {
			return err
		}
		for i := 0; i+1 < len(d.Root.Content); i += 2 {
			if d.Root.Content[i].Value == "sops" {
				d.sopsKey, d.sopsVal = d.Root.Content[i], d.Root.Content[i+1]
			}
		}
	}
	return nil
}

func checkNode(n *yaml.Node, path string) error {
	switch n.Kind {
	case yaml.MappingNode:
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return &SyntaxError{Line: k.Line, Path: path, Msg: "only string keys are supported (found a complex key)"}
			}
			if t := k.ShortTag(); t != "!!str" && t != "!!merge" {
				return &SyntaxError{Line: k.Line, Path: path, Msg: fmt.Sprintf("only string keys are supported (found a %s key; quote it)", strings.TrimPrefix(t, "!!"))}
			}
			if seen[k.Value] {
				return &SyntaxError{Line: k.Line, Path: joinPath(path, k.Value), Msg: "duplicate key"}
			}
			seen[k.Value] = true
			if err := checkNode(n.Content[i+1], joinPath(path, k.Value)); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := checkNode(c, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}

// joinPath builds the display path of a value: dotted keys, with keys that
// contain dots or brackets quoted, and [i] for sequence items.
func joinPath(parent, key string) string {
	if strings.ContainsAny(key, ".[]\"' ") || key == "" {
		key = strconv.Quote(key)
		return parent + "[" + key + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// Leaf is one scalar value and where it sits.
type Leaf struct {
	Doc  int
	Node *yaml.Node
	// Keys are the mapping keys from the root; sequence items add nothing.
	// This is the path sops binds the value to.
	Keys []string
	// Path is the display path for messages, with sequence indices.
	Path string
	// Flow is true inside a flow collection ([...] or {...}).
	Flow bool
	// Indent is the indentation of the enclosing block collection.
	Indent int
	// InSeq is true for sequence items.
	InSeq bool
	// Alias is true when the leaf was reached through an alias (only in
	// expanded walks).
	Alias bool
	// AliasOf is the alias node an expanded walk came through to a scalar.
	AliasOf *yaml.Node
	// Comments is the comment stack sops's comment regexes look at: the
	// comments just before each key or item on the way down (filled only
	// when the walk asks for them).
	Comments []string
	// Seq is the sequence holding the leaf and SeqKey the mapping key that
	// holds the sequence (nil if it is not a mapping value).
	Seq, SeqKey *yaml.Node
}

// walk calls fn for every scalar leaf in document order. The top-level
// sops key is skipped. With expand, aliases are followed (as sops reads
// them); without, alias nodes are skipped and recorded.
func (f *File) walk(expand bool, fn func(*Leaf) error) error {
	return f.walkWith(expand, false, fn)
}

// walkWith is walk that can also fill in each leaf's comment stack.
func (f *File) walkWith(expand, comments bool, fn func(*Leaf) error) error {
	for di, d := range f.Docs {
		if d.Root == nil {
			continue
		}
		w := walker{f: f, doc: di, expand: expand, fn: fn, comments: comments}
		if err := w.mapping(d.Root, nil, "", false, true, false); err != nil {
			return err
		}
	}
	return nil
}

type walker struct {
	f      *File
	doc    int
	expand bool
	fn     func(*Leaf) error
	// Set by the mapping being walked, for sequence values.
	key *yaml.Node
	// comments: keep the comment stack in stack.
	comments bool
	stack    []string
}

// push adds the comments of one key or item to the stack and returns the
// length to pop back to.
func (w *walker) push(nodes ...*yaml.Node) int {
	n := len(w.stack)
	if !w.comments {
		return n
	}
	for _, x := range nodes {
		for _, c := range []string{x.HeadComment, x.LineComment} {
			for _, l := range strings.Split(c, "\n") {
				if l = strings.TrimSpace(l); strings.HasPrefix(l, "#") {
					w.stack = append(w.stack, l[1:])
				}
			}
		}
	}
	return n
}

func (w *walker) leafComments() []string {
	if len(w.stack) == 0 {
		return nil
	}
	return append([]string(nil), w.stack...)
}

func (w *walker) mapping(n *yaml.Node, keys []string, path string, flow, top, alias bool) error {
	flow = flow || n.Style&yaml.FlowStyle != 0
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if top && k.Value == "sops" {
			continue
		}
		sub := append(keys[:len(keys):len(keys)], k.Value)
		w.key = k
		mark := w.push(k, v)
		if err := w.value(v, sub, joinPath(path, k.Value), flow, n.Column-1, false, alias); err != nil {
			return err
		}
		w.stack = w.stack[:mark]
	}
	return nil
}

func (w *walker) value(v *yaml.Node, keys []string, path string, flow bool, indent int, inSeq, alias bool) error {
	switch v.Kind {
	case yaml.ScalarNode:
		return w.fn(&Leaf{Doc: w.doc, Node: v, Keys: keys, Path: path, Flow: flow, Indent: indent, InSeq: inSeq, Alias: alias, Comments: w.leafComments()})
	case yaml.MappingNode:
		return w.mapping(v, keys, path, flow, false, alias)
	case yaml.SequenceNode:
		fl := flow || v.Style&yaml.FlowStyle != 0
		owner := w.key
		for i, c := range v.Content {
			mark := w.push(c)
			if c.Kind == yaml.ScalarNode {
				err := w.fn(&Leaf{Doc: w.doc, Node: c, Keys: keys, Path: path + "[" + strconv.Itoa(i) + "]", Flow: fl, Indent: v.Column - 1, InSeq: true, Alias: alias, Seq: v, SeqKey: owner, Comments: w.leafComments()})
				if err != nil {
					return err
				}
				w.stack = w.stack[:mark]
				continue
			}
			w.key = nil
			if err := w.value(c, keys, path+"["+strconv.Itoa(i)+"]", fl, v.Column-1, true, alias); err != nil {
				return err
			}
			w.stack = w.stack[:mark]
		}
	case yaml.AliasNode:
		if !w.expand {
			if v.Alias.Kind == yaml.ScalarNode {
				// Scalar aliases are leaves of their own: an encrypted
				// anchor's aliases get materialized (see Encrypt).
				return w.fn(&Leaf{Doc: w.doc, Node: v, Keys: keys, Path: path, Flow: flow, Indent: indent, InSeq: inSeq})
			}
			if hasLeaves(v.Alias) {
				w.f.aliases = append(w.f.aliases, aliasRef{path: path, target: v.Alias, node: v, keys: keys, flow: flow})
			}
			return nil
		}
		if v.Alias.Kind == yaml.ScalarNode {
			return w.fn(&Leaf{Doc: w.doc, Node: v.Alias, AliasOf: v, Keys: keys, Path: path, Flow: flow, Indent: indent, InSeq: inSeq, Alias: true})
		}
		return w.value(v.Alias, keys, path, flow, indent, inSeq, true)
	}
	return nil
}

func hasLeaves(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.ScalarNode:
		return true
	case yaml.AliasNode:
		return hasLeaves(n.Alias)
	}
	for _, c := range n.Content {
		if hasLeaves(c) {
			return true
		}
	}
	return false
}
