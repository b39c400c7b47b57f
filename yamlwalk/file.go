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

// KeySource opens the data key of an encrypted file. *crypt.Keyring is one.
type KeySource interface {
	DataKey(groups []crypt.KeyGroup, threshold int) ([]byte, error)
}

// ValueError is a problem with one value; it names the path, never the value.
type ValueError struct {
	Path string
	Line int
	Err  error
}

func (e *ValueError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// MACError means the file's MAC does not match its values: a value was
// changed, added, removed or moved outside sv or sops.
type MACError struct{ Missing bool }

func (e *MACError) Error() string {
	if e.Missing {
		return "MAC mismatch: the file has no MAC"
	}
	return "MAC mismatch: the file's values were changed, added or removed without re-encrypting it (or it was tampered with)"
}

// ErrNotEncrypted is returned when a file has no sops metadata.
var ErrNotEncrypted = errors.New("file is not encrypted (it has no sops metadata)")

// ErrNotPlain means a value that the file's rules say must be encrypted is
// in plaintext.
var ErrNotPlain = errors.New("value is in plaintext although the file's rules say it must be encrypted")

// Metadata returns the parsed sops block of the first document, nil if the
// file has none.
func (f *File) Metadata() (*Metadata, error) {
	d := f.Docs[0]
	if d.sopsVal == nil {
		for _, o := range f.Docs[1:] {
			if o.sopsVal != nil {
				return nil, &MetadataError{"only a later document has a sops block"}
			}
		}
		return nil, nil
	}
	m, err := parseMetadata(d.sopsVal)
	if err != nil {
		return nil, err
	}
	m.MAC = f.realValue(m.MAC)
	return m, nil
}

// IsEncrypted reports cheaply whether b looks like a SOPS-encrypted YAML
// file: a top-level sops key with a mac. It does not verify anything.
func IsEncrypted(b []byte) bool {
	i := bytes.Index(b, []byte("\nsops:"))
	if i < 0 && !bytes.HasPrefix(b, []byte("sops:")) {
		return false
	}
	return bytes.Contains(b, []byte("mac: ENC[AES256_GCM,")) || bytes.Contains(b, []byte("lastmodified:"))
}

// Stash lets a writer reuse the ciphertext of a value that did not change:
// given the value's AAD, type and plaintext it returns a previous ENC string
// for exactly that, or "". sops does the same with its IV stash.
type Stash func(aad, typ string, pt []byte) string

// EncryptOptions configure Encrypt.
type EncryptOptions struct {
	// For files not yet encrypted: which values to encrypt, and for whom.
	Rules           Rules
	KeyGroups       [][]crypt.Recipient
	ShamirThreshold int
	// Keys opens the data key of a file that is already encrypted, so that
	// plaintext values added to it can be encrypted under the same key.
	Keys      KeySource
	IgnoreMAC bool
	Now       time.Time
	// Stash, if set, is consulted before encrypting a value.
	Stash Stash
	// EncryptComments encrypts comments too, as sops does (they stay
	// plaintext by default). A file that already has encrypted comments
	// keeps having its new comments encrypted.
	EncryptComments bool

	// Set by Reencrypt: the data key and key groups to use for a plaintext
	// input instead of fresh ones, and which reused ciphertexts were plain
	// scalars (they stay plain).
	dataKey  []byte
	groups   *Metadata
	plainENC func(aad, typ string, pt []byte) bool
	layoutOf func(enc string) (layout string, col int, ok bool)
	// prevComments says how the previous version's comments were
	// encrypted (see encryptComments).
	prevComments func(pt []byte) []commentRec
}

// Result is the outcome of Encrypt.
type Result struct {
	Out       []byte
	Changed   bool
	Encrypted int      // values encrypted by this call
	Respelled []string // paths whose text will differ after decryption
	Warnings  []string
}

type leafState struct {
	typ       string
	pt        []byte
	encrypted bool
	isNew     bool
}

type edit struct {
	start, end int
	text       string
}

func applyEdits(b []byte, edits []edit) []byte {
	return (&File{}).applyEdits(b, edits)
}

// applyEdits replaces each edit's range of b with its text. The unedited
// text between edits gets its placeholders expanded; edit texts (which may be
// plaintext) are copied as they are.
func (f *File) applyEdits(b []byte, edits []edit) []byte {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
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
	return f.expandENC(out, b[pos:])
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

// encText is the ENC string written in the style of the value it replaces.
func encText(enc string, n *yaml.Node, sp span, flow bool, src []byte) string {
	var t string
	switch n.Style &^ (yaml.TaggedStyle | yaml.FlowStyle) {
	case yaml.DoubleQuotedStyle:
		t = `"` + enc + `"`
	case yaml.SingleQuotedStyle:
		t = "'" + enc + "'"
		if flow {
			// Tell it from a plain value, also single-quoted in flow.
			t = flowSingleTag + t
		}
	case yaml.LiteralStyle, yaml.FoldedStyle:
		t = string(src[sp.val:sp.hdrEnd]) + "\n" + strings.Repeat(" ", sp.indent) + enc
	default:
		if flow {
			t = "'" + enc + "'"
		} else {
			t = enc
		}
	}
	if sp.anchor != "" {
		t = sp.anchor + " " + t
	}
	return t
}

// Encrypt encrypts every value the rules select and returns the new text.
// A file that is already encrypted is updated incrementally: only values
// still in plaintext are encrypted (under the file's data key), existing
// ciphertexts stay byte-identical, and the MAC is checked before and
// recomputed after. A file with nothing to encrypt is returned unchanged.
func Encrypt(b []byte, opt EncryptOptions) (*Result, error) {
	f, err := Parse(b)
	if err != nil {
		return nil, err
	}
	meta, err := f.Metadata()
	if err != nil {
		return nil, err
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	var key []byte
	rules := opt.Rules
	if meta != nil {
		if opt.Keys == nil {
			return nil, errors.New("file is already encrypted and no key source was given to add values to it")
		}
		if key, err = opt.Keys.DataKey(meta.KeyGroups, meta.ShamirThreshold); err != nil {
			return nil, err
		}
		rules = meta.Rules
	} else {
		if err := rules.Compile(); err != nil {
			return nil, err
		}
		switch {
		case opt.dataKey != nil:
			key = opt.dataKey
		case len(opt.KeyGroups) == 0:
			return nil, errors.New("no recipients to encrypt to")
		default:
			if key, err = crypt.NewDataKey(); err != nil {
				return nil, err
			}
		}
	}
	c, err := crypt.NewCipher(key)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	states := map[*yaml.Node]*leafState{}
	var edits []edit
	err = f.walkWith(false, rules.usesComments(), func(l *Leaf) error {
		if l.Node.Kind == yaml.AliasNode {
			return f.materializeAlias(l, c, rules, states, opt.Stash, &edits, res)
		}
		typ, pt, err := plaintext(l.Node)
		if err != nil {
			return &ValueError{Path: l.Path, Line: l.Node.Line, Err: err}
		}
		st := &leafState{typ: typ, pt: pt}
		states[l.Node] = st
		if typ == "" {
			return nil
		}
		aad := crypt.AAD(l.Keys)
		should := rules.ShouldEncrypt(l.Keys, l.Comments)
		if typ == crypt.TypeStr && crypt.IsENC(l.Node.Value) || isAliasCopy(l.Node) {
			if meta == nil {
				return &ValueError{Path: l.Path, Line: l.Node.Line, Err: errors.New("value looks encrypted but the file has no sops metadata")}
			}
			if !should {
				return nil
			}
			pt, typ, err := c.Decrypt(l.Node.Value, aad)
			if err != nil {
				return &ValueError{Path: l.Path, Line: l.Node.Line, Err: err}
			}
			st.typ, st.pt, st.encrypted = typ, pt, true
			return nil
		}
		if !should || (typ == crypt.TypeStr && len(pt) == 0) {
			return nil
		}
		sp, err := f.leafSpan(l)
		if err != nil {
			return &ValueError{Path: l.Path, Line: l.Node.Line, Err: fmt.Errorf("cannot locate the value's text: %w", err)}
		}
		encPt := keptSpelling(l.Node, typ, pt)
		enc := ""
		if opt.Stash != nil {
			enc = opt.Stash(aad, typ, pt)
		}
		if enc == "" {
			if enc, err = c.Encrypt(encPt, typ, aad, nil); err != nil {
				return err
			}
		}
		st.encrypted, st.isNew = true, true
		res.Encrypted++
		text := encText(enc, l.Node, sp, l.Flow, f.src.b)
		end := sp.end
		if lay, ok := f.keptLayout(opt.layoutOf, enc, sp, l.Flow); ok {
			// An unchanged value keeps its exact ENC text.
			text = lay
			if sp.anchor != "" {
				text = sp.anchor + " " + lay
			}
			if sp.chomp == '+' && !strings.HasPrefix(lay, "|") && !strings.HasPrefix(lay, ">") {
				// The plaintext block's trailing empty lines are its
				// value's; the ENC text had none.
				end = f.blankLinesAfter(end)
			}
		} else if opt.plainENC != nil && !l.Flow && opt.plainENC(aad, typ, pt) {
			// An unchanged value keeps its exact ENC text: sops writes
			// every value plain, whatever spelling decryption chose.
			text = enc
			if sp.anchor != "" {
				text = sp.anchor + " " + enc
			}
			if sp.chomp == '+' {
				// A kept block's trailing empty lines are its value's.
				end = f.blankLinesAfter(end)
			}
		}
		edits = append(edits, edit{sp.start, end, text})
		// Will decryption give back the same text?
		encNode := &yaml.Node{Kind: yaml.ScalarNode, Style: l.Node.Style &^ yaml.TaggedStyle, Value: enc}
		if l.Flow && encNode.Style&yaml.SingleQuotedStyle != 0 {
			encNode.Style |= yaml.TaggedStyle // see flowSingleTag
		}
		if l.Node.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 && l.Flow && l.Node.Style&^yaml.TaggedStyle == 0 {
			encNode.Style = yaml.SingleQuotedStyle
		}
		back, err := render(typ, encPt, encNode, sp, f.src.b, f.leafContext(l))
		if sp.anchor != "" {
			back = sp.anchor + " " + back
		}
		if err != nil || back != string(f.src.b[sp.start:sp.end]) {
			res.Respelled = append(res.Respelled, l.Path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ae, left, err := f.materializeCollections(c, rules, states, opt.Stash, res)
	if err != nil {
		return nil, err
	}
	edits = append(edits, ae...)
	f.aliases = left
	res.Warnings = f.aliasWarnings(states)
	if opt.EncryptComments || meta != nil && f.hasEncryptedComments() {
		ce, err := f.encryptComments(c, &rules, opt.prevComments)
		if err != nil {
			return nil, err
		}
		edits = append(edits, ce...)
		res.Encrypted += len(ce)
	}
	if meta != nil {
		if !opt.IgnoreMAC {
			if err := f.verifyMAC(c, meta, states, true); err != nil {
				return nil, err
			}
		}
		if res.Encrypted == 0 {
			res.Out = b
			return res, nil
		}
	}
	lastMod := crypt.LastModified(now)
	macAAD, _ := crypt.MACAAD(lastMod)
	digest, err := f.computeMAC(rules.MACOnlyEncrypted, states, false)
	if err != nil {
		return nil, err
	}
	macEnc, err := c.Encrypt([]byte(digest), crypt.TypeStr, macAAD, nil)
	if err != nil {
		return nil, err
	}
	if meta != nil {
		e, err := f.updateMetadata(lastMod, macEnc)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e...)
	} else {
		var m *Metadata
		if opt.groups != nil {
			m = &Metadata{KeyGroups: opt.groups.KeyGroups, Grouped: opt.groups.Grouped, ShamirThreshold: opt.groups.ShamirThreshold,
				LastModified: lastMod, MAC: macEnc, Rules: rules, Version: FormatVersion}
		} else {
			groups, err := crypt.WrapKeyGroups(key, opt.KeyGroups, opt.ShamirThreshold)
			if err != nil {
				return nil, err
			}
			m = &Metadata{KeyGroups: groups, Grouped: len(groups) > 1, ShamirThreshold: opt.ShamirThreshold,
				LastModified: lastMod, MAC: macEnc, Rules: rules, Version: FormatVersion}
		}
		if m.Grouped && m.ShamirThreshold == 0 {
			m.ShamirThreshold = len(m.KeyGroups)
		}
		e, err := f.appendMetadata(m)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e...)
	}
	res.Out = applyEdits(b, edits)
	res.Changed = true
	if err := verifyOutput(res.Out, key); err != nil {
		return nil, err
	}
	return res, nil
}

// keptLayout returns the original text of the ENC scalar holding enc, if
// it can stand where the plaintext at sp stands: in a flow collection only
// quoted ENC text does (a plain one would end at its commas), and text over
// several lines only at the same column.
func (f *File) keptLayout(layoutOf func(string) (string, int, bool), enc string, sp span, flow bool) (string, bool) {
	if layoutOf == nil {
		return "", false
	}
	lay, col, ok := layoutOf(enc)
	switch {
	case !ok:
		return "", false
	case strings.Contains(lay, "\n") && col != sp.start-f.src.lineStart(sp.start):
		return "", false
	case flow && !(strings.HasPrefix(lay, "'") || strings.HasPrefix(lay, "\"") || strings.HasPrefix(lay, flowSingleTag)):
		return "", false
	}
	return lay, true
}

// blankLinesAfter returns the end of the last of the blank lines that follow
// the line ending at off (off itself if there are none), before their line
// break.
func (f *File) blankLinesAfter(off int) int {
	b := f.src.b
	end := off
	for end < len(b) {
		next := end + 1
		if b[end] == '\r' && next < len(b) && b[next] == '\n' {
			next++
		}
		if next >= len(b) {
			break
		}
		le := f.src.lineEnd(next)
		if strings.TrimSpace(string(b[next:le])) != "" {
			break
		}
		end = le
		if end > next && b[end-1] == '\r' {
			end--
		}
	}
	return end
}

// keptSpelling returns the plaintext to encrypt for a value: for a plain
// float whose text Go's ParseFloat reads as the same number (4.10, 6.02e23,
// 1.0), its own text, which sops decrypts as that float and sv gives back as
// written; otherwise pt, the canonical bytes. The MAC always covers the
// canonical bytes, as sops computes it.
func keptSpelling(n *yaml.Node, typ string, pt []byte) []byte {
	if typ != crypt.TypeFloat || n.Style&^yaml.TaggedStyle != 0 || n.Value == string(pt) {
		return pt
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || strconv.FormatFloat(v, 'f', -1, 64) != string(pt) {
		return pt
	}
	return []byte(n.Value)
}

// ErrUnfaithful means sv could not write a file that decrypts to exactly the
// input's values; nothing is written. It indicates a file shape sv does not
// handle yet.
type ErrUnfaithful struct{ Err error }

func (e *ErrUnfaithful) Error() string {
	return "cannot encrypt this file faithfully (the result would not decrypt to the same values): " + e.Err.Error()
}

func (e *ErrUnfaithful) Unwrap() error { return e.Err }

// verifyOutput decrypts what Encrypt is about to return: every value must
// authenticate under its path and the MAC, computed from the input's
// values, must match the values read back.
func verifyOutput(out, key []byte) error {
	f, err := parseShrunk(out)
	if err != nil {
		return &ErrUnfaithful{err}
	}
	meta, err := f.Metadata()
	if err != nil || meta == nil {
		return &ErrUnfaithful{errors.New("metadata unreadable")}
	}
	if _, err := f.decrypt(meta, key, false); err != nil {
		return &ErrUnfaithful{err}
	}
	return nil
}

// appendMetadata inserts the sops block at the end of every document, in the
// file's indentation.
func (f *File) appendMetadata(m *Metadata) ([]edit, error) {
	unit := strings.Repeat(" ", f.indentUnit())
	eol := f.eol()
	var edits []edit
	for _, d := range f.Docs {
		base := ""
		if d.Root != nil && len(d.Root.Content) > 0 {
			base = strings.Repeat(" ", d.Root.Column-1)
		}
		block, err := renderMetadata(m, base, unit, eol)
		if err != nil {
			return nil, err
		}
		at := d.end
		if at > 0 && f.src.b[at-1] != '\n' {
			// No final newline: keep it that way so decryption gives the
			// original back.
			block = eol + strings.TrimSuffix(block, eol)
		}
		edits = append(edits, edit{at, at, block})
	}
	return edits, nil
}

// updateMetadata rewrites lastmodified and mac in place in every document's
// sops block, leaving the rest of the block as it is.
func (f *File) updateMetadata(lastMod, mac string) ([]edit, error) {
	var edits []edit
	for _, d := range f.Docs {
		if d.sopsVal == nil {
			continue
		}
		found := 0
		for i := 0; i+1 < len(d.sopsVal.Content); i += 2 {
			k, v := d.sopsVal.Content[i].Value, d.sopsVal.Content[i+1]
			if k != "lastmodified" && k != "mac" {
				continue
			}
			off, err := f.src.offset(v.Line, v.Column)
			if err != nil {
				return nil, err
			}
			sp, err := f.src.scalarSpan(v, off, d.sopsVal.Column-1, false)
			if err != nil {
				return nil, &MetadataError{"cannot locate " + k}
			}
			text := mac
			if k == "lastmodified" {
				text = `"` + lastMod + `"`
				if v.Style&yaml.SingleQuotedStyle != 0 {
					text = "'" + lastMod + "'"
				}
			}
			edits = append(edits, edit{sp.val, sp.end, text})
			found++
		}
		if found != 2 {
			return nil, &MetadataError{"lastmodified or mac is missing"}
		}
	}
	return edits, nil
}

// computeMAC hashes the plaintext of every non-null leaf in document order,
// following aliases as sops does. skipNew leaves out values encrypted by the
// current call (to check the MAC a file had before).
func (f *File) computeMAC(onlyEncrypted bool, states map[*yaml.Node]*leafState, skipNew bool) (string, error) {
	mac := crypt.NewMAC(onlyEncrypted)
	add := func(st *leafState) {
		if st == nil || st.typ == "" || st.typ == crypt.TypeComment || skipNew && st.isNew || onlyEncrypted && !st.encrypted {
			return
		}
		mac.Add(st.pt)
	}
	// The same order as walk(true, …), without building paths.
	var rec func(n *yaml.Node)
	rec = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.ScalarNode:
			add(states[n])
		case yaml.AliasNode:
			if st := states[n]; st != nil {
				add(st) // an alias sv wrote out as a value of its own
			} else {
				rec(n.Alias)
			}
		case yaml.MappingNode:
			for i := 1; i < len(n.Content); i += 2 {
				rec(n.Content[i])
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				rec(c)
			}
		}
	}
	for _, d := range f.Docs {
		if d.Root == nil {
			continue
		}
		for i := 0; i+1 < len(d.Root.Content); i += 2 {
			if d.Root.Content[i].Value != "sops" {
				rec(d.Root.Content[i+1])
			}
		}
	}
	return mac.Sum(), nil
}

func (f *File) verifyMAC(c *crypt.Cipher, meta *Metadata, states map[*yaml.Node]*leafState, skipNew bool) error {
	if meta.MAC == "" {
		return &MACError{Missing: true}
	}
	aad, err := crypt.MACAAD(meta.LastModified)
	if err != nil {
		return &MetadataError{"lastmodified is not an RFC 3339 time"}
	}
	stored, _, err := c.Decrypt(meta.MAC, aad)
	if err != nil {
		return &MACError{}
	}
	got, err := f.computeMAC(meta.Rules.MACOnlyEncrypted, states, skipNew)
	if err != nil {
		return err
	}
	if got != string(stored) {
		return &MACError{}
	}
	return nil
}

// aliasWarnings names aliases that point at encrypted values: sops expands
// aliases and binds each copy to the alias's path, so it cannot decrypt them.
func (f *File) aliasWarnings(states map[*yaml.Node]*leafState) []string {
	var out []string
	for _, a := range f.aliases {
		if containsEncrypted(a.target, states) {
			out = append(out, fmt.Sprintf("%s is an alias of an encrypted value: sv reads it, but sops cannot (it binds each alias copy to its own path)", a.path))
		}
	}
	return out
}

func containsEncrypted(n *yaml.Node, states map[*yaml.Node]*leafState) bool {
	if st := states[n]; st != nil && st.encrypted {
		return true
	}
	for _, c := range n.Content {
		if containsEncrypted(c, states) {
			return true
		}
	}
	return n.Kind == yaml.AliasNode && containsEncrypted(n.Alias, states)
}

// aliasTag marks an alias of an encrypted scalar that sv wrote out as a
// value of its own: sops expands aliases and binds each copy to the alias's
// path, so "*name" would not decrypt for sops. The copy is encrypted under
// the alias's path and tagged with the anchor's name, which sops ignores;
// decryption turns it back into "*name".
const aliasTag = "!sv/alias:"

func isAliasCopy(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && strings.HasPrefix(n.Tag, aliasTag) && crypt.IsENC(n.Value)
}

func (f *File) materializeAlias(l *Leaf, c *crypt.Cipher, rules Rules, states map[*yaml.Node]*leafState, stash Stash, edits *[]edit, res *Result) error {
	target := states[l.Node.Alias]
	if target == nil || !target.encrypted || !rules.ShouldEncrypt(l.Keys, nil) {
		return nil
	}
	aad := crypt.AAD(l.Keys)
	enc := ""
	if stash != nil {
		enc = stash(aad, target.typ, target.pt)
	}
	if enc == "" {
		var err error
		if enc, err = c.Encrypt(target.pt, target.typ, aad, nil); err != nil {
			return err
		}
	}
	off, err := f.src.offset(l.Node.Line, l.Node.Column)
	if err != nil {
		return err
	}
	if l.Flow {
		enc = "'" + enc + "'"
	}
	states[l.Node] = &leafState{typ: target.typ, pt: target.pt, encrypted: true, isNew: true}
	res.Encrypted++
	*edits = append(*edits, edit{off, off + 1 + len(l.Node.Value), aliasTag + l.Node.Value + " " + enc})
	return nil
}
