package yamlwalk

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// ScalarText checks value against typ (str, int, float or bool) and returns
// the plaintext sops would store for it: int, float and bool in canonical
// form. Errors never contain the value.
func ScalarText(typ, value string) (string, error) {
	switch typ {
	case crypt.TypeStr, "":
		if !utf8.ValidString(value) {
			return "", errors.New("the value is not UTF-8 text")
		}
		return value, nil
	case crypt.TypeInt:
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return "", errors.New("the value is not an integer (--type int)")
		}
		return strconv.FormatInt(n, 10), nil
	case crypt.TypeFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return "", errors.New("the value is not a number (--type float)")
		}
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	case crypt.TypeBool:
		b, err := strconv.ParseBool(strings.TrimSpace(value))
		if err != nil {
			return "", errors.New("the value is not true or false (--type bool)")
		}
		if b {
			return "True", nil
		}
		return "False", nil
	}
	return "", fmt.Errorf("unknown value type %q (want str, int, float or bool)", typ)
}

// SetValue returns src with the value at p in the first document set to
// value, of type typ (see ScalarText). Only the text of that value
// changes; missing mapping keys on the way are created as new lines at the
// end of the deepest existing block mapping, in the file's indentation.
// Everything else keeps its exact text, which is checked before returning.
// Only scalars are replaced: p may not name a mapping or a sequence.
func SetValue(src []byte, p ValuePath, typ, value string) ([]byte, error) {
	if len(p) == 0 {
		return nil, errors.New("empty value path")
	}
	if typ == "" {
		typ = crypt.TypeStr
	}
	pt, err := ScalarText(typ, value)
	if err != nil {
		return nil, &PathError{Path: p, Msg: err.Error()}
	}
	f, err := Parse(src)
	if err != nil {
		return nil, err
	}
	loc, err := f.locate(p)
	if err != nil {
		return nil, err
	}
	if err := loc.checkAliases(); err != nil {
		return nil, err
	}
	var e edit
	if loc.found() {
		e, err = f.replaceScalar(loc, typ, pt)
	} else {
		e, err = f.insertKeys(loc, p[len(loc.steps):], typ, pt)
	}
	if err != nil {
		return nil, err
	}
	out, err := applyEdits(src, []edit{e})
	if err != nil {
		return nil, err
	}
	if err := checkSet(src, out, p, typ, pt); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteValue returns src with the value at p in the first document
// removed: a mapping entry (key, value and the lines they take) or a block
// sequence item. A collection left empty becomes {} or []. Everything else
// keeps its exact text, which is checked before returning.
func DeleteValue(src []byte, p ValuePath) ([]byte, error) {
	if len(p) == 0 {
		return nil, errors.New("empty value path")
	}
	f, err := Parse(src)
	if err != nil {
		return nil, err
	}
	loc, err := f.locate(p)
	if err != nil {
		return nil, err
	}
	if !loc.found() {
		return nil, &PathError{Path: p, Msg: ErrPathNotFound.Error(), err: ErrPathNotFound}
	}
	if err := loc.checkAliases(); err != nil {
		return nil, err
	}
	edits, err := f.removeEntry(loc)
	if err != nil {
		return nil, err
	}
	out, err := applyEdits(src, edits)
	if err != nil {
		return nil, err
	}
	if err := checkDelete(src, out, p); err != nil {
		return nil, err
	}
	return out, nil
}

// frame is one collection on the way down to a value.
type frame struct {
	node   *yaml.Node // the mapping or sequence
	key    *yaml.Node // for mappings: the key that was followed
	index  int        // position of the followed entry in node.Content (key for mappings)
	parent *frame
	// parentKey is the key whose value node is (nil for the root and
	// sequence items).
	parentKey *yaml.Node
	flow      bool
}

// location is how far a path could be followed in a document.
type location struct {
	doc    *Doc
	steps  ValuePath // the steps that exist
	frames []*frame  // one per existing step: the collection it was taken in
	// node is the value at steps: the target when found, else the node
	// missing keys are added to (a mapping, or a null value), or nil for
	// an empty document.
	node *yaml.Node
	want int
}

func (l *location) found() bool { return len(l.steps) == l.want }

func (f *File) locate(p ValuePath) (*location, error) {
	d := f.Docs[0]
	loc := &location{doc: d, want: len(p)}
	n := d.Root
	flow := false
	var parentKey *yaml.Node
	for i, st := range p {
		if n == nil {
			return loc, nil
		}
		if n.Kind == yaml.AliasNode {
			return nil, &PathError{Path: p[:i], Msg: "is an alias (*" + n.Value + "); change the value it refers to instead"}
		}
		fr := &frame{node: n, parentKey: parentKey, flow: flow || n.Style&yaml.FlowStyle != 0}
		if len(loc.frames) > 0 {
			fr.parent = loc.frames[len(loc.frames)-1]
		}
		if st.IsIndex {
			if n.Kind != yaml.SequenceNode {
				return nil, &PathError{Path: p[:i+1], Msg: "[" + strconv.Itoa(st.Index) + "] needs a sequence, but " + describe(p[:i]) + " is " + kindName(n)}
			}
			if st.Index >= len(n.Content) {
				return nil, &PathError{Path: p[:i+1], Msg: fmt.Sprintf("no such item (the sequence has %d); sv can replace or remove sequence items, not add them: use sv edit", len(n.Content))}
			}
			fr.index = st.Index
			loc.frames = append(loc.frames, fr)
			loc.steps = p[:i+1]
			n, parentKey = n.Content[st.Index], nil
		} else {
			if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
				// A null value becomes a mapping when keys are added.
				loc.node = n
				return loc, nil
			}
			if n.Kind != yaml.MappingNode {
				return nil, &PathError{Path: p[:i+1], Msg: describe(p[:i]) + " is " + kindName(n) + ", not a mapping"}
			}
			idx := -1
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == st.Key {
					idx = j
				}
			}
			if idx < 0 {
				loc.node = n
				return loc, nil
			}
			fr.key, fr.index = n.Content[idx], idx
			loc.frames = append(loc.frames, fr)
			loc.steps = p[:i+1]
			n, parentKey = n.Content[idx+1], n.Content[idx]
		}
		flow = fr.flow
	}
	loc.node = n
	return loc, nil
}

