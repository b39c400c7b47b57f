package yamlwalk

import (
	"bytes"
	"slices"
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
// to, from the same walk commentOrder uses; a path is copied only for
// encrypted comments. Texts are unique: every ciphertext has its own random
// IV, so a text seen twice (a copied line) has no single path.
func (f *File) derivedCommentPaths() map[string][]string {
	out := map[string][]string{}
	var dups []string
	f.walkComments(func(c string, path []string) {
		if !strings.Contains(c, "#"+encPrefix) {
			return
		}
		for c != "" {
			var l string
			l, c, _ = strings.Cut(c, "\n")
			t, ok := strings.CutPrefix(strings.TrimSpace(l), "#")
			if !ok || !strings.HasPrefix(t, encPrefix) {
				continue
			}
			if _, dup := out[t]; dup {
				dups = append(dups, t)
			}
			if len(path) == 0 {
				out[t] = nil
			} else {
				out[t] = slices.Clone(path)
			}
		}
	})
	for _, t := range dups {
		delete(out, t)
	}
	return out
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
