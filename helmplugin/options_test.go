package helmplugin

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sv-secrets/sv/yamlwalk"
)

func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		env     Env
		rest    []string
		version bool
	}{
		{[]string{"template", "x"}, Env{}, []string{"template", "x"}, false},
		{[]string{"-q", "-b", "sops", "template"}, Env{"HELM_SECRETS_QUIET": "true", "HELM_SECRETS_BACKEND": "sops", "HELM_SECRETS_DRIVER": ""}, []string{"template"}, false},
		{[]string{"--backend=sops", "lint"}, Env{"HELM_SECRETS_BACKEND": "sops", "HELM_SECRETS_DRIVER": ""}, []string{"lint"}, false},
		{[]string{"-a", "--ignore-mac", "template"}, Env{"HELM_SECRETS_BACKEND_ARGS": "--ignore-mac", "HELM_SECRETS_DRIVER_ARGS": ""}, []string{"template"}, false},
		{[]string{"--backend-args=--verbose --ignore-mac", "x"}, Env{"HELM_SECRETS_BACKEND_ARGS": "--verbose --ignore-mac", "HELM_SECRETS_DRIVER_ARGS": ""}, []string{"x"}, false},
		// a boolean option takes "true"/"false" as its value, nothing else
		{[]string{"--ignore-missing-values", "template"}, Env{"HELM_SECRETS_IGNORE_MISSING_VALUES": "true"}, []string{"template"}, false},
		{[]string{"--ignore-missing-values", "false", "template"}, Env{"HELM_SECRETS_IGNORE_MISSING_VALUES": "false"}, []string{"template"}, false},
		{[]string{"--skip-decrypt=true", "template"}, Env{"HELM_SECRETS_SKIP_DECRYPT": "true"}, []string{"template"}, false},
		{[]string{"--decrypt-secrets-in-tmp-dir", "false", "template"}, Env{}, []string{"template"}, false},
		{[]string{"--evaluate-templates=false", "template"}, Env{}, []string{"template"}, false},
		{[]string{"-h", "--bogus"}, Env{}, []string{"help"}, false},
		{[]string{"-q", "--version", "--bogus"}, Env{"HELM_SECRETS_QUIET": "true"}, nil, true},
		{nil, Env{}, nil, false},
	} {
		inv, err := ParseOptions(tc.args)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if !reflect.DeepEqual(inv.Env, tc.env) || !reflect.DeepEqual(inv.Args, tc.rest) || inv.Version != tc.version {
			t.Errorf("%q: got env %v args %q version %v, want %v %q %v", tc.args, inv.Env, inv.Args, inv.Version, tc.env, tc.rest, tc.version)
		}
	}
}

func TestParseOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		msg         string
		unsupported bool
	}{
		{[]string{"--bogus", "template"}, "unknown helm secrets option --bogus", false},
		{[]string{"-b"}, "-b needs a value", false},
		{[]string{"--ignore-missing-values=maybe"}, `--ignore-missing-values: want true or false, got "maybe"`, false},
		{[]string{"-b", "vals", "template"}, `secret backend "vals" (-b) is not supported by sv: sv is a sops backend for age keys; use sops (or leave it unset)`, true},
		{[]string{"--evaluate-templates", "template"}, "--evaluate-templates is not supported by sv: " + ValsOnly, true},
	} {
		_, err := ParseOptions(tc.args)
		var oe *OptionError
		var ue *UnsupportedError
		switch {
		case err == nil:
			t.Errorf("%q: no error", tc.args)
		case err.Error() != tc.msg:
			t.Errorf("%q: error %q, want %q", tc.args, err, tc.msg)
		case tc.unsupported && !errors.As(err, &ue), !tc.unsupported && !errors.As(err, &oe):
			t.Errorf("%q: error of type %T", tc.args, err)
		}
	}
}