// checkAliases refuses to change a node that aliases elsewhere refer to
// (or, for a value that is replaced or removed, holds such a node): the
// change would silently change the aliases too, or break them.
func (l *location) checkAliases() error {
	if l.node == nil || l.doc.Root == nil {
		return nil
	}
	var anchored func(n *yaml.Node) bool
	anchored = func(n *yaml.Node) bool {
		if n.Anchor != "" && aliasTo(l.doc.Root, n) {
			return true
		}
		if !l.found() {
			// Keys are added to this node only; its other children stay.
			return false
		}
		for _, c := range n.Content {
			if anchored(c) {
				return true
			}
		}
		return false
	}
	if anchored(l.node) {
		return &PathError{Path: l.steps, Msg: "is (or holds) an anchored value that aliases elsewhere refer to; changing it would change them too: use sv edit"}
	}
	return nil
}

func aliasTo(n, target *yaml.Node) bool {
	if n.Kind == yaml.AliasNode && n.Alias == target {
		return true
	}
	for _, c := range n.Content {
		if aliasTo(c, target) {
			return true
		}
	}
	return false
}

func describe(p ValuePath) string {
	if len(p) == 0 {
		return "the document root"
	}
	return p.String()
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.ShortTag() == "!!null" {
		return "null"
	}
	return "a scalar value"
}

