package secretfile

import (
	"strings"

	"github.com/sv-secrets/sv/keygroups"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
)

// RuleDiff is how a file's age recipients and key groups differ from those
// of the creation rule that covers it: A is the file, B the rule (Added:
// the rule names them, the file is not encrypted to them; Removed: the
// file is, the rule no longer names them). The zero value means they
// agree.
type RuleDiff = keygroups.Diff

// CompareRule compares the age recipients, key groups and Shamir threshold
// of a file's metadata with those of rule (its age list or key_groups as
// sopsconfig parsed them), with keygroups.Compare: an ssh key's comment
// does not count; order within a group does not either. Keys of other
// kinds (pgp, kms, …) are not compared, and a rule that names no age
// recipient (its files get theirs from --age or SOPS_AGE_RECIPIENTS, or
// only keys sv does not handle) says nothing to compare: the zero
// RuleDiff, as RuleFor has no rule for such a file.
func CompareRule(rule *sopsconfig.Rule, m *yamlwalk.Metadata) RuleDiff {
	if len(rule.KeyGroups) == 0 {
		return RuleDiff{}
	}
	return keygroups.Compare(FileRecipients(m), m.ShamirThreshold, rule.KeyGroups, rule.ShamirThreshold)
}

// SameRecipients reports whether two versions of a file give their data
// key to the same recipients, in the same key groups, with the same
// effective threshold: CompareRule's comparison between two files (the
// merge driver's).
func SameRecipients(a, b *yamlwalk.Metadata) bool {
	return keygroups.Compare(FileRecipients(a), a.ShamirThreshold, FileRecipients(b), b.ShamirThreshold).Match()
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

// NormRecipient is keygroups.Norm: the form recipients are compared in
// (trimmed, an ssh key without its comment).
func NormRecipient(s string) string { return keygroups.Norm(s) }
