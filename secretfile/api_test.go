package secretfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
)

func recipient(t *testing.T) string {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String()
}

// planRecipient is the one recipient a plan encrypts to.
func planRecipient(t *testing.T, p *Plan) string {
	t.Helper()
	if len(p.KeyGroups) != 1 || len(p.KeyGroups[0]) != 1 {
		t.Fatalf("plan has %d key groups, want one recipient", len(p.KeyGroups))
	}
	return p.KeyGroups[0][0].String
}

func TestResolveRulePrecedence(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("SOPS_CONFIG", "")
	fromConfig, fromEnv, fromFlag := recipient(t), recipient(t), recipient(t)
	cfg := "creation_rules:\n  - path_regex: \\.yaml$\n    encrypted_regex: ^pass\n    age: " + fromConfig + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	p, err := ResolveRule("values.yaml", RuleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := planRecipient(t, p); got != fromConfig {
		t.Errorf("config only: recipient %s, want the rule's", got)
	}
	if p.Rule == nil || p.Rules.EncryptedRegex != "^pass" {
		t.Errorf("config only: rule %v, selection %+v, want the rule's", p.Rule, p.Rules)
	}

	p, err = ResolveRule("values.yaml", RuleOptions{EnvRecipients: fromEnv})
	if err != nil {
		t.Fatal(err)
	}
	if got := planRecipient(t, p); got != fromEnv {
		t.Errorf("env over config: recipient %s, want SOPS_AGE_RECIPIENTS'", got)
	}
	if p.Rules.EncryptedRegex != "^pass" {
		t.Errorf("env over config: the rule's selection is lost: %+v", p.Rules)
	}

	sel := yamlwalk.Rules{UnencryptedSuffix: "_plain"}
	mac := true
	p, err = ResolveRule("values.yaml", RuleOptions{Recipients: []string{fromFlag}, EnvRecipients: fromEnv, Selection: &sel, MACOnlyEncrypted: &mac})
	if err != nil {
		t.Fatal(err)
	}
	if got := planRecipient(t, p); got != fromFlag {
		t.Errorf("flag over env: recipient %s, want --age's", got)
	}
	if p.Rules != (yamlwalk.Rules{UnencryptedSuffix: "_plain", MACOnlyEncrypted: true}) {
		t.Errorf("selection flags: %+v, want them to replace the rule's", p.Rules)
	}

	// Without recipients, a file no rule matches is an error; with them
	// it is not.
	var nr *sopsconfig.ErrNoRule
	if _, err := ResolveRule("values.json", RuleOptions{}); !errors.As(err, &nr) {
		t.Errorf("no rule matches: %v, want *sopsconfig.ErrNoRule", err)
	}
	if _, err := ResolveRule("values.json", RuleOptions{EnvRecipients: fromEnv}); err != nil {
		t.Errorf("no rule matches, env recipients: %v", err)
	}
}

func TestResolveRuleNoConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("SOPS_CONFIG", "")
	if _, err := ResolveRule("values.yaml", RuleOptions{}); !errors.Is(err, sopsconfig.ErrNotFound) {
		t.Errorf("no .sops.yaml, no recipients: %v, want sopsconfig.ErrNotFound", err)
	}
	r := recipient(t)
	p, err := ResolveRule("values.yaml", RuleOptions{Recipients: []string{r}})
	if err != nil || planRecipient(t, p) != r || p.Rule != nil {
		t.Errorf("no .sops.yaml, --age: %v, %+v", err, p)
	}
	if _, err := LoadConfig("", true); !errors.Is(err, sopsconfig.ErrNotFound) {
		t.Errorf("LoadConfig required: %v, want sopsconfig.ErrNotFound", err)
	}
	if cfg, err := LoadConfig("", false); cfg != nil || err != nil {
		t.Errorf("LoadConfig optional: %v, %v, want nil, nil", cfg, err)
	}
}

func TestReplaceGuard(t *testing.T) {
	file := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(file, []byte("a: 1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := Replace(file, []byte("a: 1\n"), []byte("a: 2\n"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	if string(b) != "a: 2\n" {
		t.Fatalf("after Replace: %q", b)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o640 {
		t.Errorf("Replace changed the mode to %v", fi.Mode().Perm())
	}
	// Someone else wrote the file since it was read as "a: 1".
	var ce *ChangedError
	if err := Replace(file, []byte("a: 1\n"), []byte("a: 3\n"), WriteOptions{}); !errors.As(err, &ce) || ce.File != file || ce.Created {
		t.Errorf("Replace of a changed file: %v, want *ChangedError", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "a: 2\n" {
		t.Errorf("Replace of a changed file wrote it: %q", b)
	}
	if err := Create(file, []byte("x"), 0o600); !errors.As(err, &ce) || !ce.Created {
		t.Errorf("Create over an existing file: %v, want *ChangedError (Created)", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("Read of a missing file: no error")
	}
}

func TestFormatOf(t *testing.T) {
	for _, c := range []struct {
		file, src string
		as, want  Format
	}{
		{"values.yaml", "not: [yaml", FormatAuto, FormatYAML},
		{"values.YML", "", FormatAuto, FormatYAML},
		{"values.json", `{"a": 1}`, FormatAuto, FormatJSON},
		{"app.env", "A=1\n", FormatAuto, FormatDotenv},
		{"app.ini", "[s]\na = 1\n", FormatAuto, FormatINI},
		// Other extensions: YAML when the content is a YAML mapping.
		{"values.prod", "db:\n  password: x\n", FormatAuto, FormatYAML},
		{"values.yaml.gotmpl", "image: repo/app\n", FormatAuto, FormatYAML},
		// A template whose value reads as a mapping with a mapping for a
		// key is not YAML sv can encrypt.
		{"values.yaml.gotmpl", "image: {{ .Values.image }}\n", FormatAuto, FormatBinary},
		{"tls.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n", FormatAuto, FormatBinary},
		// Explicit wins.
		{"values.yaml", "a: 1\n", FormatBinary, FormatBinary},
	} {
		if got := FormatOf(c.file, []byte(c.src), c.as); got != c.want {
			t.Errorf("FormatOf(%s, %q, %q) = %q, want %q", c.file, c.src, c.as, got, c.want)
		}
	}
	var fe *FormatError
	if _, err := ParseFormat("toml"); !errors.As(err, &fe) || fe.Hint == "" {
		t.Errorf("ParseFormat(toml): %v, want *FormatError with a hint", err)
	}
	if out, err := Convert([]byte("a: 1\n"), FormatYAML, FormatJSON); err != nil || string(out) != "{\n\t\"a\": 1\n}\n" {
		t.Errorf("Convert(yaml, json): %q %v", out, err)
	}
	var ce *ConvertError
	if _, err := Convert([]byte("a: {b: 1}\n"), FormatYAML, FormatDotenv); !errors.As(err, &ce) || ce.Path != "a" {
		t.Errorf("Convert(yaml, dotenv) of a mapping: %v, want *ConvertError at a", err)
	}
}

func TestKeysLoadOnce(t *testing.T) {
	dir := t.TempDir()
	keyFile, _ := isolatedIdentity(t, dir)
	k := NewKeys(KeyEnv{KeyFile: keyFile})
	a, err := k.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(keyFile)
	if b, err := k.Keyring(); err != nil || b != a {
		t.Errorf("second Keyring: %v, %p, want the first (%p)", err, b, a)
	}
}
