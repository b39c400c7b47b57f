package yamlwalk

import "bytes"

// Scalar is one leaf value of a YAML text and the bytes that spell it.
type Scalar struct {
	Doc  int
	Path string   // display path, e.g. db.hosts[0]
	Keys []string // mapping keys from the root
	Line int
	// Column is the value's 1-based column; a value's text can only be
	// moved between files where it sits at the same column (block scalars
	// carry their indentation).
	Column int
	// InSequence is true when some ancestor is a sequence, so Path holds an
	// item index that shifts when items are inserted or removed.
	InSequence bool
	// Start and End delimit the value's text, including an anchor or tag in
	// front of it. Both are -1 for a value with no text (an implicit null).
	Start, End int
}

// Scalars lists the scalar leaves of a YAML text in document order, with
// the byte range of each one's text. Aliases are not leaves. It is used to
// merge texts leaf by leaf without re-emitting them.
func Scalars(src []byte) ([]Scalar, error) {
	f, err := Parse(src)
	if err != nil {
		return nil, err
	}
	var out []Scalar
	err = f.walk(false, func(l *Leaf) error {
		s := Scalar{Doc: l.Doc, Path: l.Path, Keys: l.Keys, Line: l.Node.Line, Column: l.Node.Column, Start: -1, End: -1}
		p := ""
		for _, k := range l.Keys {
			p = joinPath(p, k)
		}
		s.InSequence = p != l.Path
		if !(l.Node.ShortTag() == "!!null" && l.Node.Value == "") {
			sp, err := f.leafSpan(l)
			if err != nil {
				return &ValueError{Path: l.Path, Line: l.Node.Line, Err: err}
			}
			s.Start, s.End = sp.start, sp.end
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// ReuseCiphertexts lets a later Reencrypt with d reuse o's ciphertexts too,
// for values that are unchanged relative to o rather than to d (a merge
// takes values from both sides). It does so only when both files share a
// data key, since a ciphertext is only valid under its own key, and reports
// whether it did. Reusing a ciphertext for exactly the same path, type and
// plaintext never pairs one IV with two plaintexts.
func (d *Decrypted) ReuseCiphertexts(o *Decrypted) bool {
	if o == nil || !bytes.Equal(d.Key, o.Key) {
		return false
	}
	dm := d.valueMap()
	for k, v := range o.valueMap() {
		if _, ok := dm[k]; !ok {
			dm[k] = v
		}
	}
	pm := d.plainMap()
	for k := range o.plainMap() {
		pm[k] = true
	}
	d.layoutOf("")
	for _, e := range o.stash {
		if _, ok := d.layouts[e.enc]; !ok && e.layout != "" {
			d.layouts[e.enc] = e
		}
	}
	return true
}
