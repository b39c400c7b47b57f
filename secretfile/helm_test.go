package secretfile

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/helmplugin"
	"github.com/sv-secrets/sv/yamlwalk"
)

// helmKeyFile makes an identity in a key file of its own, with the
// process's key variables cleared and HOME empty, and returns the key
// file and its recipient.
func helmKeyFile(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	keyFile, r := isolatedIdentity(t, dir)
	return keyFile, r
}

// helmValues makes a directory, the current one for the test, holding
// helmPlain encrypted for r as values.yaml (and as plain.yaml its
// plaintext), and returns it.
func helmValues(t *testing.T, r string) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("plain.yaml", []byte(helmPlain), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Encrypt("plain.yaml", EncryptOptions{Rule: RuleOptions{Recipients: []string{r}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("values.yaml", res.Out, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const helmPlain = "# the database\ndb:\n    password: s3cr3t # rotate yearly\n    port: 5432\n"

// helm secrets encrypt gives what sv encrypt gives for the same rule,
// sv_encrypt_comments included (it once left comments in plaintext).
func TestHelmEncryptAsEncrypt(t *testing.T) {
	keyFile, r := helmKeyFile(t)
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)
	dir := t.TempDir()
	t.Chdir(dir)
	cfg := "creation_rules:\n  - path_regex: \\.yaml$\n    age: " + r + "\n    sv_encrypt_comments: true\n"
	if err := os.WriteFile(".sops.yaml", []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("values.yaml", []byte(helmPlain), 0o644); err != nil {
		t.Fatal(err)
	}
	fa, err := helmplugin.ParseFileArgs("encrypt", []string{"values.yaml"}, helmplugin.BackendArgs{})
	if err != nil {
		t.Fatal(err)
	}
	keys := NewKeys(KeyEnv{})
	res, err := HelmEncrypt(fa, "", keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"s3cr3t", "the database", "rotate yearly", "5432"} {
		if bytes.Contains(res.Out, []byte(s)) {
			t.Errorf("helm encrypt left %q in plaintext:\n%s", s, res.Out)
		}
	}
	want, err := Encrypt("values.yaml", EncryptOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if res.Encrypted != want.Encrypted || res.Plan.EncryptComments != want.Plan.EncryptComments || strings.Count(string(res.Out), "ENC[") != strings.Count(string(want.Out), "ENC[") {
		t.Errorf("helm encrypt: %d values, %d ENC, comments %v; sv encrypt: %d, %d, %v", res.Encrypted, strings.Count(string(res.Out), "ENC["), res.Plan.EncryptComments,
			want.Encrypted, strings.Count(string(want.Out), "ENC["), want.Plan.EncryptComments)
	}
	dec, err := Decrypt("values.yaml", res.Out, DecryptOptions{Keys: keys})
	if err != nil || string(dec.Text) != helmPlain {
		t.Errorf("round trip: %v\n%s", err, dec.Text)
	}

	// The backend's --age (and SOPS_AGE_RECIPIENTS) come before the rule.
	_, other := helmKeyFile(t)
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)
	fa, err = helmplugin.ParseFileArgs("encrypt", []string{"values.yaml"}, helmplugin.BackendArgs{Age: []string{other}})
	if err != nil {
		t.Fatal(err)
	}
	res, err = HelmEncrypt(fa, "", keys)
	if err != nil || !bytes.Contains(res.Out, []byte(other)) || bytes.Contains(res.Out, []byte(r)) {
		t.Errorf("--age of the backend not used: %v", err)
	}
}

func TestHelmDecrypt(t *testing.T) {
	keyFile, r := helmKeyFile(t)
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)
	dir := helmValues(t, r)
	decrypt := func(args ...string) (*HelmText, error) {
		t.Helper()
		fa, err := helmplugin.ParseFileArgs("decrypt", args, helmplugin.BackendArgs{})
		if err != nil {
			t.Fatal(err)
		}
		return HelmDecrypt(fa, HelmOptions{Settings: helmplugin.Settings{Policy: helmplugin.DefaultPolicy()}})
	}

	text, err := decrypt("values.yaml")
	if err != nil || string(text.Text) != helmPlain || !text.Decrypted || text.Remote || text.Metadata == nil {
		t.Fatalf("local: %v, %+v", err, text)
	}
	if text, err = decrypt("--extract", "db.port", "values.yaml"); err != nil || string(text.Text) != "5432\n" {
		t.Errorf("--extract: %v, %q", err, text.Text)
	}
	if text, err = decrypt("--output-type", "json", "values.yaml"); err != nil || !strings.Contains(string(text.Text), `"password": "s3cr3t"`) {
		t.Errorf("--output-type json: %v, %s", err, text.Text)
	}
	if _, err = decrypt("plain.yaml"); !errors.Is(err, yamlwalk.ErrNotEncrypted) {
		t.Errorf("plaintext file: %v", err)
	}
	// A failure keeps Src, for explaining a MAC mismatch.
	enc, err := os.ReadFile("values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(enc, []byte("mac: ENC[AES256_GCM,data:"), []byte("mac: ENC[AES256_GCM,data:AA"), 1)
	if err := os.WriteFile("tampered.yaml", tampered, 0o644); err != nil {
		t.Fatal(err)
	}
	if text, err = decrypt("tampered.yaml"); err == nil || text == nil || !bytes.Equal(text.Src, tampered) {
		t.Errorf("tampered: %v, %v", err, text)
	}

	// A URL is fetched in memory and named without its credentials.
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	url := strings.Replace(srv.URL, "http://", "http://user:pa55@", 1)
	if text, err = decrypt(url + "/values.yaml"); err != nil || string(text.Text) != helmPlain || !text.Remote {
		t.Errorf("URL: %v, %+v", err, text)
	}
	_, err = decrypt(url + "/plain.yaml")
	if !errors.Is(err, yamlwalk.ErrNotEncrypted) || strings.Contains(err.Error(), "pa55") || !strings.Contains(err.Error(), "plain.yaml") {
		t.Errorf("plaintext URL: %v", err)
	}
}

func TestHelmFetch(t *testing.T) {
	keyFile, r := helmKeyFile(t)
	helmValues(t, r)
	o := HelmOptions{Settings: helmplugin.Settings{Policy: helmplugin.DefaultPolicy()}}

	// No identity in the environment: secrets:// fails naming the file,
	// secrets+age-import:// brings its own key file.
	if _, err := HelmFetch("secrets://values.yaml", o); err == nil || !strings.HasPrefix(err.Error(), "values.yaml: ") {
		t.Errorf("without a key: %v", err)
	}
	text, err := HelmFetch("secrets+age-import://"+keyFile+"?values.yaml", o)
	if err != nil || string(text.Text) != helmPlain || !text.Decrypted || text.Name != "values.yaml" {
		t.Errorf("age-import: %v, %+v", err, text)
	}
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)
	if text, err = HelmFetch("secrets://values.yaml", o); err != nil || string(text.Text) != helmPlain {
		t.Errorf("secrets://: %v, %+v", err, text)
	}
	// A plaintext file is passed on byte for byte, nothing decrypted.
	if text, err = HelmFetch("secrets://plain.yaml", o); err != nil || string(text.Text) != helmPlain || text.Decrypted {
		t.Errorf("plaintext: %v, %+v", err, text)
	}
}
