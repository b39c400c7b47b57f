package yamlwalk

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// KeepMetadataText returns out — a rewrite of prev under the same key
// groups, as Reencrypt makes — with its sops block spelled exactly as
// prev's was, taking only lastmodified, mac and version from out. A file
// another tool wrote (sops indents the block its own way) then changes only
// in the values that changed plus those lines. When the two blocks differ
// in anything else (recipients, rules), or the splice is in any way
// uncertain, out is returned as it is.
func KeepMetadataText(prev, out []byte) []byte {
	res, ok := keepMetadataText(prev, out)
	if !ok {
		return out
	}
	return res
}

func keepMetadataText(prev, out []byte) ([]byte, bool) {
	fp, err := Parse(prev)
	if err != nil {
		return nil, false
	}
	mp, err := fp.Metadata()
	if err != nil || mp == nil {
		return nil, false
	}
	fo, err := Parse(out)
	if err != nil {
		return nil, false
	}
	mo, err := fo.Metadata()
	if err != nil || mo == nil || !sameKeys(mp, mo) {
		return nil, false
	}
	edits, err := fp.updateMetadata(mo.LastModified, mo.MAC)
	if err != nil {
		return nil, false
	}
	if mp.Version != mo.Version {
		ve, ok := fp.versionEdits(mo.Version)
		if !ok {
			return nil, false
		}
		edits = append(edits, ve...)
	}
	upd, err := applyEdits(prev, edits)
	if err != nil {
		return nil, false
	}
	fu, err := Parse(upd)
	if err != nil {
		return nil, false
	}
	blocks, err := fu.removeMetadata()
	if err != nil {
		return nil, false
	}
	cuts, err := fo.removeMetadata()
	if err != nil || len(cuts) != len(blocks) {
		return nil, false
	}
	for i := range cuts {
		// A block at the very end of a file without a final newline is
		// cut differently; both must have the same shape.
		if (cuts[i].end == len(out)) != (blocks[i].end == len(upd)) {
			return nil, false
		}
		cuts[i].text = string(upd[blocks[i].start:blocks[i].end])
	}
	res, err := applyEdits(out, cuts)
	if err != nil {
		return nil, false
	}
	fr, err := Parse(res)
	if err != nil {
		return nil, false
	}
	mr, err := fr.Metadata()
	if err != nil || mr == nil || !sameKeys(mr, mo) || mr.LastModified != mo.LastModified || mr.MAC != mo.MAC || mr.Version != mo.Version {
		return nil, false
	}
	return res, true
}

// versionEdits rewrites the version value of every sops block.
func (f *File) versionEdits(v string) ([]edit, bool) {
	var edits []edit
	for _, d := range f.sopsDocs() {
		found := false
		for i := 0; i+1 < len(d.sopsVal.Content); i += 2 {
			if d.sopsVal.Content[i].Value != "version" {
				continue
			}
			n := d.sopsVal.Content[i+1]
			off, err := f.src.offset(n.Line, n.Column)
			if err != nil || n.Kind != yaml.ScalarNode {
				return nil, false
			}
			sp, err := f.src.scalarSpan(n, off, d.sopsVal.Column-1, false)
			if err != nil {
				return nil, false
			}
			edits = append(edits, edit{sp.val, sp.end, v})
			found = true
		}
		if !found {
			return nil, false
		}
	}
	return edits, true
}

// sameKeys reports whether two sops blocks hold the same key groups and
// selection rules.
func sameKeys(a, b *Metadata) bool {
	if a.Grouped != b.Grouped || a.ShamirThreshold != b.ShamirThreshold || len(a.KeyGroups) != len(b.KeyGroups) {
		return false
	}
	for i, g := range a.KeyGroups {
		h := b.KeyGroups[i]
		if g.Other != h.Other || len(g.Age) != len(h.Age) {
			return false
		}
		for j, k := range g.Age {
			if k.Recipient != h.Age[j].Recipient || strings.TrimSpace(k.Enc) != strings.TrimSpace(h.Age[j].Enc) {
				return false
			}
		}
	}
	ra, rb := a.Rules, b.Rules
	return ra.UnencryptedSuffix == rb.UnencryptedSuffix && ra.EncryptedSuffix == rb.EncryptedSuffix &&
		ra.UnencryptedRegex == rb.UnencryptedRegex && ra.EncryptedRegex == rb.EncryptedRegex &&
		ra.UnencryptedCommentRegex == rb.UnencryptedCommentRegex && ra.EncryptedCommentRegex == rb.EncryptedCommentRegex &&
		ra.MACOnlyEncrypted == rb.MACOnlyEncrypted
}
