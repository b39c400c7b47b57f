package yamlwalk

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// DecryptOptions configure Decrypt.
type DecryptOptions struct {
	Keys KeySource
	// IgnoreMAC skips the MAC check (for recovery). Each value's own tag is
	// still verified.
	IgnoreMAC bool
}

// Decrypted is an opened file.
type Decrypted struct {
	Text     []byte // the plaintext file, sops block removed
	Metadata *Metadata
	Key      []byte // the data key, for writers that re-encrypt
	Warnings []string
	// stash lists each encrypted value's AAD, type, plaintext and
	// ciphertext; values indexes it, built on first use (most decryptions
	// never re-encrypt).
	stash    []stashEntry
	values   map[string][]string
	plain    map[string]bool
	layouts  map[string]stashEntry
	comments map[string][]commentRec
}

type stashEntry struct {
	aad, typ string
	pt       []byte
	enc      string
	// plain: the ENC scalar was written plain in block context (as sops
	// writes every value), so a rewrite keeps it plain whatever spelling
	// its plaintext got; for a comment, it was a sequence item.
	plain bool
	// layout is the ENC scalar's text (tag, quotes, block header and
	// indentation; no anchor), col the column it started at: a rewrite
	// that keeps the ciphertext keeps this text.
	layout string
	col    int
	off    int // where the value or comment was in the file
}

// valueMap maps stashKey(aad, typ, pt) to the ciphertexts of the values
// with that key, in document order (a list may hold the same value twice).
func (d *Decrypted) valueMap() map[string][]string {
	if d.values == nil {
		d.values = make(map[string][]string, len(d.stash))
		for _, e := range d.stash {
			if e.enc != "" {
				k := stashKey(e.aad, e.typ, canonical(e.typ, e.pt))
				d.values[k] = append(d.values[k], e.enc)
			}
		}
	}
	return d.values
}

// Stash returns a Stash that reuses this file's ciphertexts for values that
// are unchanged (same path, type and value: a float spelled 6.02e+23 is the
// one sops stored as 602000000000000000000000), so a rewrite under the same
// data key changes only what changed. Callers pass canonical plaintexts.
func (d *Decrypted) Stash() Stash {
	used := map[string]int{}
	return func(aad, typ string, pt []byte) string {
		k := stashKey(aad, typ, pt)
		encs := d.valueMap()[k]
		if len(encs) == 0 {
			return ""
		}
		// Equal values take their ciphertexts in document order.
		i := min(used[k], len(encs)-1)
		used[k]++
		return encs[i]
	}
}

// plainENC reports whether the value with this AAD, type and plaintext was
// written as a plain ENC scalar in block context (for a comment: as a list
// item), so that a rewrite keeps that layout even under a new data key.
func (d *Decrypted) plainENC(aad, typ string, pt []byte) bool {
	return d.plainMap()[stashKey(aad, typ, canonical(typ, pt))]
}

func (d *Decrypted) plainMap() map[string]bool {
	if d.plain == nil {
		d.plain = make(map[string]bool)
		for _, e := range d.stash {
			if e.plain {
				d.plain[stashKey(e.aad, e.typ, canonical(e.typ, e.pt))] = true
			}
		}
	}
	return d.plain
}

// WithKey returns a Decrypted for re-encrypting d's text under another data
// key and metadata (sv rotate): no ciphertext is reused, but the layout is,
// so a file sops wrote keeps sops's layout (plain ENC scalars, comments as
// list items).
func (d *Decrypted) WithKey(key []byte, meta *Metadata) *Decrypted {
	out := &Decrypted{Text: d.Text, Key: key, Metadata: meta, stash: make([]stashEntry, len(d.stash))}
	for i, e := range d.stash {
		e.enc, e.layout = "", ""
		out.stash[i] = e
	}
	return out
}

// commentRec is how one comment of a file was encrypted.
type commentRec struct {
	enc  string // its ciphertext ("" once rekeyed)
	item bool   // written as a sequence item ("- ENC[…]"), as sops does in lists
}