// replaceScalar rewrites the text of an existing scalar in the style it
// had, where that style can hold the new value.
func (f *File) replaceScalar(loc *location, typ, pt string) (edit, error) {
	n := loc.node
	if n.Kind != yaml.ScalarNode {
		return edit{}, &PathError{Path: loc.steps, Msg: "is " + kindName(n) + "; sv set replaces scalar values only (use sv edit)"}
	}
	fr := loc.frames[len(loc.frames)-1]
	if n.ShortTag() == "!!null" && n.Value == "" {
		// An implicit null has no text: write after the key's colon.
		if fr.key == nil || fr.flow {
			return edit{}, &PathError{Path: loc.steps, Msg: "is an empty item; use sv edit"}
		}
		at, err := f.afterKeyColon(fr.key)
		if err != nil {
			return edit{}, err
		}
		text, err := f.newScalarText(typ, pt, scalarContext{col: fr.node.Column - 1, unit: f.indentUnit(), eol: f.eol()})
		if err != nil {
			return edit{}, &PathError{Path: loc.steps, Msg: err.Error()}
		}
		return edit{at, at, " " + text}, nil
	}
	off, err := f.src.offset(n.Line, n.Column)
	if err != nil {
		return edit{}, err
	}
	sp, err := f.src.scalarSpan(n, off, fr.node.Column-1, fr.flow)
	if err != nil {
		return edit{}, &PathError{Path: loc.steps, Msg: "cannot locate the value's text: " + err.Error()}
	}
	ctx := scalarContext{flow: fr.flow, seqItem: fr.key == nil && !fr.flow, col: fr.node.Column - 1, unit: f.indentUnit(), eol: f.eol()}
	ctx.oneLine = f.restOfLine(sp.end)
	var text string
	if typ == crypt.TypeStr {
		// The old value's style, where it holds the new value (a block
		// header's chomping may not); else the emitter's spelling.
		text, err = renderString(pt, n, sp, f.src.b, ctx)
		if err == nil && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && (ctx.oneLine || !readsBack(text, ctx, scalarValue{typ: crypt.TypeStr, s: pt})) {
			text, err = spellString(pt, ctx)
		}
	} else {
		text, err = f.newScalarText(typ, pt, ctx)
	}
	if err != nil {
		return edit{}, &PathError{Path: loc.steps, Msg: err.Error()}
	}
	if sp.anchor != "" {
		text = sp.anchor + " " + text
	}
	end := sp.end
	if sp.chomp == '+' {
		// The old block's trailing empty lines were part of its value.
		end = f.blankLinesAfter(end)
	}
	return edit{sp.start, end, text}, nil
}

// newScalarText spells a new value with the emitter (see emit.go).
func (f *File) newScalarText(typ, pt string, ctx scalarContext) (string, error) {
	if typ == crypt.TypeBool {
		// sv set takes true/false in any case; sops stores True/False.
		pt = strings.ToLower(pt)
	}
	return spellValue(typ, []byte(pt), ctx)
}

