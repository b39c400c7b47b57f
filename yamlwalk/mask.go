package yamlwalk

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/sv-secrets/sv/crypt"
)

// Marker is the text that stands for one encrypted value in a masked file:
// "<encrypted " + the first 8 hex digits of SHA-256 over the ENC string + ">".
// It depends only on the ciphertext, so a value whose ciphertext did not
// change (sv keeps it byte-identical across writes) keeps its marker, and it
// reveals nothing about the plaintext.
func Marker(enc string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(enc)))
	return "<encrypted " + hex.EncodeToString(sum[:4]) + ">"
}

// Mask returns src with every encrypted value and encrypted comment replaced
// by its Marker, and each document's sops block folded into one line that
// names the recipients, lastmodified and the MAC's marker. It needs no key
// and verifies nothing; it exists so that `git diff` of an encrypted file
// shows which values changed to someone without the key. A file without
// sops metadata gives ErrNotEncrypted.
func Mask(src []byte) ([]byte, error) {
	f, meta, err := parseEncrypted(src, false)
	if err != nil {
		return nil, err
	}
	var edits []edit
	err = f.walk(false, func(l *Leaf) error {
		n := l.Node
		if !crypt.IsENC(n.Value) {
			return nil
		}
		sp, err := f.leafSpan(l)
		if err != nil {
			return &ValueError{Path: l.Path, Line: n.Line, Err: err}
		}
		edits = append(edits, edit{sp.val, sp.end, Marker(n.Value)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	edits = append(edits, f.maskComments(edits)...)
	folded := foldMetadata(meta)
	removed, err := f.removeMetadata()
	if err != nil {
		return nil, err
	}
	eol := f.eol()
	docs := f.sopsDocs()
	for i, e := range removed {
		text := strings.Repeat(" ", docs[i].Root.Column-1) + folded
		if e.end == len(f.src.b) && (e.end == 0 || f.src.b[e.end-1] != '\n') {
			// The block ended the file without a final newline and the cut
			// began at the line break before it.
			text = eol + text
		} else {
			text += eol
		}
		e.text = text
		edits = append(edits, e)
	}
	return applyEdits(f.src.b, edits)
}

// maskComments replaces encrypted comments (#ENC[…,type:comment]) that are
// not inside a value already being replaced.
func (f *File) maskComments(taken []edit) []edit {
	b := f.src.b
	var out []edit
	for _, at := range f.encryptedCommentStarts(taken) {
		end := bytes.IndexByte(b[at:f.src.lineEnd(at)], ']')
		if end < 0 {
			continue
		}
		out = append(out, edit{at, at + end + 1, "#" + Marker(string(b[at+1:at+end+1]))})
	}
	return out
}

// foldMetadata renders the sops block as one line. Recipients are
// shortened: post-quantum recipients run to thousands of characters.
func foldMetadata(m *Metadata) string {
	var groups []string
	for _, g := range m.KeyGroups {
		var rs []string
		for _, k := range g.Age {
			rs = append(rs, crypt.ShortRecipient(k.Recipient))
		}
		for range g.Other {
			rs = append(rs, "(non-age key)")
		}
		groups = append(groups, strings.Join(rs, ", "))
	}
	var b strings.Builder
	b.WriteString("sops: {recipients: [")
	b.WriteString(strings.Join(groups, " | "))
	b.WriteString("]")
	if m.Grouped && m.ShamirThreshold > 0 {
		b.WriteString(", shamir_threshold: ")
		b.WriteString(strconv.Itoa(m.ShamirThreshold))
	}
	b.WriteString(", lastmodified: \"")
	b.WriteString(m.LastModified)
	b.WriteString("\", mac: ")
	if m.MAC == "" {
		b.WriteString("(none)")
	} else {
		b.WriteString(Marker(m.MAC))
	}
	b.WriteString("}")
	return b.String()
}