// commentsByText returns how this file's comments with text pt were
// encrypted, in document order: a rewrite gives the k-th such comment the
// k-th ciphertext and form. (The path sv derives for a comment need not be
// the one sops bound it to; decryption tries the paths around a comment,
// so the ciphertext sops made still decrypts where it stands.)
func (d *Decrypted) commentsByText(pt []byte) []commentRec {
	if d.comments == nil {
		var cs []stashEntry
		for _, e := range d.stash {
			if e.typ == crypt.TypeComment {
				cs = append(cs, e)
			}
		}
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].off < cs[j].off })
		d.comments = map[string][]commentRec{}
		for _, e := range cs {
			d.comments[string(e.pt)] = append(d.comments[string(e.pt)], commentRec{e.enc, e.plain})
		}
	}
	return d.comments[string(pt)]
}

// layoutOf returns the text and column of the ENC scalar that holds enc,
// one of this file's ciphertexts.
func (d *Decrypted) layoutOf(enc string) (layout string, col int, ok bool) {
	if d.layouts == nil {
		d.layouts = make(map[string]stashEntry, len(d.stash))
		for _, e := range d.stash {
			if e.layout != "" {
				d.layouts[e.enc] = e
			}
		}
	}
	e, ok := d.layouts[enc]
	return e.layout, e.col, ok
}

// layout is the text of an ENC scalar at sp, without its anchor.
func (f *File) layout(sp span) string {
	props := string(f.src.b[sp.start:sp.val])
	if sp.anchor != "" {
		props = strings.TrimLeft(strings.Replace(props, sp.anchor, "", 1), " \t")
	}
	if strings.ContainsAny(props, "\n#") {
		return "" // properties on lines of their own: not worth keeping
	}
	return props + string(f.expandENC(nil, f.src.b[sp.val:sp.end]))
}

func stashKey(aad, typ string, pt []byte) string {
	return aad + "\x00" + typ + "\x00" + string(pt)
}

// parseEncrypted parses a file that must carry sops metadata (shrunk: see
// parseShrunk) and returns the metadata too; a file without it gives
// ErrNotEncrypted.
func parseEncrypted(b []byte, shrunk bool) (*File, *Metadata, error) {
	f, err := parse(b, shrunk)
	if err != nil {
		return nil, nil, err
	}
	meta, err := f.Metadata()
	if err != nil {
		return nil, nil, err
	}
	if meta == nil {
		return nil, nil, ErrNotEncrypted
	}
	return f, meta, nil
}

// Decrypt opens an encrypted file: it recovers the data key, decrypts and
// verifies every value against its path, checks the MAC, turns encrypted
// comments back into comments, and removes the sops block. The text of
// everything else is returned as it was.
//
// A file in the plain block layout sops writes takes the fast path (see
// fastdecrypt.go), which gives the same result; every other file, and every
// failure, takes the node path.
func Decrypt(b []byte, opt DecryptOptions) (*Decrypted, error) {
	out, key, done, err := decryptFast(b, opt)
	if done {
		if err == nil && fastCrossCheck != nil {
			fastCrossCheck(b, opt, out, key)
		}
		return out, err
	}
	return decryptNode(b, opt, key)
}

// fastCrossCheck, set by the tests, compares every result of the fast path
// with the node path's.
var fastCrossCheck func(b []byte, opt DecryptOptions, fast *Decrypted, key []byte)

// decryptNode is Decrypt through yaml.v3's node tree; key is the data key
// if the fast path opened it already.
func decryptNode(b []byte, opt DecryptOptions, key []byte) (*Decrypted, error) {
	f, meta, err := parseEncrypted(b, true)
	if err != nil {
		return nil, err
	}
	if key == nil {
		if key, err = opt.Keys.DataKey(meta.KeyGroups, meta.ShamirThreshold); err != nil {
			return nil, err
		}
	}
	return f.decrypt(meta, key, opt.IgnoreMAC)
}

