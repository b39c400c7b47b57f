package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/safetext"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
)

// The sops: block is not covered by the MAC: anyone who can push can add a
// recipient entry. sv trusts recipients that come from .sops.yaml or from
// the command line, never the file's own list alone.

// fileRule returns the creation rule of the nearest .sops.yaml (or
// SOPS_CONFIG) that covers file, or nil when none does. Only a broken
// .sops.yaml is an error.
func fileRule(file string) (*sopsconfig.Rule, *sopsconfig.Config, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, nil, err
	}
	p, err := sopsconfig.Find(filepath.Dir(abs), "")
	if errors.Is(err, sopsconfig.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	cfg, err := sopsconfig.Load(p)
	if err != nil {
		return nil, nil, err
	}
	rule, err := cfg.Match(abs)
	if err != nil || len(rule.Recipients()) == 0 {
		return nil, cfg, nil
	}
	return rule, cfg, nil
}

// trustedRecipients filters a file's key groups for a command that hands
// out a data key (rotate): with a .sops.yaml rule covering the file, only
// the rule's recipients and those given on the command line (add) stay;
// the others are dropped, and each dropped one is named on w. Without a
// rule nothing can be checked: the file's recipients are kept and w says
// so. The kept recipients are listed either way.
func trustedRecipients(w io.Writer, file string, groups [][]string, add []string) ([][]string, error) {
	rule, _, err := fileRule(file)
	if err != nil {
		return nil, err
	}
	if rule == nil {
		warnf(w, "%s: no .sops.yaml rule covers it, so its recipients cannot be checked: the new data key goes to the recipients the file lists (anyone can add one to the sops block)", file)
		return groups, nil
	}
	ok := map[string]bool{}
	for _, r := range append(rule.Recipients(), add...) {
		ok[secretfile.NormRecipient(r)] = true
	}
	out := make([][]string, len(groups))
	for i, g := range groups {
		for _, r := range g {
			if ok[secretfile.NormRecipient(r)] {
				out[i] = append(out[i], r)
				continue
			}
			warnf(w, "%s: dropping recipient %s: neither %s nor --add-age names it (it does not get the new data key)", file, crypt.ShortRecipient(r), rule)
		}
		if len(g) > 0 && len(out[i]) == 0 {
			return nil, withHint(fmt.Errorf("no recipient of the file is named by %s or --add-age; nothing written", rule), "add the recipients to .sops.yaml (then 'sv updatekeys') or pass them with --add-age")
		}
	}
	return out, nil
}

// listRecipients names who gets a data key.
func listRecipients(w io.Writer, file string, groups [][]string) {
	var parts []string
	for _, g := range groups {
		var rs []string
		for _, r := range g {
			rs = append(rs, crypt.ShortRecipient(r))
		}
		parts = append(parts, strings.Join(rs, ", "))
	}
	fmt.Fprintf(w, "sv: %s: new data key for %s\n", file, strings.Join(parts, " | "))
}

// warnRecipientDrift warns when a file's recipients differ from those of
// the .sops.yaml rule that covers it (after a team change, or an entry
// added to the sops block by hand).
func warnRecipientDrift(w io.Writer, file string, m *yamlwalk.Metadata) {
	rule, _, err := fileRule(file)
	if err != nil || rule == nil || m == nil {
		return
	}
	if msg := recipientDiff(rule, m); msg != "" {
		warnf(w, "%s: %s (run 'sv check'; 'sv updatekeys %s' gives it the rule's)", file, safetext.Terminal(shortLine(msg)), file)
	}
}

func shortLine(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}
