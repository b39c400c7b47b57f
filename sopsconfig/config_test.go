package sopsconfig

import (
	"path/filepath"
	"reflect"
	"testing"
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
