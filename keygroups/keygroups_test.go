package keygroups

import (
	"slices"
	"testing"
)

func TestCompare(t *testing.T) {
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
		name       string
		a          [][]string
		threshA    int
		b          [][]string
		threshB    int
		want       want
		thA, thB   int
		groupCount [2]int
	}{
		{"same, other order", [][]string{{b, a}}, 0, [][]string{{a, b}}, 0, want{}, 0, 0, [2]int{1, 1}},
		{"added", [][]string{{a}}, 0, [][]string{{a, b}}, 0, want{added: []string{b}}, 0, 0, [2]int{1, 1}},
		{"removed", [][]string{{a, b}}, 0, [][]string{{a}}, 0, want{removed: []string{b}}, 0, 0, [2]int{1, 1}},
		{"ssh comment", [][]string{{ssh2, a}}, 0, [][]string{{a, ssh}}, 0, want{}, 0, 0, [2]int{1, 1}},
		{"threshold 3 to 2", [][]string{{a}, {b}, {c}}, 3, [][]string{{a}, {b}, {c}}, 2, want{thresh: true}, 3, 2, [2]int{3, 3}},
		{"threshold unset is all groups", [][]string{{a}, {b}}, 2, [][]string{{a}, {b}}, 0, want{}, 2, 2, [2]int{2, 2}},
		{"threshold of one group does not count", [][]string{{a, b}}, 0, [][]string{{a, b}}, 2, want{}, 0, 0, [2]int{1, 1}},
		{"group added", [][]string{{a}}, 0, [][]string{{a}, {b}}, 0, want{added: []string{b}, groups: true, thresh: true}, 0, 2, [2]int{1, 2}},
		{"regrouped", [][]string{{a, b}, {c}}, 2, [][]string{{a}, {b, c}}, 0, want{groups: true}, 2, 2, [2]int{2, 2}},
		{"moved and added", [][]string{{b}, {a}}, 2, [][]string{{a, c}, {b}}, 0, want{added: []string{c}, groups: true}, 2, 2, [2]int{2, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Compare(tc.a, tc.threshA, tc.b, tc.threshB)
			if !slices.Equal(d.Added, tc.want.added) || !slices.Equal(d.Removed, tc.want.removed) || d.GroupsChanged != tc.want.groups || d.ThresholdChanged != tc.want.thresh {
				t.Errorf("got %+v, want %+v", d, tc.want)
			}
			if d.ThresholdA != tc.thA || d.ThresholdB != tc.thB || d.GroupsA != tc.groupCount[0] || d.GroupsB != tc.groupCount[1] {
				t.Errorf("thresholds %d, %d, groups %d, %d", d.ThresholdA, d.ThresholdB, d.GroupsA, d.GroupsB)
			}
			if d.Match() != (tc.want.added == nil && tc.want.removed == nil && !tc.want.groups && !tc.want.thresh) {
				t.Errorf("Match() = %v for %+v", d.Match(), d)
			}
			// The other way round: added and removed swap, the rest holds.
			r := Compare(tc.b, tc.threshB, tc.a, tc.threshA)
			if !slices.Equal(r.Added, d.Removed) || !slices.Equal(r.Removed, d.Added) || r.GroupsChanged != d.GroupsChanged || r.ThresholdChanged != d.ThresholdChanged {
				t.Errorf("reversed: %+v", r)
			}
		})
	}
}

func TestNorm(t *testing.T) {
	for in, want := range map[string]string{
		" age1abc ":                        "age1abc",
		"ssh-ed25519 AAAAkey alice@laptop": "ssh-ed25519 AAAAkey",
		"ssh-rsa AAAAkey":                  "ssh-rsa AAAAkey",
		"age1pq1xyz":                       "age1pq1xyz",
	} {
		if got := Norm(in); got != want {
			t.Errorf("Norm(%q) = %q, want %q", in, got, want)
		}
	}
}
