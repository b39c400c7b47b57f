// Package sopsconfig reads .sops.yaml the way sops does: found by walking up
// from the current directory (or named by --config / SOPS_CONFIG), creation
// rules tried in order with the first path_regex match winning.
package sopsconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// FileName is the config file sops and sv look for.
const FileName = ".sops.yaml"

// Config is a parsed .sops.yaml.
type Config struct {
	Path  string // the file it was read from
	Dir   string // its directory, which path_regex is relative to
	Rules []Rule
}

// Rule is one creation rule.
type Rule struct {
	Index     int    `yaml:"-"` // position in creation_rules, from 0
	PathRegex string `yaml:"-"` // empty matches every file
	re        *regexp.Regexp

	// KeyGroups holds the age recipients: one group from the age field, or
	// one per key_groups entry.
	KeyGroups       [][]string `yaml:"-"`
	ShamirThreshold int        `yaml:"-"`
	// OtherKeys is true when the rule also names keys of kinds sv does not
	// handle (pgp, kms, …).
	OtherKeys bool `yaml:"-"`

	UnencryptedSuffix       string `yaml:"unencrypted_suffix"`
	EncryptedSuffix         string `yaml:"encrypted_suffix"`
	UnencryptedRegex        string `yaml:"unencrypted_regex"`
	EncryptedRegex          string `yaml:"encrypted_regex"`
	UnencryptedCommentRegex string `yaml:"unencrypted_comment_regex"`
	EncryptedCommentRegex   string `yaml:"encrypted_comment_regex"`
	MACOnlyEncrypted        bool   `yaml:"mac_only_encrypted"`
	// EncryptComments is sv's own key (sops ignores unknown keys): encrypt
	// comments as sops does instead of keeping them readable.
	EncryptComments bool `yaml:"sv_encrypt_comments"`
	// MaxAge is sv's own key too: the longest a value may go unchanged
	// (e.g. 90d) before sv check fails, as written ("" when the rule does
	// not set it); MaxAgeLimit is its value, parsed when the config is
	// (ParseAge; a bad value fails Parse), 0 for "none": no limit.
	MaxAge      string        `yaml:"sv_max_age"`
	MaxAgeLimit time.Duration `yaml:"-"`
}

var ageRE = regexp.MustCompile(`^([0-9]+)([hdwy])$`)

// ParseAge reads an age as sv_max_age, --max-age and --since write it:
// 90d, 12w, 36h or 1y (a year is 365 days), or a Go duration (2160h30m).
// "none", "off", "0" and "" mean no limit (0).
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "", "none", "off", "0":
		return 0, nil
	}
	if m := ageRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100000 {
			return 0, fmt.Errorf("invalid age %q", s)
		}
		unit := map[string]time.Duration{"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "y": 365 * 24 * time.Hour}[m[2]]
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid age %q: write it as 90d, 12w, 36h or 1y", s)
	}
	return d, nil
}

// IsAge reports whether s is an age in units (90d, 12w, 36h, 1y), as
// opposed to a Go duration or a date.
func IsAge(s string) bool { return ageRE.MatchString(strings.ToLower(s)) }

// Recipients lists the rule's recipients across its key groups.
func (r *Rule) Recipients() []string {
	var out []string
	for _, g := range r.KeyGroups {
		out = append(out, g...)
	}
	return out
}

// String names the rule for messages.
func (r *Rule) String() string {
	if r.PathRegex == "" {
		return fmt.Sprintf("creation rule #%d (matches every file)", r.Index+1)
	}
	return fmt.Sprintf("creation rule #%d (path_regex %s)", r.Index+1, r.PathRegex)
}

// ErrNotFound means no .sops.yaml was found.
var ErrNotFound = errors.New("no " + FileName + " found in this directory or any parent")

// Find returns the path of the config: explicit if set, else SOPS_CONFIG,
// else the nearest .sops.yaml walking up from dir (at most 100 levels).
func Find(dir, explicit string) (string, error) {
	if p := Named(explicit); p != "" {
		return p, nil
	}
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for i := 0; i < 100; i++ {
		p := filepath.Join(d, FileName)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return "", ErrNotFound
}

// Named returns the config file named by explicit (--config) or, without
// it, by SOPS_CONFIG; "" means each file has the nearest .sops.yaml.
func Named(explicit string) string {
	if explicit != "" {
		return explicit
	}
	return os.Getenv("SOPS_CONFIG")
}

// Load reads and parses a config file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path, c.Dir = abs, filepath.Dir(abs)
	return c, nil
}

