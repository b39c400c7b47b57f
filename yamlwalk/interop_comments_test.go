package yamlwalk

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/crypt"
)

// With comments encrypted, sops must decrypt every comment sv wrote: any
// comment bound to a path sops does not expect would show up as a warning.
func TestInteropEncryptedComments(t *testing.T) {
	alice := loadTestIdentity(t, "alice.agekey")
	for _, name := range corpusFiles(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.recipient}}, EncryptComments: true})
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(res.Out, []byte("\n# ")) {
				i := bytes.Index(res.Out, []byte("\n# "))
				t.Fatalf("a comment stayed in plaintext: %q", res.Out[i:min(len(res.Out), i+60)])
			}
			dir := t.TempDir()
			enc := filepath.Join(dir, "values.yaml")
			os.WriteFile(enc, res.Out, 0o600)
			out, stderr, err := runSops(t, dir, alice.file, "decrypt", enc)
			if err != nil {
				t.Fatalf("sops decrypt: %v\n%s", err, stderr)
			}
			if bytes.Contains(stderr, []byte("unencrypted comment")) {
				t.Fatalf("sops could not decrypt some comments:\n%s", firstLines(stderr, 5))
			}
			equalSemantic(t, "sops decrypt", src, out)
			dec, err := Decrypt(res.Out, DecryptOptions{Keys: alice.keyring})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(dec.Text, src) {
				diffLines(t, src, dec.Text)
			}
		})
	}
}

func firstLines(b []byte, n int) string {
	l := bytes.SplitN(b, []byte("\n"), n+1)
	if len(l) > n {
		l = l[:n]
	}
	return string(bytes.Join(l, []byte("\n")))
}

// sv must select exactly the values sops selects, for every selection rule.
func TestInteropSelectionRules(t *testing.T) {
	alice := loadTestIdentity(t, "alice.agekey")
	src := []byte(`# sops:enc
top: 1
plain: visible
db:
  user: admin
  # sops:enc
  password: hunter2
  token_enc: t0k3n
  nested_unencrypted:
    inner: 2
list:
  - a
  # sops:enc
  - b
  - key_enc: c
    other: d
`)
	rules := map[string]Rules{
		"default":                   {},
		"unencrypted_suffix":        {UnencryptedSuffix: "_unencrypted"},
		"encrypted_suffix":          {EncryptedSuffix: "_enc"},
		"encrypted_regex":           {EncryptedRegex: "^(password|list)$"},
		"unencrypted_regex":         {UnencryptedRegex: "^(db|plain)$"},
		"encrypted_comment_regex":   {EncryptedCommentRegex: "sops:enc"},
		"unencrypted_comment_regex": {UnencryptedCommentRegex: "sops:enc"},
	}
	flags := map[string][]string{
		"default":                   nil,
		"unencrypted_suffix":        {"--unencrypted-suffix", "_unencrypted"},
		"encrypted_suffix":          {"--encrypted-suffix", "_enc"},
		"encrypted_regex":           {"--encrypted-regex", "^(password|list)$"},
		"unencrypted_regex":         {"--unencrypted-regex", "^(db|plain)$"},
		"encrypted_comment_regex":   {"--encrypted-comment-regex", "sops:enc"},
		"unencrypted_comment_regex": {"--unencrypted-comment-regex", "sops:enc"},
	}
	for name, r := range rules {
		t.Run(name, func(t *testing.T) {
			res, err := Encrypt(src, EncryptOptions{Rules: r, KeyGroups: [][]crypt.Recipient{{alice.recipient}}})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			plain := filepath.Join(dir, "values.yaml")
			os.WriteFile(plain, src, 0o600)
			args := append([]string{"encrypt", "--age", alice.recipient.String}, flags[name]...)
			if r.EncryptedCommentRegex != "" || r.UnencryptedCommentRegex != "" {
				// sops has no flags for these: a creation rule.
				cfg := fmt.Sprintf("creation_rules:\n  - encrypted_comment_regex: %q\n    unencrypted_comment_regex: %q\n", r.EncryptedCommentRegex, r.UnencryptedCommentRegex)
				cfg = strings.ReplaceAll(strings.ReplaceAll(cfg, "    unencrypted_comment_regex: \"\"\n", ""), "  - encrypted_comment_regex: \"\"\n    ", "  - ")
				os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(cfg), 0o600)
				args = []string{"encrypt", "--age", alice.recipient.String}
			}
			sopsOut, stderr, err := runSops(t, dir, "", append(args, plain)...)
			if err != nil {
				t.Fatalf("sops encrypt: %v\n%s", err, stderr)
			}
			got, want := encryptedPaths(t, res.Out), encryptedPaths(t, sopsOut)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("encrypted values differ\nsv:   %v\nsops: %v", got, want)
			}
			// And sops reads sv's file with these rules.
			enc := filepath.Join(dir, "sv.yaml")
			os.WriteFile(enc, res.Out, 0o600)
			if _, stderr, err := runSops(t, dir, alice.file, "decrypt", enc); err != nil {
				t.Fatalf("sops decrypt: %v\n%s", err, stderr)
			}
		})
	}
}

// encryptedPaths lists the paths of the encrypted values (not comments).
func encryptedPaths(t *testing.T, b []byte) []string {
	t.Helper()
	info, err := Inspect(b, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range info.Leaves {
		if l.Encrypted {
			v, err := crypt.ParseValue(l.Ciphertext)
			if err != nil || v.Type == crypt.TypeComment {
				continue
			}
			out = append(out, fmt.Sprint(l.Keys))
		}
	}
	sort.Strings(out)
	return out
}
