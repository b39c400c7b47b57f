package helmplugin

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPolicyFailsClosed(t *testing.T) {
	for _, v := range []string{"false", "False", "0", "no", "TRUE", " true"} {
		p := PolicyFromEnv(envOf(map[string]string{
			"HELM_SECRETS_VALUES_ALLOW_SYMLINKS":       v,
			"HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH":  v,
			"HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL": v,
			"HELM_SECRETS_ALLOW_AGE_IMPORT":            v,
		}))
		if p.AllowSymlinks || p.AllowAbsolutePath || p.AllowPathTraversal || p.AllowAgeImport {
			t.Errorf("%q allows: %+v", v, p)
		}
	}
	p := PolicyFromEnv(envOf(map[string]string{"HELM_SECRETS_ALLOW_AGE_IMPORT": "true", "HELM_SECRETS_VALUES_ALLOW_SYMLINKS": ""}))
	if !p.AllowAgeImport || !p.AllowSymlinks || !p.AllowAbsolutePath {
		t.Errorf("true/unset should allow: %+v", p)
	}
}

func TestSettingsFromEnv(t *testing.T) {
	s, err := SettingsFromEnv(envOf(map[string]string{
		"HELM_SECRETS_BACKEND":                "sops",
		"HELM_SECRETS_IGNORE_MISSING_VALUES":  "true",
		"HELM_SECRETS_URL_VARIABLE_EXPANSION": "true",
		"HELM_SECRETS_BACKEND_ARGS":           `--ignore-mac --config "my dir/.sops.yaml"`,
		"SV_HELM_HTTP_TIMEOUT":                "2s",
		"HELM_SECRETS_ALLOWED_BACKENDS":       "vals,sops",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !s.IgnoreMissing || !s.URLExpansion || s.SkipDecrypt || !s.Backend.IgnoreMAC || s.Backend.Config != "my dir/.sops.yaml" || s.HTTPTimeout != 2*time.Second || s.MaxSize != DefaultMaxSize {
		t.Errorf("settings = %+v", s)
	}
	if s.DenyRemote {
		t.Error("remote denied by default")
	}
	if s, _ := SettingsFromEnv(envOf(map[string]string{"SV_HELM_ALLOW_REMOTE": "0"})); !s.DenyRemote {
		t.Error("SV_HELM_ALLOW_REMOTE=0 allows")
	}
	if s, _ := SettingsFromEnv(envOf(map[string]string{"HELM_SECRETS_IGNORE_MISSING_VALUES": "1"})); s.IgnoreMissing {
		t.Error("IGNORE_MISSING_VALUES=1 turned it on")
	}
	for env, want := range map[string]string{
		"HELM_SECRETS_BACKEND=vals":          `secret backend "vals" (HELM_SECRETS_BACKEND) is not supported by sv`,
		"HELM_SECRETS_BACKEND=noop":          `secret backend "noop"`,
		"HELM_SECRETS_DRIVER=/x/custom.sh":   `secret backend "/x/custom.sh" (HELM_SECRETS_DRIVER)`,
		"HELM_SECRETS_ALLOWED_BACKENDS=vals": "does not allow sops",
		"HELM_SECRETS_LOAD_GPG_KEYS=/k.asc":  "HELM_SECRETS_LOAD_GPG_KEYS is not supported by sv",
		"HELM_SECRETS_BACKEND_ARGS=--pgp x":  `backend argument "--pgp" is not supported by sv`,
		"SV_HELM_HTTP_TIMEOUT=soon":          "not a duration",
	} {
		k, v, _ := strings.Cut(env, "=")
		_, err := SettingsFromEnv(envOf(map[string]string{k: v}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error = %v, want %q", env, err, want)
		}
	}
	var ue *UnsupportedError
	if _, err := SettingsFromEnv(envOf(map[string]string{"HELM_SECRETS_BACKEND": "vals"})); !errors.As(err, &ue) {
		t.Errorf("backend error is %T", err)
	}
}

func TestParseBackendArgs(t *testing.T) {
	for in, want := range map[string]BackendArgs{
		"":                                 {},
		"--verbose":                        {Verbose: true},
		`--verbose --output-type "yaml"`:   {Verbose: true},
		"--ignore-mac --input-type=yaml":   {IgnoreMAC: true},
		"--config=a.yaml --age age1x":      {Config: "a.yaml", Age: []string{"age1x"}},
		`--config 'with space/.sops.yaml'`: {Config: "with space/.sops.yaml"},
	} {
		got, err := ParseBackendArgs(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseBackendArgs(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"--kms arn":          `"--kms" is not supported by sv`,
		"--config":           `"--config" needs a value`,
		"--output-type json": `"--output-type json" is not supported`,
		"extra":              `"extra" is not a sops option`,
		`--config "unclosed`: "backend arguments",
	} {
		if _, err := ParseBackendArgs(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBackendArgs(%q) error = %v, want %q", in, err, want)
		}
	}
}

func TestSplitBackend(t *testing.T) {
	for in, want := range map[string]string{"sops!a.yaml": "a.yaml", "a!b.yaml": "a!b.yaml", "plain.yaml": "plain.yaml"} {
		if got, err := SplitBackend(in); err != nil || got != want {
			t.Errorf("SplitBackend(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := SplitBackend("vals!a.yaml"); err == nil {
		t.Error("vals! accepted")
	}
}
