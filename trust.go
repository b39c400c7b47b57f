package main

import (
	"io"
	"os"

	"github.com/sv-secrets/sv/internal/safetext"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/yamlwalk"
	"github.com/urfave/cli/v2"
)

// The sops: block is not covered by the MAC: anyone who can push can add a
// recipient entry. sv trusts recipients that come from .sops.yaml or from
// the command line, never the file's own list alone.

var ruleFlags = []cli.Flag{
	&cli.StringFlag{Name: "unencrypted-suffix", Usage: "leave values whose key (or an ancestor's) ends with `SUFFIX` in plaintext (default _unencrypted)"},
	&cli.StringFlag{Name: "encrypted-suffix", Usage: "encrypt only values whose key (or an ancestor's) ends with `SUFFIX`"},
	&cli.StringFlag{Name: "unencrypted-regex", Usage: "leave values whose key (or an ancestor's) matches `REGEX` in plaintext"},
	&cli.StringFlag{Name: "encrypted-regex", Usage: "encrypt only values whose key (or an ancestor's) matches `REGEX`"},
	&cli.StringFlag{Name: "unencrypted-comment-regex", Usage: "leave values after a comment matching `REGEX` in plaintext"},
	&cli.StringFlag{Name: "encrypted-comment-regex", Usage: "encrypt only values after a comment matching `REGEX`"},
	&cli.BoolFlag{Name: "mac-only-encrypted", Usage: "compute the MAC over encrypted values only, so plaintext values can be edited freely"},
}

// ruleOptions turns --age, --config, SOPS_AGE_RECIPIENTS and the
// selection flags (ruleFlags) into secretfile.ResolveRule's options: a
// selection flag replaces the rule's selection entirely.
func ruleOptions(c *cli.Context, keys *secretfile.Keys) secretfile.RuleOptions {
	o := secretfile.RuleOptions{Recipients: c.StringSlice("age"), EnvRecipients: os.Getenv("SOPS_AGE_RECIPIENTS"),
		Config: c.String("config"), Keys: keys}
	for _, n := range []string{"unencrypted-suffix", "encrypted-suffix", "unencrypted-regex", "encrypted-regex", "unencrypted-comment-regex", "encrypted-comment-regex"} {
		if c.IsSet(n) {
			o.Selection = &yamlwalk.Rules{
				UnencryptedSuffix: c.String("unencrypted-suffix"), EncryptedSuffix: c.String("encrypted-suffix"),
				UnencryptedRegex: c.String("unencrypted-regex"), EncryptedRegex: c.String("encrypted-regex"),
				UnencryptedCommentRegex: c.String("unencrypted-comment-regex"), EncryptedCommentRegex: c.String("encrypted-comment-regex"),
			}
		}
	}
	if c.IsSet("mac-only-encrypted") {
		mac := c.Bool("mac-only-encrypted")
		o.MACOnlyEncrypted = &mac
	}
	return o
}

// warnRecipientDrift warns when a file's recipients differ from those of
// the .sops.yaml rule that covers it (after a team change, or an entry
// added to the sops block by hand).
func warnRecipientDrift(w io.Writer, file string, m *yamlwalk.Metadata) {
	rule, d, err := secretfile.Drift(file, m)
	if err != nil || rule == nil || d.Match() {
		return
	}
	msg := secretfile.DescribeRuleDiff(rule, d)
	warnf(w, "%s: %s (run 'sv check'; 'sv updatekeys %s' gives it the rule's)", file, safetext.Terminal(shortLine(msg)), file)
}

func shortLine(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}
