package secretfile

import (
	"slices"
	"testing"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
)

func meta(thresh int, groups ...[]string) *yamlwalk.Metadata {
	m := &yamlwalk.Metadata{ShamirThreshold: thresh, Grouped: len(groups) > 1}
	for _, g := range groups {
		var kg crypt.KeyGroup
		for _, r := range g {
			kg.Age = append(kg.Age, crypt.AgeKey{Recipient: r})
		}
		m.KeyGroups = append(m.KeyGroups, kg)
	}
	return m
}

// TestCompareRule checks what CompareRule adds to keygroups.Compare (whose
// own tests cover the comparison): the rule's groups and threshold and the
// file's metadata as its two sides, and a rule without age recipients.
func TestCompareRule(t *testing.T) {
	const (
		a    = "age1a"
		b    = "age1b"
		c    = "age1c"
		ssh  = "ssh-ed25519 AAAAkey alice@laptop"
		ssh2 = "ssh-ed25519 AAAAkey alice@desktop"
	)
	type want struct {
		added, removed []string
		groups, thresh bool
	}
	for _, tc := range []struct {
		name string
		rule sopsconfig.Rule
		file *yamlwalk.Metadata
		want want
	}{
		{"same", sopsconfig.Rule{KeyGroups: [][]string{{a, b}}}, meta(0, []string{b, a}), want{}},
		{"ssh comment", sopsconfig.Rule{KeyGroups: [][]string{{a, ssh}}}, meta(0, []string{ssh2, a}), want{}},
		{"threshold 2 to 1", sopsconfig.Rule{KeyGroups: [][]string{{a}, {b}}, ShamirThreshold: 1}, meta(2, []string{a}, []string{b}), want{thresh: true}},
		{"group added", sopsconfig.Rule{KeyGroups: [][]string{{a}, {b}}}, meta(0, []string{a}), want{added: []string{b}, groups: true, thresh: true}},
		{"rule without age recipients: nothing to compare", sopsconfig.Rule{OtherKeys: true}, meta(0, []string{a}), want{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := CompareRule(&tc.rule, tc.file)
			if !slices.Equal(d.Added, tc.want.added) || !slices.Equal(d.Removed, tc.want.removed) || d.GroupsChanged != tc.want.groups || d.ThresholdChanged != tc.want.thresh {
				t.Errorf("got %+v, want %+v", d, tc.want)
			}
			if d.Match() != (tc.want.added == nil && tc.want.removed == nil && !tc.want.groups && !tc.want.thresh) {
				t.Errorf("Match() = %v for %+v", d.Match(), d)
			}
		})
	}
}

// The merge driver compares two versions' recipients as status, check and
// updatekeys compare a file with its rule (keygroups.Compare).
func TestSameRecipients(t *testing.T) {
	const (
		a    = "age1a"
		b    = "age1b"
		ssh  = "ssh-ed25519 AAAAkey alice@laptop"
		ssh2 = "ssh-ed25519 AAAAkey alice@desktop"
	)
	for _, tc := range []struct {
		name string
		x, y *yamlwalk.Metadata
		same bool
	}{
		{"order", meta(0, []string{a, b}), meta(0, []string{b, a}), true},
		{"ssh comment", meta(0, []string{a, ssh}), meta(0, []string{ssh2, a}), true},
		{"threshold unset is all groups", meta(0, []string{a}, []string{b}), meta(2, []string{a}, []string{b}), true},
		{"recipient added", meta(0, []string{a}), meta(0, []string{a, b}), false},
		{"regrouped", meta(0, []string{a, b}), meta(2, []string{a}, []string{b}), false},
	} {
		if got := SameRecipients(tc.x, tc.y); got != tc.same {
			t.Errorf("%s: SameRecipients = %v, want %v", tc.name, got, tc.same)
		}
	}
}
