package crypt

import (
	"strings"

	"github.com/sv-secrets/sv/internal/safetext"
)

// ShortRecipient is the one way sv shows a recipient in a line of output
// (status, check, updatekeys, log, textconv, warnings): an ssh key without
// its comment, anything longer than 120 characters as its first 20 and
// last 8 characters around "…", and characters a terminal would act on
// escaped (a recipient comes from a file anyone can change). Classic,
// plugin (YubiKey, tag) and ssh-ed25519 recipients stay whole, to compare
// with .sops.yaml; post-quantum age recipients (about 2,000 characters) and
// ssh-rsa keys are shortened.
func ShortRecipient(r string) string {
	r = strings.TrimSpace(r)
	if f := strings.Fields(r); len(f) >= 2 && strings.HasPrefix(f[0], "ssh-") {
		r = f[0] + " " + f[1]
	}
	if len(r) > 120 {
		r = r[:20] + "…" + r[len(r)-8:]
	}
	return safetext.Terminal(r)
}
