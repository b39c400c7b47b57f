package yamlwalk

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sv-secrets/sv/crypt"
)

// hostile returns the inputs of issue 11 that anyone can push: an alias
// bomb, deep nesting (flow and block), a recursive alias and a deep
// collection repeated through aliases.
func hostile() map[string]string {
	var bomb strings.Builder
	bomb.WriteString("a0_unencrypted: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&bomb, "a%d_unencrypted: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 9), ", "))
	}
	var deepAlias strings.Builder
	deepAlias.WriteString("base: &b " + strings.Repeat("{a: ", 990) + "x" + strings.Repeat("}", 990) + "\n")
	for i := range 200 {
		fmt.Fprintf(&deepAlias, "c%d: *b\n", i)
	}
	return map[string]string{
		"alias bomb":      bomb.String(),
		"deep flow":       "deep: " + strings.Repeat("{a: ", 10000) + "x" + strings.Repeat("}", 10000) + "\n",
		"deep block":      "deep:\n" + strings.Repeat("- ", 10000) + "x\n",
		"recursive alias": "a: &c [x, *c]\n",
		"deep via alias":  deepAlias.String(),
		"second document": "a: 1\n---\n" + bomb.String(),
	}
}

// Every entry point that reads a file refuses the hostile inputs with a
// *LimitError, encrypted or not. A hang or a crash fails the test by its
// timeout; no timing is asserted.
func TestLimitsHostile(t *testing.T) {
	r, kr := testKeys(t)
	base, err := Encrypt([]byte("db:\n  password: hunter2\n"), EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseValuePath("db.password")
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range hostile() {
		plain := []byte(h + "password: hunter2\n")
		enc := []byte(h + string(base.Out))
		calls := map[string]func() error{
			"Parse": func() error { _, err := Parse(enc); return err },
			"Encrypt": func() error {
				_, err := Encrypt(plain, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}})
				return err
			},
			"Encrypt incremental": func() error {
				_, err := Encrypt(enc, EncryptOptions{Keys: kr})
				return err
			},
			"Decrypt":           func() error { _, err := Decrypt(enc, DecryptOptions{Keys: kr}); return err },
			"Decrypt ignoreMAC": func() error { _, err := Decrypt(enc, DecryptOptions{Keys: kr, IgnoreMAC: true}); return err },
			"Inspect":           func() error { _, err := Inspect(enc, Rules{}); return err },
			"Inspect plain":     func() error { _, err := Inspect(plain, Rules{}); return err },
			"Mask":              func() error { _, err := Mask(enc); return err },
			"SetValue":          func() error { _, err := SetValue(plain, p, "str", "x"); return err },
			"DeleteValue":       func() error { _, err := DeleteValue(plain, p); return err },
		}
		for cname, call := range calls {
			err := call()
			var le *LimitError
			if !errors.As(err, &le) {
				t.Errorf("%s: %s: got %v, want a *LimitError", name, cname, err)
			} else if strings.Contains(err.Error(), "lol") || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%s: %s: error holds a value: %v", name, cname, err)
			}
		}
	}
}

// Aliases as real values files use them stay readable.
func TestLimitsOrdinaryAliases(t *testing.T) {
	var b strings.Builder
	b.WriteString("defaults: &d {cpu: 1, memory: 2Gi, env: [a, b, c]}\n")
	for i := range 300 {
		fmt.Fprintf(&b, "svc%d:\n  <<: *d\n  resources: *d\n", i)
	}
	b.WriteString("deep: " + strings.Repeat("{a: ", 900) + "x" + strings.Repeat("}", 900) + "\n")
	if _, err := Parse([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
}

func TestLimitsMetadata(t *testing.T) {
	r, kr := testKeys(t)
	res, err := Encrypt([]byte("a: secret\n"), EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}, {r}}, ShamirThreshold: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	src := string(res.Out)
	if !strings.Contains(src, "shamir_threshold: 2\n") {
		t.Fatalf("no threshold:\n%s", src)
	}
	entry := src[strings.Index(src, "        - enc: |"):strings.Index(src, "      hc_vault: []")]
	for name, bad := range map[string]string{
		"negative threshold": strings.Replace(src, "shamir_threshold: 2", "shamir_threshold: -1", 1),
		"large threshold":    strings.Replace(src, "shamir_threshold: 2", "shamir_threshold: 3", 1),
		"threshold 1":        strings.Replace(src, "shamir_threshold: 2", "shamir_threshold: 1", 1),
		"5000 recipients":    strings.Replace(src, entry, strings.Repeat(entry, 5000), 1),
		"garbage enc":        strings.Replace(src, "-----BEGIN AGE ENCRYPTED FILE-----", "-----BEGIN AGE ENCRYPTED FILE-----\n                x", 1),
		"empty group":        strings.Replace(src, entry, "", 1),
	} {
		var me *MetadataError
		if _, err := Decrypt([]byte(bad), DecryptOptions{Keys: kr}); !errors.As(err, &me) {
			t.Errorf("%s: Decrypt: got %v, want a *MetadataError", name, err)
		}
		if _, err := Inspect([]byte(bad), Rules{}); !errors.As(err, &me) {
			t.Errorf("%s: Inspect: got %v, want a *MetadataError", name, err)
		}
	}
	if _, err := Decrypt(res.Out, DecryptOptions{Keys: kr}); err != nil {
		t.Fatal(err)
	}
}
