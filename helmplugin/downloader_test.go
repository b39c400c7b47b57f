package helmplugin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recordingDecrypter stands in for the core in these grammar and policy
// tests; the real decryption through Helm is tested in the testscripts and
// in TestHelm3Getter.
type recordingDecrypter struct {
	name, keyFile string
	calls         int
}

func (r *recordingDecrypter) decrypt(name string, src []byte, keyFile string) ([]byte, error) {
	r.name, r.keyFile = name, keyFile
	r.calls++
	return []byte("plain of " + name), nil
}

func TestFetch(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("enc.yaml", []byte(sopsFile), 0o644)
	os.WriteFile("plain.yaml", []byte("a: 1\n# no trailing newline"), 0o644)
	os.Mkdir("sub", 0o755)
	os.WriteFile("sub/enc.yaml", []byte(sopsFile), 0o644)
	os.WriteFile("k.txt", []byte("# a key file\n"), 0o600)

	tests := []struct {
		href, want, name, keyFile string
	}{
		{"secrets://enc.yaml", "plain of enc.yaml", "enc.yaml", ""},
		{"secrets://plain.yaml", "a: 1\n# no trailing newline", "", ""},
		{"secrets://?missing.yaml", "", "", ""},
		{"secrets://sub/../enc.yaml", "plain of sub/../enc.yaml", "sub/../enc.yaml", ""},
		{"secrets://" + filepath.Join(dir, "enc.yaml"), "plain of " + filepath.Join(dir, "enc.yaml"), filepath.Join(dir, "enc.yaml"), ""},
		{"secrets+age-import://k.txt?sub/enc.yaml", "plain of sub/enc.yaml", "sub/enc.yaml", filepath.Join(dir, "k.txt")},
		{"secrets+literal://just text", "just text", "", ""},
		{"secrets+literal://" + sopsFile, "plain of secrets+literal value", "secrets+literal value", ""},
	}
	for _, tt := range tests {
		r := &recordingDecrypter{}
		got, err := Fetch(tt.href, DefaultPolicy(), r.decrypt)
		if err != nil {
			t.Errorf("Fetch(%q): %v", tt.href, err)
			continue
		}
		if string(got) != tt.want || r.name != tt.name || r.keyFile != tt.keyFile {
			t.Errorf("Fetch(%q) = %q (decrypt %q key %q), want %q (%q, %q)", tt.href, got, r.name, r.keyFile, tt.want, tt.name, tt.keyFile)
		}
	}

	// Errors name the file; a decrypter's error is returned as it is.
	r := &recordingDecrypter{}
	for href, want := range map[string]string{
		"secrets://missing.yaml":                  "missing.yaml: no such file",
		"secrets://sub":                           "sub: is a directory",
		"secrets+gpg-import://k.asc?enc.yaml":     `secrets+gpg-import://k.asc?enc.yaml: protocol "secrets+gpg-import" is not supported`,
		"secrets+age-import://enc.yaml":           "secrets+age-import://enc.yaml: secrets+age-import:// needs KEYFILE?FILE",
		"nope://enc.yaml":                         `unknown protocol "nope"`,
		"secrets+literal://vals!ref+vault://pw-1": `backend "vals" is not supported`,
	} {
		_, err := Fetch(href, DefaultPolicy(), r.decrypt)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Fetch(%q) error = %v, want %q", href, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "pw-1") {
			t.Errorf("Fetch(%q) error shows the literal: %v", href, err)
		}
	}
	if r.calls != 0 {
		t.Errorf("decrypter called %d times for failing URLs", r.calls)
	}
	boom := errors.New("enc.yaml: boom")
	if _, err := Fetch("secrets://enc.yaml", DefaultPolicy(), func(string, []byte, string) ([]byte, error) { return nil, boom }); err != boom {
		t.Errorf("decrypter error = %v", err)
	}
}

func TestFetchPolicy(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("enc.yaml", []byte(sopsFile), 0o644)
	os.Symlink("enc.yaml", "link.yaml")
	os.Mkdir("keys", 0o700)
	os.WriteFile("keys/k.txt", []byte("# a key file\n"), 0o600)
	os.WriteFile("k.txt", []byte("# a key file\n"), 0o600)
	env := map[string]string{
		"HELM_SECRETS_VALUES_ALLOW_SYMLINKS":       "false",
		"HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH":  "False",
		"HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL": "false",
		"HELM_SECRETS_ALLOW_AGE_IMPORT":            "true",
		"HELM_SECRETS_KEY_LOCATION_PREFIX":         dir + "/keys/",
	}
	p := PolicyFromEnv(func(k string) string { return env[k] })
	if p.AllowSymlinks || p.AllowAbsolutePath || p.AllowPathTraversal || !p.AllowAgeImport || p.KeyLocationPrefix != dir+"/keys/" {
		t.Fatalf("PolicyFromEnv = %+v", p)
	}
	r := &recordingDecrypter{}
	for href, want := range map[string]string{
		"secrets://link.yaml":                         "link.yaml: symlinks are not allowed here",
		"secrets://" + filepath.Join(dir, "enc.yaml"): "absolute paths are not allowed here",
		"secrets://sub/../enc.yaml":                   "paths with .. are not allowed here",
		"secrets+age-import://k.txt?enc.yaml":         "enc.yaml: key location k.txt is not allowed",
		"secrets+age-import://keys/../k.txt?enc.yaml": "enc.yaml: key location keys/../k.txt is not allowed",
	} {
		if _, err := Fetch(href, p, r.decrypt); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Fetch(%q) error = %v, want %q", href, err, want)
		}
	}
	if _, err := Fetch("secrets+age-import://keys/k.txt?enc.yaml", p, r.decrypt); err != nil {
		t.Errorf("allowed key location: %v", err)
	}
	if _, err := Fetch("secrets://enc.yaml", p, r.decrypt); err != nil {
		t.Errorf("plain relative path: %v", err)
	}
	p.AllowAgeImport = false
	if _, err := Fetch("secrets+age-import://keys/k.txt?enc.yaml", p, r.decrypt); err == nil || !strings.Contains(err.Error(), "HELM_SECRETS_ALLOW_AGE_IMPORT is not") {
		t.Errorf("age import forbidden: %v", err)
	}
	if d := PolicyFromEnv(func(string) string { return "" }); d != DefaultPolicy() {
		t.Errorf("empty env policy = %+v", d)
	}
}
