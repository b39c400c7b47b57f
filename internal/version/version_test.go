package version

import (
	"strconv"
	"strings"
	"testing"
)

// TestHelmSecretsVersion: tools decide by the secrets plugin's version how
// to treat it. helmfile (v1.8.0) runs 'helm secrets decrypt' from major
// version 4 on, and 'helmfile init' replaces a secrets plugin older than
// 4.7.4 with helm-secrets from GitHub.
func TestHelmSecretsVersion(t *testing.T) {
	parts := strings.Split(HelmSecrets, ".")
	if len(parts) != 3 {
		t.Fatalf("HelmSecrets %q is not MAJOR.MINOR.PATCH", HelmSecrets)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("HelmSecrets %q: %v", HelmSecrets, err)
		}
		n[i] = v
	}
	if n[0] != 4 {
		t.Errorf("HelmSecrets %q: major version must be 4 (helmfile's protocol switch)", HelmSecrets)
	}
	if n[0] == 4 && (n[1] < 7 || n[1] == 7 && n[2] < 4) {
		t.Errorf("HelmSecrets %q is below 4.7.4: helmfile init would replace sv's plugin", HelmSecrets)
	}
	if got, want := Plugin(), HelmSecrets+"+sv."+Version; got != want {
		t.Errorf("Plugin() = %q, want %q", got, want)
	}
}
