// Package keygroups compares who can open a data key: the age recipients
// of key groups and the Shamir threshold, as a file's sops block or a
// .sops.yaml creation rule lists them. It is sv's one such comparison:
// status, check, updatekeys and rotate compare a file with its rule
// through it (secretfile.CompareRule), the merge driver compares the two
// sides of a merge (secretfile.SameKeys) and the audit two versions of a
// file (recipient events).
//
// It knows recipients only as strings, so it sits below every package that
// reads them.
package keygroups

import (
	"slices"
	"strings"
)

// Diff is how key groups B differ from key groups A (a file's and its
// rule's, or an old and a new version). The zero value means they agree.
type Diff struct {
	// Added are recipients B names that A does not, as B spells them;
	// Removed are those A names that B does not, as A spells them. Each
	// is listed once, in order of appearance.
	Added, Removed []string
	// GroupsA and GroupsB count the key groups.
	GroupsA, GroupsB int
	// GroupsChanged: the key group layout differs beyond recipients added
	// or removed (another number of groups, or a recipient in another
	// group).
	GroupsChanged bool
	// ThresholdA and ThresholdB are the key groups needed to open the data
	// key (see Threshold).
	ThresholdA, ThresholdB int
	ThresholdChanged       bool
}

// Match reports whether A and B agree.
func (d Diff) Match() bool {
	return len(d.Added) == 0 && len(d.Removed) == 0 && !d.GroupsChanged && !d.ThresholdChanged
}

// Compare compares key groups a, opened with shamir_threshold threshA,
// with key groups b and threshB (thresholds as written: 0 is unset; see
// Threshold). Recipients are compared in Norm's form: an ssh key's comment
// does not count; order within a group does not either.
func Compare(a [][]string, threshA int, b [][]string, threshB int) Diff {
	d := Diff{
		GroupsA: len(a), GroupsB: len(b),
		ThresholdA: Threshold(threshA, len(a)), ThresholdB: Threshold(threshB, len(b)),
	}
	d.ThresholdChanged = d.ThresholdA != d.ThresholdB
	inA, inB := normSet(a), normSet(b)
	d.Added = notIn(b, inA)
	d.Removed = notIn(a, inB)
	if len(a) != len(b) {
		d.GroupsChanged = true
		return d
	}
	// Group by group, what both sides name must be in the same group.
	for i := range a {
		if !slices.Equal(normGroup(a[i], inB), normGroup(b[i], inA)) {
			d.GroupsChanged = true
		}
	}
	return d
}

// Threshold is the number of key groups needed to open a data key split
// over groups key groups with shamir_threshold t: 0 for a single group (no
// split), the number of groups when t is unset, as sops does.
func Threshold(t, groups int) int {
	switch {
	case groups <= 1:
		return 0
	case t == 0:
		return groups
	}
	return t
}

// Norm is the form recipients are compared in: trimmed, an ssh key without
// its comment (the key is what matters).
func Norm(s string) string {
	s = strings.TrimSpace(s)
	if f := strings.Fields(s); len(f) >= 2 && strings.HasPrefix(f[0], "ssh-") {
		return f[0] + " " + f[1]
	}
	return s
}

func normSet(groups [][]string) map[string]bool {
	set := map[string]bool{}
	for _, g := range groups {
		for _, r := range g {
			set[Norm(r)] = true
		}
	}
	return set
}

// notIn lists the recipients of groups (once each, as spelt there) whose
// normal form is not in set.
func notIn(groups [][]string, set map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range groups {
		for _, r := range g {
			n := Norm(r)
			if !set[n] && !seen[n] {
				seen[n] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// normGroup is g's recipients that the other side names too, normalized,
// sorted and without duplicates.
func normGroup(g []string, other map[string]bool) []string {
	var out []string
	for _, r := range g {
		if n := Norm(r); other[n] {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