type rawRule struct {
	PathRegex       string        `yaml:"path_regex"`
	Age             yaml.Node     `yaml:"age"`
	KeyGroups       []rawKeyGroup `yaml:"key_groups"`
	ShamirThreshold int           `yaml:"shamir_threshold"`
	PGP             yaml.Node
	KMS             yaml.Node
	GCPKMS          yaml.Node `yaml:"gcp_kms"`
	AzureKV         yaml.Node `yaml:"azure_keyvault"`
	HCVault         yaml.Node `yaml:"hc_vault_transit_uri"`
	Rule            `yaml:",inline"`
}

type rawKeyGroup struct {
	Age   []string
	Merge []rawKeyGroup
	Other map[string]any `yaml:",inline"`
}

// Parse parses .sops.yaml content. Unknown keys are ignored, as sops does.
func Parse(b []byte) (*Config, error) {
	var raw struct {
		CreationRules []rawRule `yaml:"creation_rules"`
	}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	c := &Config{}
	for i, rr := range raw.CreationRules {
		r := rr.Rule
		r.Index, r.PathRegex, r.ShamirThreshold = i, rr.PathRegex, rr.ShamirThreshold
		if r.PathRegex != "" {
			re, err := regexp.Compile(r.PathRegex)
			if err != nil {
				return nil, fmt.Errorf("creation rule #%d: invalid path_regex: %w", i+1, err)
			}
			r.re = re
		}
		if r.MaxAge != "" {
			d, err := ParseAge(r.MaxAge)
			if err != nil {
				return nil, fmt.Errorf("%s: sv_max_age: %w", &r, err)
			}
			r.MaxAgeLimit = d
		}
		for _, n := range []yaml.Node{rr.PGP, rr.KMS, rr.GCPKMS, rr.AzureKV, rr.HCVault} {
			if n.Kind != 0 && !(n.Kind == yaml.ScalarNode && n.Value == "") {
				r.OtherKeys = true
			}
		}
		if len(rr.KeyGroups) > 0 {
			for _, g := range rr.KeyGroups {
				var keys []string
				flattenGroup(g, &keys, &r.OtherKeys)
				r.KeyGroups = append(r.KeyGroups, dedupe(keys))
			}
		} else {
			age, err := stringList(rr.Age)
			if err != nil {
				return nil, fmt.Errorf("creation rule #%d: age: %w", i+1, err)
			}
			if len(age) > 0 {
				r.KeyGroups = [][]string{dedupe(age)}
			}
		}
		c.Rules = append(c.Rules, r)
	}
	return c, nil
}

func flattenGroup(g rawKeyGroup, keys *[]string, other *bool) {
	for _, a := range g.Age {
		*keys = append(*keys, splitList(a)...)
	}
	for _, m := range g.Merge {
		flattenGroup(m, keys, other)
	}
	for k, v := range g.Other {
		if k != "hc_vault" && v != nil {
			*other = true
		}
	}
}

// stringList reads a comma-separated string or a YAML list of strings.
func stringList(n yaml.Node) ([]string, error) {
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.ScalarNode:
		return splitList(n.Value), nil
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errors.New("expected a list of strings")
			}
			out = append(out, splitList(c.Value)...)
		}
		return out, nil
	}
	return nil, errors.New("expected a string or a list")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// ErrNoRule means no creation rule matched a file.
type ErrNoRule struct {
	Config string
	File   string
}

func (e *ErrNoRule) Error() string {
	return fmt.Sprintf("no creation rule in %s matches %s", e.Config, e.File)
}

// Match returns the first rule whose path_regex matches file. The regex is
// matched, unanchored, against the file's absolute path with the config
// directory's prefix removed, as sops does.
func (c *Config) Match(file string) (*Rule, error) {
	rel := c.RelPath(file)
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.re == nil || r.re.MatchString(rel) {
			return r, nil
		}
	}
	return nil, &ErrNoRule{Config: c.Path, File: file}
}

// RelPath is the string path_regex is matched against for file.
func (c *Config) RelPath(file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	abs = filepath.ToSlash(abs)
	dir := filepath.ToSlash(c.Dir)
	if !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	return strings.TrimPrefix(abs, dir)
}
