package secretfile

import (
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
)

// isolatedIdentity writes a new age identity to dir/keys.txt and isolates
// the test from the machine's keys and configuration: sops's key and
// config variables cleared, HOME and XDG_CONFIG_HOME set to dir. It
// returns the key file and the identity's recipient.
func isolatedIdentity(t testing.TB, dir string) (keyFile, recipient string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	keyFile = filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"SOPS_AGE_KEY", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", "SOPS_AGE_KEY_FILE", "SOPS_CONFIG", "SOPS_AGE_RECIPIENTS"} {
		t.Setenv(v, "")
	}
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", dir)
	return keyFile, id.Recipient().String()
}