func TestParseFileArgs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("SOPS_CONFIG", "")
	if err := os.MkdirAll("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("sub", ".sops.yaml"), []byte("creation_rules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nearest := filepath.Join(dir, "sub", ".sops.yaml")

	// encrypt: the backend's recipients first, --age lists split; the
	// .sops.yaml nearest to FILE unless --config or the backend names one.
	fa, err := ParseFileArgs("encrypt", []string{"--age", "r2, r3", "-a=r4", "-i", "--encrypted-regex", "^pass", "--mac-only-encrypted", "sub/x.yaml"}, BackendArgs{Age: []string{"r1"}, IgnoreMAC: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"r1", "r2", "r3", "r4"}; !reflect.DeepEqual(fa.Age, want) {
		t.Errorf("age %q, want %q", fa.Age, want)
	}
	if !fa.InPlace || !fa.IgnoreMAC || fa.File != "sub/x.yaml" {
		t.Errorf("got %+v", fa)
	}
	if real, _ := filepath.EvalSymlinks(fa.Config); real != nearest && fa.Config != nearest {
		t.Errorf("config %q, want %q", fa.Config, nearest)
	}
	if fa.Selection == nil || *fa.Selection != (yamlwalk.Rules{EncryptedRegex: "^pass"}) {
		t.Errorf("selection %+v", fa.Selection)
	}
	if fa.MACOnlyEncrypted == nil || !*fa.MACOnlyEncrypted {
		t.Errorf("mac-only-encrypted %v", fa.MACOnlyEncrypted)
	}
	fa, err = ParseFileArgs("encrypt", []string{"sub/x.yaml"}, BackendArgs{Config: "b.yaml"})
	if err != nil || fa.Config != "b.yaml" || fa.Selection != nil || fa.Age != nil {
		t.Errorf("backend config: %+v, %v", fa, err)
	}
	fa, err = ParseFileArgs("edit", []string{"--config=c.yaml", "sub/x.yaml"}, BackendArgs{Config: "b.yaml"})
	if err != nil || fa.Config != "c.yaml" {
		t.Errorf("--config: %+v, %v", fa, err)
	}

	// decrypt: FILE is the first argument that is not an option; what
	// follows is ignored (helmfile appends its args); no rule lookup.
	fa, err = ParseFileArgs("decrypt", []string{"--terraform", "-o", "out.yaml", "--extract", "a.b", "sub/x.yaml", "--values=secrets://y.yaml"}, BackendArgs{})
	if err != nil {
		t.Fatal(err)
	}
	if !fa.Terraform || fa.Output != "out.yaml" || fa.Extract != "a.b" || fa.File != "sub/x.yaml" || fa.Config != "" {
		t.Errorf("decrypt: %+v", fa)
	}
	for _, args := range [][]string{{"-h"}, {"--help", "x"}, {"help"}} {
		if fa, err := ParseFileArgs("decrypt", args, BackendArgs{}); err != nil || !fa.Help {
			t.Errorf("%q: not help: %+v, %v", args, fa, err)
		}
	}

	for _, tc := range []struct {
		cmd  string
		args []string
		msg  string
	}{
		{"decrypt", nil, "decrypt needs a FILE"},
		{"encrypt", []string{"a", "b"}, "encrypt needs exactly one FILE"},
		{"encrypt", []string{"a", "--age", "r"}, "encrypt needs exactly one FILE"},
		{"edit", []string{"-i", "a"}, "flag provided but not defined: -i"},
		{"decrypt", []string{"--age", "r", "a"}, "flag provided but not defined: -age"},
		{"decrypt", []string{"-i", "-o", "x", "a"}, "--in-place and --output cannot be used together"},
		{"decrypt", []string{"-i", "--extract", "x", "a"}, "--extract and --in-place cannot be used together"},
		{"decrypt", []string{"-i", "--terraform", "a"}, "decrypt -i works on a local file only, without --terraform"},
		{"decrypt", []string{"-i", "https://example.com/a.yaml"}, "decrypt -i works on a local file only, without --terraform"},
		{"encrypt", []string{"--mac-only-encrypted=maybe", "a"}, `invalid boolean value "maybe" for -mac-only-encrypted: parse error`},
	} {
		_, err := ParseFileArgs(tc.cmd, tc.args, BackendArgs{})
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Msg != tc.msg {
			t.Errorf("%s %q: error %v, want %q", tc.cmd, tc.args, err, tc.msg)
		}
	}
}

func TestHelmBinary(t *testing.T) {
	t.Setenv("HELM_SECRETS_HELM_PATH", "")
	t.Setenv("HELM_BIN", "")
	if got := HelmBinary(""); got != "helm" {
		t.Errorf("default %q", got)
	}
	t.Setenv("HELM_BIN", "/b/helm")
	if got := HelmBinary(""); got != "/b/helm" {
		t.Errorf("HELM_BIN: %q", got)
	}
	t.Setenv("HELM_SECRETS_HELM_PATH", "/p/helm")
	if got := HelmBinary(""); got != "/p/helm" {
		t.Errorf("HELM_SECRETS_HELM_PATH: %q", got)
	}
	if got := HelmBinary("/x/helm"); got != "/x/helm" {
		t.Errorf("explicit: %q", got)
	}
}

func TestEnvOverlay(t *testing.T) {
	t.Setenv("SV_TEST_OVERLAY", "outer")
	e := Env{"SV_TEST_OVERLAY": "inner"}
	if got := e.Getenv("SV_TEST_OVERLAY"); got != "inner" {
		t.Errorf("Getenv %q", got)
	}
	env := e.Environ()
	if env[len(env)-1] != "SV_TEST_OVERLAY=inner" {
		t.Errorf("Environ does not end with the overlay: %q", env[len(env)-1])
	}
}