// insertKeys adds the missing keys rest (and the value) under the last
// existing node of loc.
func (f *File) insertKeys(loc *location, rest ValuePath, typ, pt string) (edit, error) {
	for i, st := range rest {
		if st.IsIndex {
			return edit{}, &PathError{Path: append(loc.steps[:len(loc.steps):len(loc.steps)], rest[:i+1]...), Msg: "does not exist, and sv set does not create sequences: use sv edit"}
		}
	}
	eol, unit := f.eol(), f.indentUnit()
	block := func(indent int) (string, error) {
		var b strings.Builder
		for i, st := range rest {
			if i > 0 {
				b.WriteString(eol)
			}
			b.WriteString(strings.Repeat(" ", indent+i*unit))
			b.WriteString(keyText(st.Key))
			b.WriteString(":")
			if i == len(rest)-1 {
				b.WriteString(" ")
				text, err := f.newScalarText(typ, pt, scalarContext{col: indent + i*unit, unit: unit, eol: eol})
				if err != nil {
					return "", err
				}
				b.WriteString(text)
			}
		}
		return b.String(), nil
	}
	n := loc.node
	var fr *frame
	if len(loc.frames) > 0 {
		fr = loc.frames[len(loc.frames)-1]
	}
	inFlow := fr != nil && fr.flow
	switch {
	case n == nil:
		// An empty document: the new keys are its content.
		at := loc.doc.end
		text, err := block(0)
		if err != nil {
			return edit{}, &PathError{Path: loc.steps, Msg: err.Error()}
		}
		text += eol
		if at > 0 && f.src.b[at-1] != '\n' {
			text = eol + text
		}
		return edit{at, at, text}, nil
	case n.Kind == yaml.MappingNode && len(n.Content) > 0:
		if n.Style&yaml.FlowStyle != 0 || inFlow {
			return edit{}, &PathError{Path: loc.steps, Msg: "is a flow mapping ({…}); sv set adds keys to block mappings only: use sv edit"}
		}
		k, v := n.Content[len(n.Content)-2], n.Content[len(n.Content)-1]
		end, err := f.entryEnd(k, v, n.Column-1)
		if err != nil {
			return edit{}, &PathError{Path: loc.steps, Msg: "cannot locate the end of the mapping: " + err.Error()}
		}
		at := contentEnd(f.src.b, end, f.src.lineEnd(end))
		text, err := block(n.Column - 1)
		if err != nil {
			return edit{}, &PathError{Path: loc.steps, Msg: err.Error()}
		}
		return edit{at, at, eol + text}, nil
	case n.Kind == yaml.MappingNode || n.ShortTag() == "!!null":
		// An empty mapping ({}) or a null value: the keys replace it.
		if fr == nil {
			// The root itself: a document holding only "{}" or "~".
			off, err := f.src.offset(n.Line, n.Column)
			if err != nil {
				return edit{}, err
			}
			end, err := f.valueEnd(n, -1)
			if err != nil {
				return edit{}, err
			}
			text, err := block(0)
			if err != nil {
				return edit{}, &PathError{Path: loc.steps, Msg: err.Error()}
			}
			return edit{off, end, text}, nil
		}
		if fr.key == nil || inFlow {
			return edit{}, &PathError{Path: loc.steps, Msg: "is " + kindName(n) + " inside a sequence or flow collection; use sv edit"}
		}
		start, err := f.afterKeyColon(fr.key)
		if err != nil {
			return edit{}, err
		}
		end := start
		if !(n.Kind == yaml.ScalarNode && n.Value == "") {
			if end, err = f.valueEnd(n, fr.node.Column-1); err != nil {
				return edit{}, err
			}
		}
		// The key's own indentation plus one unit.
		text, err := block(fr.node.Column - 1 + unit)
		if err != nil {
			return edit{}, &PathError{Path: loc.steps, Msg: err.Error()}
		}
		return edit{start, end, eol + text}, nil
	}
	return edit{}, &PathError{Path: loc.steps, Msg: "is " + kindName(n) + ", not a mapping"}
}

// keyText spells a new mapping key: plain where every reader takes it so,
// else double-quoted.
func keyText(k string) string {
	if t, err := spellString(k, scalarContext{flow: true}); err == nil && isPlainText(t) {
		return t
	}
	return doubleQuote(k)
}

// valueEnd is nodeEnd, also for empty flow collections ({} and []).
func (f *File) valueEnd(n *yaml.Node, indent int) (int, error) {
	if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && len(n.Content) == 0 {
		off, err := f.src.offset(n.Line, n.Column)
		if err != nil {
			return 0, err
		}
		i := bytes.IndexAny(f.src.b[off:], "]}")
		if i < 0 {
			return 0, errors.New("cannot find the end of an empty collection")
		}
		return off + i + 1, nil
	}
	return f.nodeEnd(n, indent, false)
}

// entryEnd is where the text of a mapping entry (key and value) ends.
func (f *File) entryEnd(k, v *yaml.Node, indent int) (int, error) {
	kEnd, err := f.nodeEnd(k, indent, false)
	if err != nil {
		return 0, err
	}
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" && v.Value == "" {
		return kEnd, nil
	}
	vEnd, err := f.valueEnd(v, indent)
	if err != nil {
		return 0, err
	}
	return max(kEnd, vEnd), nil
}

