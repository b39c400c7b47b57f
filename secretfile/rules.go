package secretfile

// Recipients and selection for a file, in one place: flags >
// SOPS_AGE_RECIPIENTS > the nearest .sops.yaml.

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
)

// LoadConfig loads the .sops.yaml the commands use: explicit (--config) if
// given, else the nearest one from the current directory up (or
// SOPS_CONFIG, see sopsconfig.Find). Without one it returns nil, nil
// unless required, when the error is sopsconfig.ErrNotFound.
func LoadConfig(explicit string, required bool) (*sopsconfig.Config, error) {
	p, err := sopsconfig.Find(".", explicit)
	if errors.Is(err, sopsconfig.ErrNotFound) && !required {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return sopsconfig.Load(p)
}

// ConfigFrom loads the .sops.yaml nearest to dir, going up (or
// SOPS_CONFIG), or returns nil, nil when there is none.
func ConfigFrom(dir string) (*sopsconfig.Config, error) {
	p, err := sopsconfig.Find(dir, "")
	if errors.Is(err, sopsconfig.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return sopsconfig.Load(p)
}

// RuleFor returns the creation rule of the .sops.yaml nearest to file (or
// SOPS_CONFIG) that covers it, and that config; the rule is nil when none
// covers it or it names no age recipients (the config is nil too when
// there is none). Only a broken .sops.yaml is an error.
func RuleFor(file string) (*sopsconfig.Rule, *sopsconfig.Config, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := ConfigFrom(filepath.Dir(abs))
	if cfg == nil || err != nil {
		return nil, nil, err
	}
	rule, err := cfg.Match(abs)
	if err != nil || len(rule.Recipients()) == 0 {
		return nil, cfg, nil
	}
	return rule, cfg, nil
}

// Selection is the value selection of rule (zero for nil): which values
// are encrypted, and what the MAC covers.
func Selection(rule *sopsconfig.Rule) yamlwalk.Rules {
	if rule == nil {
		return yamlwalk.Rules{}
	}
	return yamlwalk.Rules{
		UnencryptedSuffix: rule.UnencryptedSuffix, EncryptedSuffix: rule.EncryptedSuffix,
		UnencryptedRegex: rule.UnencryptedRegex, EncryptedRegex: rule.EncryptedRegex,
		UnencryptedCommentRegex: rule.UnencryptedCommentRegex, EncryptedCommentRegex: rule.EncryptedCommentRegex,
		MACOnlyEncrypted: rule.MACOnlyEncrypted,
	}
}

// RuleRecipients parses the age recipients rule names, group by group
// (plugin recipients through keys' UI; keys may be nil). A rule that also
// names pgp, kms or vault keys, or no age recipient, is an error naming
// the rule and cfg.
func RuleRecipients(cfg *sopsconfig.Config, rule *sopsconfig.Rule, keys *Keys) ([][]crypt.Recipient, error) {
	if rule.OtherKeys {
		return nil, fmt.Errorf("%s in %s also names pgp, kms or vault keys, which sv does not handle: use sops updatekeys for such files", rule, cfg.Path)
	}
	if len(rule.Recipients()) == 0 {
		return nil, fmt.Errorf("%s in %s names no age recipients", rule, cfg.Path)
	}
	groups, err := parseGroups(rule.KeyGroups, keys)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", rule, cfg.Path, err)
	}
	return groups, nil
}

// parseGroups parses groups of recipients and checks they may be mixed.
func parseGroups(groups [][]string, keys *Keys) ([][]crypt.Recipient, error) {
	var (
		out [][]crypt.Recipient
		all []crypt.Recipient
	)
	for _, g := range groups {
		rs, err := keys.ParseRecipients(g)
		if err != nil {
			return nil, err
		}
		out = append(out, rs)
		all = append(all, rs...)
	}
	if err := crypt.CheckMix(all); err != nil {
		return nil, err
	}
	return out, nil
}

// RuleOptions are the caller's say in ResolveRule, from flags and the
// environment (secretfile reads neither itself).
type RuleOptions struct {
	// Recipients (--age) replace the rule's key groups with one group.
	Recipients []string
	// EnvRecipients is SOPS_AGE_RECIPIENTS, used when Recipients is empty.
	EnvRecipients string
	// Config (--config) is the .sops.yaml to use instead of the nearest.
	Config string
	// Selection, if set, replaces the rule's selection (its suffixes and
	// regexes) entirely; its MACOnlyEncrypted is ignored.
	Selection *yamlwalk.Rules
	// MACOnlyEncrypted, if set, overrides the rule's mac_only_encrypted.
	MACOnlyEncrypted *bool
	// Keys parses age plugin recipients (may be nil: no plugin UI).
	Keys *Keys
}

// Plan is what a new file is encrypted with.
type Plan struct {
	Rules     yamlwalk.Rules
	KeyGroups [][]crypt.Recipient
	// Threshold is the rule's shamir_threshold (0 with flag or environment
	// recipients).
	Threshold int
	// EncryptComments: the rule sets sv_encrypt_comments.
	EncryptComments bool
	// Rule is the creation rule that matched, nil if none did (or no
	// .sops.yaml was needed and there is none).
	Rule *sopsconfig.Rule
}

// ResolveRule resolves recipients and selection for encrypting file anew:
// recipients from o.Recipients, else o.EnvRecipients, else the first
// creation rule of the .sops.yaml (o.Config, or the nearest one from the
// current directory) that matches file; the selection and
// sv_encrypt_comments from that rule, o.Selection and o.MACOnlyEncrypted
// overriding it. A .sops.yaml is required only when no recipients are
// given (sopsconfig.ErrNotFound, *sopsconfig.ErrNoRule); a broken one is
// an error either way.
func ResolveRule(file string, o RuleOptions) (*Plan, error) {
	p := &Plan{}
	var groups [][]string
	needConfig := len(o.Recipients) == 0 && o.EnvRecipients == ""
	cfgPath, err := sopsconfig.Find(".", o.Config)
	if err != nil && (needConfig || !errors.Is(err, sopsconfig.ErrNotFound)) {
		return nil, err
	}
	if err == nil {
		cfg, err := sopsconfig.Load(cfgPath)
		if err != nil {
			return nil, err
		}
		rule, err := cfg.Match(file)
		if err != nil && needConfig {
			return nil, err
		}
		if rule != nil {
			p.Rule, p.Rules = rule, Selection(rule)
			groups, p.Threshold, p.EncryptComments = rule.KeyGroups, rule.ShamirThreshold, rule.EncryptComments
			if needConfig && len(rule.Recipients()) == 0 {
				return nil, fmt.Errorf("%s in %s names no age recipients", rule, cfgPath)
			}
		}
	}
	switch {
	case len(o.Recipients) > 0:
		groups, p.Threshold = [][]string{o.Recipients}, 0
	case o.EnvRecipients != "":
		groups, p.Threshold = [][]string{{o.EnvRecipients}}, 0
	}
	if o.Selection != nil {
		mac := p.Rules.MACOnlyEncrypted
		p.Rules = *o.Selection
		p.Rules.MACOnlyEncrypted = mac
	}
	if o.MACOnlyEncrypted != nil {
		p.Rules.MACOnlyEncrypted = *o.MACOnlyEncrypted
	}
	if p.KeyGroups, err = parseGroups(groups, o.Keys); err != nil {
		return nil, err
	}
	if len(p.KeyGroups) == 0 || len(recipientsOf(p.KeyGroups)) == 0 {
		return nil, errors.New("no recipients to encrypt to")
	}
	return p, nil
}

func recipientsOf(groups [][]crypt.Recipient) []crypt.Recipient {
	var all []crypt.Recipient
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

// Drift compares a file's recipients with the rule that covers it
// (RuleFor): rule is nil, and the diff zero, when no rule covers it or m
// is nil. Only a broken .sops.yaml is an error.
func Drift(file string, m *yamlwalk.Metadata) (*sopsconfig.Rule, RuleDiff, error) {
	rule, _, err := RuleFor(file)
	if err != nil || rule == nil || m == nil {
		return nil, RuleDiff{}, err
	}
	return rule, CompareRule(rule, m), nil
}

// Trusted is the outcome of TrustedRecipients.
type Trusted struct {
	// Rule is the rule that covers the file; nil if none does, when
	// nothing could be checked and Groups are the file's own.
	Rule *sopsconfig.Rule
	// Groups are the recipients kept, key group by key group.
	Groups [][]string
	// Dropped are the recipients neither the rule nor add names.
	Dropped []string
}

// UntrustedError: no recipient of a key group of the file is named by
// the rule or the added recipients; nothing may be written.
type UntrustedError struct{ Rule *sopsconfig.Rule }

func (e *UntrustedError) Error() string {
	return fmt.Sprintf("no recipient of the file is named by %s or --add-age; nothing written", e.Rule)
}

// TrustedRecipients filters a file's key groups for a command that hands
// out a data key (rotate). The sops: block is not covered by the MAC:
// anyone who can push can add a recipient entry, so with a .sops.yaml rule
// covering the file only the rule's recipients and those in add stay.
// Without a rule the groups are returned as they are (Rule nil).
func TrustedRecipients(file string, groups [][]string, add []string) (*Trusted, error) {
	rule, _, err := RuleFor(file)
	if err != nil {
		return nil, err
	}
	if rule == nil {
		return &Trusted{Groups: groups}, nil
	}
	ok := map[string]bool{}
	for _, r := range append(rule.Recipients(), add...) {
		ok[NormRecipient(r)] = true
	}
	t := &Trusted{Rule: rule, Groups: make([][]string, len(groups))}
	for i, g := range groups {
		for _, r := range g {
			if ok[NormRecipient(r)] {
				t.Groups[i] = append(t.Groups[i], r)
				continue
			}
			t.Dropped = append(t.Dropped, r)
		}
		if len(g) > 0 && len(t.Groups[i]) == 0 {
			return t, &UntrustedError{Rule: rule}
		}
	}
	return t, nil
}
