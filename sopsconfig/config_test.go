package sopsconfig

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestParseAndMatch(t *testing.T) {
	c, err := Parse([]byte(`
creation_rules:
  - path_regex: values\.prod\.yaml$
    age: age1prod1, age1prod2
    encrypted_regex: ^(password|token)$
    mac_only_encrypted: true
    sv_unknown_key: ignored
  - path_regex: values\.dev\.yaml$
    key_groups:
      - age: [age1a, age1b]
        pgp: [ABC]
      - age: [age1c]
    shamir_threshold: 1
  - age:
      - age1any
`))
	if err != nil {
		t.Fatal(err)
	}
	c.Dir = "/repo"
	c.Path = "/repo/.sops.yaml"
	r, err := c.Match("/repo/charts/app/values.prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r.Index != 0 || !reflect.DeepEqual(r.KeyGroups, [][]string{{"age1prod1", "age1prod2"}}) || r.EncryptedRegex != "^(password|token)$" || !r.MACOnlyEncrypted {
		t.Fatalf("prod rule: %+v", r)
	}
	r, _ = c.Match("/repo/values.dev.yaml")
	if r.Index != 1 || len(r.KeyGroups) != 2 || r.ShamirThreshold != 1 || !r.OtherKeys {
		t.Fatalf("dev rule: %+v", r)
	}
	r, _ = c.Match(filepath.FromSlash("/repo/other.yaml"))
	if r.Index != 2 || r.Recipients()[0] != "age1any" {
		t.Fatalf("catch-all: %+v", r)
	}
	// path_regex sees the path relative to the config's directory.
	c2, _ := Parse([]byte("creation_rules:\n  - path_regex: ^values\\.yaml$\n    age: age1x\n"))
	c2.Dir, c2.Path = "/repo", "/repo/.sops.yaml"
	if _, err := c2.Match("/repo/values.yaml"); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Match("/repo/sub/values.yaml"); err == nil {
		t.Fatal("anchored regex matched a file in a subdirectory")
	}
}
func TestParseAge(t *testing.T) {
	day := 24 * time.Hour
	for in, want := range map[string]time.Duration{
		"90d": 90 * day, "12w": 84 * day, "36h": 36 * time.Hour, "1y": 365 * day, "90D": 90 * day,
		"2160h30m": 2160*time.Hour + 30*time.Minute, "none": 0, "off": 0, "0": 0, "": 0,
	} {
		got, err := ParseAge(in)
		if err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"90", "d", "-5h", "3 months", "9999999d"} {
		if _, err := ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) succeeded", in)
		}
	}
}

// sv_max_age is parsed with the config: a bad value fails Parse, naming
// the rule; "none" sets no limit.
func TestMaxAge(t *testing.T) {
	c, err := Parse([]byte("creation_rules:\n  - path_regex: ^prod/\n    sv_max_age: 90d\n  - sv_max_age: none\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rules[0].MaxAgeLimit != 90*24*time.Hour || c.Rules[0].MaxAge != "90d" || c.Rules[1].MaxAgeLimit != 0 || c.Rules[1].MaxAge != "none" {
		t.Errorf("got %+v", c.Rules)
	}
	_, err = Parse([]byte("creation_rules:\n  - path_regex: ^prod/\n    sv_max_age: ninety days\n"))
	if want := `creation rule #1 (path_regex ^prod/): sv_max_age: invalid age "ninety days": write it as 90d, 12w, 36h or 1y`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
