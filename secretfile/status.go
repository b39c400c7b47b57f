package secretfile

import (
	"errors"
	"os"
	"slices"

	"github.com/sv-secrets/sv/internal/parallel"
	"github.com/sv-secrets/sv/sopsconfig"
)

// FileStatus is one file in sv status; as JSON, one object of sv status
// --json (the field names are part of the output contract).
type FileStatus struct {
	File string `json:"file"`
	// Encrypted is true when the file has sops metadata.
	Encrypted bool `json:"encrypted"`
	// FullyEncrypted is true when every value the file's rules select is
	// encrypted.
	FullyEncrypted  bool     `json:"fully_encrypted"`
	EncryptedValues int      `json:"encrypted_values"`
	PlaintextValues []string `json:"plaintext_values"`
	Recipients      []string `json:"recipients"`
	KeyGroups       int      `json:"key_groups,omitempty"`
	Rule            string   `json:"rule,omitempty"`
	RuleRecipients  []string `json:"rule_recipients"`
	// RecipientsMatch is true when the file is encrypted to exactly the
	// rule's recipients, in the rule's key groups, with its threshold.
	RecipientsMatch bool     `json:"recipients_match"`
	Missing         []string `json:"missing_recipients"`
	Extra           []string `json:"extra_recipients"`
	// RuleKeyGroups counts the rule's key groups; Threshold and
	// RuleThreshold are the key groups needed to open the data key, the
	// file's and the rule's (0 for a single group; see keygroups.Threshold).
	RuleKeyGroups int `json:"rule_key_groups,omitempty"`
	Threshold     int `json:"threshold,omitempty"`
	RuleThreshold int `json:"rule_threshold,omitempty"`
	// KeyGroupsDiffer: recipients sit in other key groups than the rule's,
	// or there are more or fewer groups; ThresholdDiffers: the threshold
	// differs.
	KeyGroupsDiffer  bool   `json:"key_groups_differ,omitempty"`
	ThresholdDiffers bool   `json:"threshold_differs,omitempty"`
	Error            string `json:"error,omitempty"`
	// Values are the values' ages (sv status --ages; ValueAges).
	Values []ValueAge `json:"values,omitempty"`
	// Diff is the comparison with the rule the fields above come from.
	Diff RuleDiff `json:"-"`
}

// StatusOf describes one file Walk found, with cfg's rules (cfg may be
// nil: no .sops.yaml). ok is false for a file found in a directory that
// is neither encrypted nor covered by a rule with a path_regex. Problems
// with the file are in Error, never an error.
func StatusOf(cfg *sopsconfig.Config, f File) (st FileStatus, ok bool) {
	st = FileStatus{File: f.Path, PlaintextValues: []string{}, Recipients: []string{}, RuleRecipients: []string{}, Missing: []string{}, Extra: []string{}}
	src, err := os.ReadFile(f.Path)
	if err != nil {
		st.Error = PathCause(err).Error()
		return st, true
	}
	var rule *sopsconfig.Rule
	ruleErr := sopsconfig.ErrNotFound
	if cfg != nil {
		rule, ruleErr = cfg.Match(f.Path)
	}
	encrypted := IsEncrypted(f.Path, src)
	if !encrypted && !f.Explicit && (rule == nil || rule.PathRegex == "") {
		return st, false
	}
	info, err := Inspect(f.Path, src, Selection(rule))
	if err != nil {
		st.Error = err.Error()
		return st, true
	}
	st.Encrypted = info.Metadata != nil
	for _, l := range info.Leaves {
		if l.Encrypted {
			st.EncryptedValues++
		}
		if l.Plaintext() {
			st.PlaintextValues = append(st.PlaintextValues, l.Path)
		}
	}
	st.FullyEncrypted = st.Encrypted && len(st.PlaintextValues) == 0
	if st.Encrypted {
		cur := FileRecipients(info.Metadata)
		st.Recipients = flatten(cur)
		st.KeyGroups = len(cur)
	}
	if ruleErr != nil {
		var nr *sopsconfig.ErrNoRule
		if !errors.Is(ruleErr, sopsconfig.ErrNotFound) && !errors.As(ruleErr, &nr) {
			st.Error = ruleErr.Error()
		}
		return st, true
	}
	st.Rule = rule.String()
	st.RuleRecipients = flatten(rule.KeyGroups)
	if st.Encrypted {
		d := CompareRule(rule, info.Metadata)
		st.Diff = d
		st.RecipientsMatch = d.Match()
		st.Missing = append(st.Missing, d.Added...)
		st.Extra = append(st.Extra, d.Removed...)
		st.RuleKeyGroups, st.Threshold, st.RuleThreshold = d.GroupsB, d.ThresholdA, d.ThresholdB
		st.KeyGroupsDiffer, st.ThresholdDiffers = d.GroupsChanged, d.ThresholdChanged
	}
	return st, true
}

// Status finds the files of paths (Walk, Tree) and describes them
// (StatusOf), each with the rules of its .sops.yaml (Configs: config, if
// given, else the nearest one above the file, as sv check; none is no
// error), in parallel, in the order of the files, without those StatusOf
// leaves out.
func Status(paths []string, config string) ([]FileStatus, error) {
	files, err := Walk(paths, Tree)
	if err != nil {
		return nil, err
	}
	configs, err := NewConfigs(config)
	if err != nil {
		return nil, err
	}
	cfgs := make([]*sopsconfig.Config, len(files))
	for i, f := range files {
		if cfgs[i], err = configs.For(f.Path); err != nil {
			return nil, err
		}
	}
	type found struct {
		st FileStatus
		ok bool
	}
	var all []FileStatus
	for _, r := range parallel.Map(len(files), 0, func(i int) found {
		st, ok := StatusOf(cfgs[i], files[i])
		return found{st, ok}
	}) {
		if r.ok {
			all = append(all, r.st)
		}
	}
	return all, nil
}

// flatten lists the recipients of groups once each, in order.
func flatten(groups [][]string) []string {
	var out []string
	for _, g := range groups {
		for _, r := range g {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}