// removeEntry cuts the entry loc names out of its collection.
func (f *File) removeEntry(loc *location) ([]edit, error) {
	fr := loc.frames[len(loc.frames)-1]
	n := fr.node
	if fr.flow {
		return nil, &PathError{Path: loc.steps, Msg: "is inside a flow collection ([…] or {…}); sv unset removes block entries only: use sv edit"}
	}
	b := f.src.b
	var start, end int // the entry's own text
	var err error
	var nextStart = -1
	if n.Kind == yaml.MappingNode {
		k, v := n.Content[fr.index], n.Content[fr.index+1]
		if start, err = f.src.offset(k.Line, k.Column); err != nil {
			return nil, err
		}
		if end, err = f.entryEnd(k, v, n.Column-1); err != nil {
			return nil, &PathError{Path: loc.steps, Msg: "cannot locate the entry's text: " + err.Error()}
		}
		if fr.index+2 < len(n.Content) {
			nk := n.Content[fr.index+2]
			if nextStart, err = f.src.offset(nk.Line, nk.Column); err != nil {
				return nil, err
			}
		}
	} else {
		item := n.Content[fr.index]
		off, err := f.src.offset(item.Line, item.Column)
		if err != nil {
			return nil, err
		}
		dash := bytes.LastIndexByte(b[:off], '-')
		if dash < 0 {
			return nil, &PathError{Path: loc.steps, Msg: "cannot locate the item's text"}
		}
		start = dash
		if end, err = f.valueEnd(item, n.Column-1); err != nil {
			return nil, &PathError{Path: loc.steps, Msg: "cannot locate the item's text: " + err.Error()}
		}
		if item.Kind == yaml.ScalarNode && item.ShortTag() == "!!null" && item.Value == "" {
			end = dash + 1
		}
		if fr.index+1 < len(n.Content) {
			ni := n.Content[fr.index+1]
			o, err := f.src.offset(ni.Line, ni.Column)
			if err != nil {
				return nil, err
			}
			nextStart = bytes.LastIndexByte(b[:o], '-')
		}
	}
	ls := f.src.lineStart(start)
	var edits []edit
	if strings.TrimSpace(string(b[ls:start])) == "" {
		// The entry starts its line: remove whole lines, including a
		// comment after the value on its last line.
		le := f.src.lineEnd(end)
		if le < len(b) {
			le++
		}
		edits = append(edits, edit{ls, le, ""})
	} else if nextStart >= 0 {
		// "- a: 1" followed by "  b: 2": b moves up into a's place.
		edits = append(edits, edit{start, nextStart, ""})
	} else {
		// The only entry of a collection that starts mid-line ("- a: 1").
		empty := "{}"
		if n.Kind == yaml.SequenceNode {
			empty = "[]"
		}
		edits = append(edits, edit{start, contentEnd(b, end, f.src.lineEnd(end)), empty})
		return edits, nil
	}
	entries := len(n.Content)
	if n.Kind == yaml.MappingNode {
		entries /= 2
	}
	if entries == 1 {
		// The collection is now empty: say so, as sops does.
		empty := " {}"
		if n.Kind == yaml.SequenceNode {
			empty = " []"
		}
		switch {
		case fr.parentKey != nil:
			at, err := f.afterKeyColon(fr.parentKey)
			if err != nil {
				return nil, err
			}
			edits = append(edits, edit{at, at, empty})
		case fr.parent == nil:
			edits = append(edits, edit{loc.doc.end, loc.doc.end, strings.TrimSpace(empty) + f.eol()})
		default:
			// An item of a sequence: "- " followed by the removed lines.
			return nil, &PathError{Path: loc.steps, Msg: "is the only entry of a sequence item; use sv edit"}
		}
	}
	return edits, nil
}
