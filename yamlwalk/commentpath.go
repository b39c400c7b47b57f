package yamlwalk

import (
	"bytes"
	"sort"
	"strings"
)

// Encrypted comments of sops-written files: sops binds each comment to the
// path of the branch that holds it when it reads the plaintext. The file it
// writes puts the comment back where yaml.v3 reads it as attached to the same
// branch, so commentOrder (the emulation of sops's YAML store that sv uses to
// encrypt comments) run on the encrypted file gives each #ENC[…] comment its
// path directly: one decryption per comment. Only when that fails (a comment
// sops placed where yaml.v3 attaches it elsewhere) are the candidate paths
// around it tried.

// derivedCommentPaths maps the text of every encrypted comment yaml.v3 saw
// (the ENC string or its placeholder, without "#") to the path sops bound it
// to. Texts are unique: every ciphertext has its own random IV.
func (f *File) derivedCommentPaths() map[string][]string {
	out := map[string][]string{}
	var dups []string
	for _, ref := range f.commentOrder() {
		if t, ok := strings.CutPrefix(ref.text, "#"); ok && strings.HasPrefix(t, encPrefix) {
			if _, dup := out[t]; dup {
				dups = append(dups, t)
			}
			out[t] = ref.keys
		}
	}
	// Comments at the end of a document come before the sops block sops
	// appends, so yaml.v3 reads them as the head comment of the sops key,
	// which commentOrder leaves out; sops bound them to the document.
	for _, d := range f.Docs {
		if d.sopsKey == nil {
			continue
		}
		for _, l := range strings.Split(d.sopsKey.HeadComment, "\n") {
			if t, ok := strings.CutPrefix(strings.TrimSpace(l), "#"); ok && strings.HasPrefix(t, encPrefix) {
				if _, dup := out[t]; dup {
					dups = append(dups, t)
				}
				out[t] = nil
			}
		}
	}
	for _, t := range dups {
		// The same text twice (a copied line): no single path.
		delete(out, t)
	}
	return out
}

// sortPaths sorts mapping keys by offset (walkMappings gives them in
// document order, which is already sorted for every file yaml.v3 reads).
func sortPaths(paths []pathAt) {
	sort.SliceStable(paths, func(i, j int) bool { return paths[i].off < paths[j].off })
}

// lastBefore returns the index of the last of the sorted paths that starts
// before off, or -1.
func lastBefore(paths []pathAt, off int) int {
	return sort.Search(len(paths), func(i int) bool { return paths[i].off >= off }) - 1
}

// encryptedCommentOffsets is encryptedCommentStarts for many comments and
// edits: the offsets of "#ENC[AES256_GCM," comments (at the start of a line
// or after a blank) that are not inside one of the taken edits, found with a
// binary search over the edits instead of a scan per comment.
func encryptedCommentOffsets(b []byte, taken []edit) []int {
	marker := []byte("#" + encPrefix)
	type iv struct{ start, end int }
	var ivs []iv // sorted by start; end is the furthest end so far
	sorted := func() {
		ivs = make([]iv, len(taken))
		for i, e := range taken {
			ivs[i] = iv{e.start, e.end}
		}
		sort.Slice(ivs, func(i, j int) bool { return ivs[i].start < ivs[j].start })
		for i := 1; i < len(ivs); i++ {
			ivs[i].end = max(ivs[i].end, ivs[i-1].end)
		}
	}
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
		if ivs == nil && len(taken) > 0 {
			sorted()
		}
		// The last edit starting at or before at covers it if any does.
		k := sort.Search(len(ivs), func(k int) bool { return ivs[k].start > at }) - 1
		if k >= 0 && at < ivs[k].end {
			continue
		}
		out = append(out, at)
	}
}

// ancestry returns keys and then each of its ancestors up to the root.
func ancestry(keys []string) [][]string {
	out := make([][]string, 0, len(keys)+1)
	for i := len(keys); i >= 0; i-- {
		out = append(out, keys[:i])
	}
	return out
}
