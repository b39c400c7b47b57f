package secretfile

import (
	"slices"
	"strings"

	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
)

// RuleDiff is how a file's age recipients and key groups differ from those
// of the creation rule that covers it. The zero value means they agree.
type RuleDiff struct {
	// Added are recipients the rule names that the file is not encrypted
	// to, as the rule spells them; Removed are those the file is encrypted
	// to that the rule no longer names, as the file spells them. Each is
	// listed once, in order of appearance.
	Added, Removed []string
	// FileGroups and RuleGroups count the key groups.
	FileGroups, RuleGroups int
	// GroupsChanged: the key group layout differs beyond recipients added
	// or removed (another number of groups, or a recipient in another
	// group).
	GroupsChanged bool
	// FileThreshold and RuleThreshold are the key groups needed to open
	// the data key: 0 for a single group, the number of groups when
	// shamir_threshold is unset (as sops does).
	FileThreshold, RuleThreshold int
	ThresholdChanged             bool
}

// Match reports whether the file agrees with its rule.
func (d RuleDiff) Match() bool {
	return len(d.Added) == 0 && len(d.Removed) == 0 && !d.GroupsChanged && !d.ThresholdChanged
}

// CompareRule compares the age recipients, key groups and Shamir threshold
// of a file's metadata with those of rule (its age list or key_groups as
// sopsconfig parsed them). Recipients are compared in NormRecipient's form:
// an ssh key's comment does not count; order within a group does not
// either. Keys of other kinds (pgp, kms, …) are not compared.
func CompareRule(rule *sopsconfig.Rule, m *yamlwalk.Metadata) RuleDiff {
	file := FileRecipients(m)
	return compareGroups(file, Threshold(m.ShamirThreshold, len(file)), rule.KeyGroups, Threshold(rule.ShamirThreshold, len(rule.KeyGroups)))
}

// FileRecipients lists a file's age recipients, key group by key group.
func FileRecipients(m *yamlwalk.Metadata) [][]string {
	out := make([][]string, len(m.KeyGroups))
	for i, g := range m.KeyGroups {
		for _, k := range g.Age {
			out[i] = append(out[i], strings.TrimSpace(k.Recipient))
		}
	}
	return out
}

// Threshold is the number of key groups needed to open a data key split
// over groups key groups with shamir_threshold t: 0 for a single group
// (no split), the number of groups when t is unset.
func Threshold(t, groups int) int {
	switch {
	case groups <= 1:
		return 0
	case t == 0:
		return groups
	}
	return t
}

// NormRecipient is the form recipients are compared in: trimmed, an ssh
// key without its comment (the key is what matters).
func NormRecipient(s string) string {
	s = strings.TrimSpace(s)
	if f := strings.Fields(s); len(f) >= 2 && strings.HasPrefix(f[0], "ssh-") {
		return f[0] + " " + f[1]
	}
	return s
}

func compareGroups(file [][]string, fileThresh int, rule [][]string, ruleThresh int) RuleDiff {
	d := RuleDiff{
		FileGroups: len(file), RuleGroups: len(rule),
		FileThreshold: fileThresh, RuleThreshold: ruleThresh,
		ThresholdChanged: fileThresh != ruleThresh,
	}
	inFile, inRule := normSet(file), normSet(rule)
	d.Added = notIn(rule, inFile)
	d.Removed = notIn(file, inRule)
	if len(file) != len(rule) {
		d.GroupsChanged = true
		return d
	}
	// Group by group, what both sides name must be in the same group.
	for i := range file {
		a, b := normGroup(file[i], inRule), normGroup(rule[i], inFile)
		if !slices.Equal(a, b) {
			d.GroupsChanged = true
		}
	}
	return d
}

func normSet(groups [][]string) map[string]bool {
	set := map[string]bool{}
	for _, g := range groups {
		for _, r := range g {
			set[NormRecipient(r)] = true
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
			n := NormRecipient(r)
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
		if n := NormRecipient(r); other[n] {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