func (f *File) decrypt(meta *Metadata, key []byte, ignoreMAC bool) (*Decrypted, error) {
	c, err := crypt.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := &Decrypted{Metadata: meta, Key: key, stash: make([]stashEntry, 0, len(f.encs))}
	states := make(map[*yaml.Node]*leafState, len(f.encs))
	edits := make([]edit, 0, len(f.encs)+len(f.Docs))
	anchorValues := map[string][]byte{}
	seqs := map[*yaml.Node]*seqComments{}
	want := make([]readBack, 0, len(f.encs))
	copies := f.findAliasCopies()
	// risky: an edit that could change the text around it (a block scalar,
	// a comment item, an alias copy); see verifyReadBack.
	risky := len(copies) > 0
	err = f.walkWith(false, meta.Rules.usesComments(), func(l *Leaf) error {
		n := l.Node
		if n.Kind == yaml.AliasNode {
			return nil
		}
		aad := crypt.AAD(l.Keys)
		should := meta.Rules.ShouldEncrypt(l.Keys, l.Comments)
		if l.Seq != nil && seqs[l.Seq] == nil {
			seqs[l.Seq] = &seqComments{key: l.SeqKey}
		}
		if !should || !crypt.IsENC(n.Value) || n.Tag != "!!str" && n.Tag != "" && !isAliasCopy(n) {
			typ, pt, err := plaintext(n)
			if err != nil {
				return &ValueError{Path: l.Path, Line: n.Line, Err: err}
			}
			if should && typ != "" && !(typ == crypt.TypeStr && len(pt) == 0) {
				return &ValueError{Path: l.Path, Line: n.Line, Err: ErrNotPlain}
			}
			states[n] = &leafState{typ: typ, pt: pt}
			want = append(want, readBack{l.Path, n.Line, typ, pt, copies[n]})
			return nil
		}
		enc := f.realValue(n.Value)
		pt, typ, err := c.Decrypt(enc, aad)
		if err != nil {
			return &ValueError{Path: l.Path, Line: n.Line, Err: err}
		}
		// The MAC covers a value's canonical bytes; sv keeps a float's own
		// spelling inside the ciphertext (see keptSpelling).
		states[n] = &leafState{typ: typ, pt: canonical(typ, pt), encrypted: true}
		// A block scalar's value ends in a line break that is not part of
		// the ENC string; stashing it would add a blank line on rewrite.
		plainENC := n.Style&^yaml.TaggedStyle == 0 && !l.Flow
		sp, err := f.leafSpan(l)
		if err != nil {
			return &ValueError{Path: l.Path, Line: n.Line, Err: errors.New("cannot locate the value's text")}
		}
		out.stash = append(out.stash, stashEntry{aad, typ, pt, strings.TrimRight(enc, "\r\n"), plainENC, f.layout(sp), sp.start - f.src.lineStart(sp.start), sp.start})
		if typ == crypt.TypeComment {
			// sops writes comments inside sequences as items.
			if !l.InSeq {
				return &ValueError{Path: l.Path, Line: n.Line, Err: errors.New("a comment value outside a sequence")}
			}
			dash := bytes.LastIndexByte(f.src.b[:sp.start], '-')
			if dash < 0 || strings.TrimSpace(string(f.src.b[dash+1:sp.start])) != "" {
				return &ValueError{Path: l.Path, Line: n.Line, Err: errors.New("cannot locate the comment item")}
			}
			edits = append(edits, edit{dash, sp.end, "#" + string(pt)})
			risky = true
			sc := seqs[l.Seq]
			sc.comments++
			sc.lastEnd, sc.dashCol = sp.end, dash-f.src.lineStart(dash)
			return nil
		}
		if n.Anchor != "" {
			anchorValues[n.Anchor] = pt
		}
		if isAliasCopy(n) {
			name := strings.TrimPrefix(n.Tag, aliasTag)
			if v, ok := anchorValues[name]; ok && string(v) == string(pt) {
				edits = append(edits, edit{sp.start, sp.end, "*" + name})
				return nil
			}
			// The copy was changed on its own (e.g. by sops): keep the value.
			n = &yaml.Node{Kind: n.Kind, Style: n.Style &^ yaml.TaggedStyle, Value: n.Value}
		}
		want = append(want, readBack{l.Path, n.Line, typ, pt, copies[l.Node]})
		ctx := f.leafContext(l)
		ctx.oneLine = f.restOfLine(sp.end)
		text, err := render(typ, pt, n, sp, f.src.b, ctx)
		if err != nil {
			return &ValueError{Path: l.Path, Line: n.Line, Err: err}
		}
		if sp.anchor != "" {
			text = sp.anchor + " " + text
		}
		if cp := copies[l.Node]; cp != nil {
			cp.edits = append(cp.edits, edit{sp.start, sp.end, text})
			return nil
		}
		if strings.ContainsAny(text, "\n\r") || strings.HasPrefix(text, "!") {
			risky = true
		}
		edits = append(edits, edit{sp.start, sp.end, text})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !ignoreMAC {
		if err := f.verifyMAC(c, meta, states, false); err != nil {
			return nil, err
		}
	}
	for seq, sc := range seqs {
		// sops writes the comments of a list as items; a list that held only
		// comments was empty.
		if sc.comments > 0 && sc.comments == len(seq.Content) && sc.key != nil && seq.Style&yaml.FlowStyle == 0 {
			// The comments then the empty list, as the file had them
			// before sops made items of them.
			e := sc.lastEnd
			edits = append(edits, edit{e, e, f.eol() + strings.Repeat(" ", sc.dashCol) + "[]"})
			risky = true
		}
	}
	ae, collapsed, err := f.collapseCopies(copies, states)
	if err != nil {
		return nil, err
	}
	edits = append(edits, ae...)
	if len(collapsed) > 0 {
		kept := want[:0]
		for _, w := range want {
			if !collapsed[w.copy] {
				kept = append(kept, w)
			}
		}
		want = kept
	}
	ce, err := f.decryptComments(c, edits, out)
	if err != nil {
		return nil, err
	}
	edits = append(edits, ce...)
	re, err := f.removeMetadata()
	if err != nil {
		return nil, err
	}
	edits = append(edits, re...)
	out.Warnings = f.aliasWarnings(states)
	if out.Text, err = f.applyEdits(f.src.b, edits); err != nil {
		return nil, err
	}
	for _, e := range ce {
		if strings.ContainsAny(e.text, "\n\r") {
			risky = true
		}
	}
	if risky {
		if err := verifyReadBack(out.Text, want); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readBack is a value as decryption must give it back.
type readBack struct {
	path string
	line int
	typ  string
	pt   []byte
	copy *aliasCopy // the alias copy holding the value, if any
}

// ErrReadBack means the decrypted text would not read back as the values
// that were decrypted; it is wrapped in a ValueError naming the path.
var ErrReadBack = errors.New("the decrypted text would not read back as the decrypted value (sv refuses to output it; please report this file shape)")

// verifyReadBack parses the decrypted text again and checks that its values,
// in document order, are exactly want in type and value: no spelling sv
// chose may change a value, and no edit may break the YAML around it.
//
// Decrypt calls it whenever an edit could reach beyond its own scalar:
// multi-line text (block scalars), comments made of sequence items, the
// "[]" of a list that held only comments, alias copies, tags. The other
// edits replace a one-line ENC scalar with a one-line scalar that is known
// to read back as the value in exactly that position: a plain word, an
// int, a bool or a decimal float (valid wherever a plain scalar is), a
// spelling the emitter read back in a document that puts it at the same
// column in the same kind of collection, or the quoted spelling sv wrote
// the ENC in (quotes delimit themselves). Parsing all of a large file again
// would double the cost of decrypting it.
func verifyReadBack(text []byte, want []readBack) error {
	g, err := Parse(text)
	if err != nil {
		if len(want) > 0 {
			return &ValueError{Path: want[0].path, Err: fmt.Errorf("%w: %v", ErrReadBack, err)}
		}
		return err
	}
	i := 0
	err = g.walk(false, func(l *Leaf) error {
		if l.Node.Kind == yaml.AliasNode {
			return nil
		}
		if i >= len(want) {
			return &ValueError{Path: l.Path, Line: l.Node.Line, Err: ErrReadBack}
		}
		w := want[i]
		i++
		typ, pt, err := plaintext(l.Node)
		if err != nil || !sameValue(typ, pt, w.typ, w.pt) {
			return &ValueError{Path: w.path, Line: w.line, Err: ErrReadBack}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if i != len(want) {
		return &ValueError{Path: want[i].path, Line: want[i].line, Err: ErrReadBack}
	}
	return nil
}

// sameValue compares a value read from YAML (canonical, as plaintext gives
// it) with a decrypted one.
func sameValue(typ string, pt []byte, wtyp string, wpt []byte) bool {
	if wtyp == crypt.TypeBytes {
		wtyp = crypt.TypeStr
	}
	return typ == wtyp && bytes.Equal(pt, canonical(wtyp, wpt))
}

// canonical returns the bytes sops feeds to the MAC for a decrypted value
// (its ToBytes of the parsed value): the same as plaintext gives for the
// value's YAML text.
func canonical(typ string, pt []byte) []byte {
	switch typ {
	case crypt.TypeFloat:
		if f, err := strconv.ParseFloat(string(pt), 64); err == nil {
			return []byte(strconv.FormatFloat(f, 'f', -1, 64))
		}
	case crypt.TypeInt:
		if v, err := strconv.ParseInt(string(pt), 10, 64); err == nil {
			return []byte(strconv.FormatInt(v, 10))
		}
	case crypt.TypeBool:
		if b, err := strconv.ParseBool(string(pt)); err == nil {
			if b {
				return []byte("True")
			}
			return []byte("False")
		}
	case crypt.TypeTime:
		var t time.Time
		if err := t.UnmarshalText(pt); err == nil {
			if b, err := t.MarshalText(); err == nil {
				return b
			}
		}
	}
	return pt
}

// removeMetadata cuts the sops block out of every document: from the start
// of the sops: line to the end of the block's last line.
func (f *File) removeMetadata() ([]edit, error) {
	var edits []edit
	for _, d := range f.Docs {
		if d.sopsKey == nil {
			continue
		}
		start := f.src.lineStart(mustOffset(f.src, d.sopsKey))
		end, err := f.nodeEnd(d.sopsVal, d.Root.Column-1, false)
		if err != nil {
			return nil, &MetadataError{"cannot locate the end of the sops block"}
		}
		le := f.src.lineEnd(end)
		if le < len(f.src.b) {
			le++
		} else if start > 0 && f.src.b[start-1] == '\n' {
			// The block ends the file without a final newline: sv added the
			// line break before it.
			start--
			if start > 0 && f.src.b[start-1] == '\r' {
				start--
			}
		}
		edits = append(edits, edit{start, le, ""})
	}
	return edits, nil
}

func mustOffset(s *source, n *yaml.Node) int {
	off, err := s.offset(n.Line, n.Column)
	if err != nil {
		return 0
	}
	return off
}

// nodeEnd returns the end offset of the text of n (the furthest end of any
// scalar inside it).
func (f *File) nodeEnd(n *yaml.Node, indent int, flow bool) (int, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		off, err := f.src.offset(n.Line, n.Column)
		if err != nil {
			return 0, err
		}
		sp, err := f.src.scalarSpan(n, off, indent, flow)
		return sp.end, err
	case yaml.AliasNode:
		off, err := f.src.offset(n.Line, n.Column)
		return off + len(n.Value) + 1, err
	}
	end := 0
	fl := flow || n.Style&yaml.FlowStyle != 0
	for _, c := range n.Content {
		e, err := f.nodeEnd(c, n.Column-1, fl)
		if err != nil {
			return 0, err
		}
		end = max(end, e)
	}
	if fl {
		// The closing bracket.
		if i := bytes.IndexAny(f.src.b[end:], "]}"); i >= 0 {
			end += i + 1
		}
	}
	if end == 0 {
		off, err := f.src.offset(n.Line, n.Column)
		return off + 2, err
	}
	return end, nil
}

// encryptedCommentStarts returns the offsets of the comments of the form
// #ENC[…] that are not inside one of the taken edits (a value being
// replaced).
func (f *File) encryptedCommentStarts(taken []edit) []int {
	b := f.src.b
	marker := []byte("#ENC[AES256_GCM,")
	var out []int
	for i := 0; ; {
		j := bytes.Index(b[i:], marker)
		if j < 0 {
			return out
		}
		at := i + j
		i = at + 1
		if at > 0 && b[at-1] != ' ' && b[at-1] != '\t' && b[at-1] != '\n' {
			continue
		}
		inside := false
		for _, e := range taken {
			if at >= e.start && at < e.end {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, at)
		}
	}
}

// decryptComments finds comments of the form #ENC[...] (sops encrypts
// comments by default) and decrypts them. A comment's path is that of the
// branch sops attached it to: derived once for every comment from where it
// sits (derivedCommentPaths, the emulation of sops's YAML store), so each
// comment costs one decryption. Only a comment that does not open under its
// derived path has the candidate paths around it tried, the GCM tag telling
// the right one.
func (f *File) decryptComments(c *crypt.Cipher, taken []edit, out *Decrypted) ([]edit, error) {
	b := f.src.b
	marker := []byte("#ENC[AES256_GCM,")
	if !bytes.Contains(b, marker) {
		return nil, nil
	}
	derived := f.derivedCommentPaths()
	var paths []pathAt // built on the first comment the derived path misses
	var edits []edit
	for _, at := range encryptedCommentOffsets(b, taken) {
		end := f.src.lineEnd(at)
		end = contentEnd(b, at, end)
		enc := strings.TrimRight(string(b[at+1:end]), " \t")
		real := f.realValue(enc)
		var (
			pt  []byte
			aad string
			ok  bool
		)
		if keys, found := derived[enc]; found {
			// The derived path, then its ancestors: yaml.v3 reads a foot
			// comment after a nested block as part of the innermost one,
			// where sops had it one or more levels up.
			pt, aad, ok = decryptComment(c, real, ancestry(keys))
		}
		if !ok {
			if paths == nil {
				paths = []pathAt{}
				_ = f.walkMappings(func(keys []string, off int) { paths = append(paths, pathAt{keys, off}) })
				sortPaths(paths)
			}
			pt, aad, ok = decryptComment(c, real, candidates(paths, at))
		}
		if !ok {
			// sops keeps such comments as they are, with a warning.
			continue
		}
		out.stash = append(out.stash, stashEntry{aad: aad, typ: crypt.TypeComment, pt: pt, enc: real, off: at})
		edits = append(edits, edit{at, at + 1 + len(enc), "#" + string(pt)})
	}
	return edits, nil
}

type pathAt struct {
	keys []string
	off  int
}

func decryptComment(c *crypt.Cipher, enc string, cands [][]string) ([]byte, string, bool) {
	for _, k := range cands {
		aad := crypt.AAD(k)
		pt, typ, err := c.Decrypt(enc, aad)
		if err == nil && typ == crypt.TypeComment {
			return pt, aad, true
		}
	}
	return nil, "", false
}

// candidates returns the paths of the mappings nearest to off and all their
// ancestors. paths must be sorted by offset.
func candidates(paths []pathAt, off int) [][]string {
	var out [][]string
	seen := map[string]bool{}
	addAll := func(keys []string) {
		for i := len(keys); i >= 0; i-- {
			k := strings.Join(keys[:i], "\x00")
			if !seen[k] {
				seen[k] = true
				out = append(out, keys[:i])
			}
		}
	}
	// The last mapping entry starting before off, and the first after
	// (paths are sorted by offset).
	lo := lastBefore(paths, off)
	if lo >= 0 {
		addAll(paths[lo].keys)
	}
	if lo+1 < len(paths) {
		addAll(paths[lo+1].keys)
	}
	addAll(nil)
	return out
}

// walkMappings calls fn for each mapping key in document order with the key
// path through it (including the key) and the key's offset.
func (f *File) walkMappings(fn func(keys []string, off int)) error {
	var rec func(n *yaml.Node, keys []string)
	rec = func(n *yaml.Node, keys []string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				sub := append(keys[:len(keys):len(keys)], k.Value)
				fn(sub, mustOffset(f.src, k))
				rec(n.Content[i+1], sub)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				rec(c, keys)
			}
		}
	}
	for _, d := range f.Docs {
		if d.Root != nil {
			rec(d.Root, nil)
		}
	}
	return nil
}

// seqComments counts the comment items of a sequence: one whose items are
// all comments was empty.
type seqComments struct {
	key      *yaml.Node
	comments int
	// Where the last comment item ends, and the column of its dash.
	lastEnd, dashCol int
}

// afterKeyColon returns the offset just after the ':' that follows key.
func (f *File) afterKeyColon(key *yaml.Node) (int, error) {
	off, err := f.src.offset(key.Line, key.Column)
	if err != nil {
		return 0, err
	}
	sp, err := f.src.scalarSpan(key, off, 0, false)
	if err != nil {
		return 0, err
	}
	i := sp.end
	for i < len(f.src.b) && isBlank(f.src.b[i]) {
		i++
	}
	if i >= len(f.src.b) || f.src.b[i] != ':' {
		return 0, &MetadataError{"cannot locate the key of a list"}
	}
	return i + 1, nil
}

// restOfLine reports whether anything but blanks follows off on its line.
func (f *File) restOfLine(off int) bool {
	le := f.src.lineEnd(off)
	return off < le && strings.TrimSpace(string(f.src.b[off:le])) != ""
}

// KeySource opens the data key of an encrypted file. *crypt.Keyring is one.
type KeySource interface {
	DataKey(groups []crypt.KeyGroup, threshold int) ([]byte, error)
}
