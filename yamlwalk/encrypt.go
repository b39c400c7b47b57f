package yamlwalk

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

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
	if res.Out, err = applyEdits(b, edits); err != nil {
		return nil, err
	}
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
