package yamlwalk

import (
	"bytes"
	"errors"
	"sort"

	"go.yaml.in/yaml/v3"
)

type edit struct {
	start, end int
	text       string
}

func applyEdits(b []byte, edits []edit) ([]byte, error) {
	return (&File{}).applyEdits(b, edits)
}

// ErrLayout means sv found the places of a file's values in a way that
// cannot be true (two of them overlap, or one lies outside the text): the
// file's line structure is one sv does not follow (e.g. a U+2028 line
// separator where a line break belongs). Nothing is written.
var ErrLayout = errors.New("cannot edit this file's text: the places of its values overlap (unusual line breaks, such as U+2028, next to them?)")

// applyEdits replaces each edit's range of b with its text. The unedited
// text between edits gets its placeholders expanded; edit texts (which may be
// plaintext) are copied as they are. Edits that overlap or leave b are
// ErrLayout: on hostile input that is an error, never a panic.
func (f *File) applyEdits(b []byte, edits []edit) ([]byte, error) {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	prev := 0
	for _, e := range edits {
		if e.start < prev || e.end < e.start || e.end > len(b) {
			return nil, ErrLayout
		}
		prev = e.end
	}
	n := len(b)
	for _, e := range edits {
		n += len(e.text) - (e.end - e.start)
	}
	out := make([]byte, 0, n)
	pos := 0
	for _, e := range edits {
		out = f.expandENC(out, b[pos:e.start])
		out = append(out, e.text...)
		pos = e.end
	}
	return f.expandENC(out, b[pos:]), nil
}

// eol is the file's line ending, computed once.
func (f *File) eol() string {
	if f.eolStr == "" {
		f.eolStr = "\n"
		if bytes.Contains(f.src.b, []byte("\r\n")) {
			f.eolStr = "\r\n"
		}
	}
	return f.eolStr
}

// indentUnit guesses the file's indentation step from its first nested block
// mapping; 2 if there is none.
func (f *File) indentUnit() int {
	if f.unit == 0 {
		f.unit = f.findIndentUnit()
	}
	return f.unit
}

func (f *File) findIndentUnit() int {
	var find func(n *yaml.Node) int
	find = func(n *yaml.Node) int {
		if n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle != 0 {
			return 0
		}
		for i := 1; i < len(n.Content); i += 2 {
			v := n.Content[i]
			if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Column > n.Column {
				if v.Line > n.Content[i-1].Line {
					return v.Column - n.Column
				}
			}
		}
		for i := 1; i < len(n.Content); i += 2 {
			if u := find(n.Content[i]); u > 0 {
				return u
			}
		}
		return 0
	}
	for _, d := range f.Docs {
		if d.Root != nil {
			if u := find(d.Root); u > 0 && u <= 8 {
				return u
			}
		}
	}
	return 2
}

// leafContext is where a leaf's value text sits, for the emitter.
func (f *File) leafContext(l *Leaf) scalarContext {
	return scalarContext{flow: l.Flow, seqItem: l.InSeq && !l.Flow, col: l.Indent, unit: f.indentUnit(), eol: f.eol()}
}

func (f *File) leafSpan(l *Leaf) (span, error) {
	off, err := f.src.offset(l.Node.Line, l.Node.Column)
	if err != nil {
		return span{}, err
	}
	return f.src.scalarSpan(l.Node, off, l.Indent, l.Flow)
}
