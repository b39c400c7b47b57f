package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/sv-secrets/sv/helmplugin"
	"github.com/sv-secrets/sv/internal/child"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/urfave/cli/v2"
)

const helmHelp = `sv as the Helm "secrets" plugin (a drop-in for helm-secrets)

Usage:
  helm secrets [OPTIONS] <helm command> [args]
  helm secrets encrypt [-i] FILE              encrypt (prints the result; -i: in place)
  helm secrets decrypt [-i] [--terraform] FILE
                                              print the plaintext (-i: in place;
                                              --terraform: {"content_base64":"…"})
  helm secrets edit FILE                      edit the plaintext in $EDITOR, re-encrypt
  helm secrets view FILE                      print the plaintext
  helm secrets dir                            print the plugin directory
  helm secrets help | -h | --help             this text
  helm secrets -v | --version                 the plugin version

Any other command is run as helm <command> [args] with $HELM_SECRETS_HELM_PATH
(else $HELM_BIN, else helm on PATH). Every -f/--values file and --set-file
value that is SOPS-encrypted, and every http(s):// or other URL, is passed
on as a secrets:// URL, so Helm reads its plaintext from sv through a pipe:
no decrypted file is ever written. A leading ? makes a file optional.
Helm's output and exit code pass through. encrypt and edit use the
.sops.yaml nearest to FILE; OPTIONS apply to them too, and so do the
options of sv encrypt, sv decrypt and sv edit (e.g. decrypt --extract).

Options:
  -q, --quiet                         accepted (sv prints nothing in wrapper mode)
  -b, --backend sops                  the only backend sv has (env: HELM_SECRETS_BACKEND)
  -a, --backend-args ARGS             sops options sv understands: --ignore-mac,
                                      --verbose, --config FILE, --age RECIPIENTS,
                                      --input-type/--output-type yaml
                                      (env: HELM_SECRETS_BACKEND_ARGS)
  --ignore-missing-values [true|false]
                                      a missing values file counts as empty
                                      (env: HELM_SECRETS_IGNORE_MISSING_VALUES)
  --skip-decrypt [true|false]         pass encrypted files on as they are
                                      (env: HELM_SECRETS_SKIP_DECRYPT)
  --decrypt-secrets-in-tmp-dir [true|false]
                                      accepted (sv never writes decrypted files)

URLs for -f, --values and --set-file (with or without the wrapper):
  secrets://FILE                       FILE relative to the working directory
  secrets://?FILE                      empty if FILE does not exist
  secrets://https://HOST/FILE          fetched in memory (also http://; ${VAR}
                                       expanded with HELM_SECRETS_URL_VARIABLE_EXPANSION=true)
  secrets://SCHEME://…                 read through Helm's getter plugins (git+https://…)
  secrets+age-import://KEYFILE?FILE    decrypt with the age identities in KEYFILE
  secrets+literal://VALUE              VALUE itself, decrypted if encrypted

Keys come from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD,
SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh and ~/.config/sops/age/keys.txt.
Shared servers (Argo CD): HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH,
HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL, HELM_SECRETS_VALUES_ALLOW_SYMLINKS,
HELM_SECRETS_ALLOW_AGE_IMPORT (each allows only when "true"),
HELM_SECRETS_KEY_LOCATION_PREFIX. A file holding an age secret key is never
handed to Helm.
`

// helmCommandUsage is helm-secrets' usage of the wrapper, printed for
// `helm secrets template` and friends without arguments.
const helmCommandUsage = `helm secrets [ OPTIONS ] %s

This is a wrapper for "helm [command]". It will detect -f and
--values options, and decrypt any encrypted *.yaml files before running "helm
[command]".

Example:
  $ helm secrets <HELM SECRETS OPTIONS> upgrade <HELM UPGRADE OPTIONS>
  $ helm secrets <HELM SECRETS OPTIONS> lint <HELM LINT OPTIONS>

Typical usage:
  $ helm secrets upgrade i1 stable/nginx-ingress -f values.test.yaml -f secrets.test.yaml
  $ helm secrets lint ./my-chart -f values.test.yaml -f secrets.test.yaml
`

func helmCommand() *cli.Command {
	return &cli.Command{
		Name:      "helm",
		Usage:     "run helm with encrypted values files (what `helm secrets` runs)",
		ArgsUsage: "[OPTIONS] HELM-COMMAND [ARGS] | encrypt|decrypt|edit|view FILE | dir",
		Description: `The engine of the Helm "secrets" plugin that 'sv plugin install' sets
up; 'helm secrets ARGS' runs 'sv helm ARGS'. With a Helm command it runs
helm with the same arguments, except that encrypted -f/--values and
--set-file files (and URLs) become secrets:// URLs that Helm fetches from
sv's downloader, so no plaintext file is written. 'sv helm help' explains
the URL forms and options.

Example:
   sv helm template my-release ./chart -f values.yaml -f values.prod.yaml
   helm secrets upgrade --install my-release ./chart -f values.prod.yaml
   helm template my-release ./chart -f secrets://values.prod.yaml`,
		SkipFlagParsing: true,
		HideHelp:        true, // "help" and --help are helm secrets' own (helmHelp)
		Action:          helmAction,
	}
}

func helmAction(c *cli.Context) error {
	inv, err := helmplugin.ParseOptions(c.Args().Slice())
	if err != nil {
		return helmUsage(err)
	}
	w := c.App.Writer
	if inv.Version {
		_, err := fmt.Fprintln(w, helmplugin.PluginVersion)
		return err
	}
	args := inv.Args
	if len(args) == 0 {
		// helm-secrets prints its help and fails.
		io.WriteString(w, helmHelp)
		return &exitError{code: exitFailure}
	}
	if inv.Env.Getenv("HELM_SECRETS_EVALUATE_TEMPLATES") == "true" && args[0] != "downloader" {
		return &helmplugin.UnsupportedError{What: "HELM_SECRETS_EVALUATE_TEMPLATES=true", Hint: helmplugin.ValsOnly}
	}
	settings, err := helmplugin.SettingsFromEnv(inv.Env.Getenv)
	if args[0] == "downloader" {
		if err == nil {
			err = helmDownloader(c, settings, args[1:])
		}
		if err != nil {
			return oneLine(err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	switch args[0] {
	case "help":
		_, err := io.WriteString(w, helmHelp)
		return err
	case "dir":
		// Helm tells a plugin its directory in $HELM_PLUGIN_DIR.
		dir := os.Getenv("HELM_PLUGIN_DIR")
		if dir == "" {
			return errors.New("helm secrets dir: HELM_PLUGIN_DIR is not set (run it as 'helm secrets dir')")
		}
		_, err := fmt.Fprintln(w, dir)
		return err
	case "decrypt", "view", "terraform", "encrypt", "edit":
		return helmFileCommand(c, settings, args)
	case "post-renderer":
		return &helmplugin.UnsupportedError{What: "helm secrets post-renderer", Hint: helmplugin.ValsOnly}
	}
	if len(args) < 2 || args[1] == "-h" || args[1] == "--help" || args[1] == "help" {
		_, err := fmt.Fprintf(w, helmCommandUsage, args[0])
		return err
	}
	return helmWrap(c, inv.Env, settings, args)
}

// helmUsage is err in sv's voice: a wrong command line is a usage error.
func helmUsage(err error) error {
	var oe *helmplugin.OptionError
	if errors.As(err, &oe) {
		return &usageError{msg: oe.Msg, hint: oe.Hint}
	}
	return err
}

// helmFileCommand is helm-secrets' encrypt, decrypt (view, terraform) and
// edit of one FILE, with the options of -a/HELM_SECRETS_BACKEND_ARGS.
func helmFileCommand(c *cli.Context, s helmplugin.Settings, args []string) error {
	name := args[0]
	switch name {
	case "view":
		name = "decrypt"
	case "terraform":
		name, args = "decrypt", append([]string{name, "--terraform"}, args[1:]...)
	}
	fa, err := helmplugin.ParseFileArgs(name, args[1:], s.Backend)
	if err != nil {
		return helmUsage(err)
	}
	if fa.Help {
		_, err := io.WriteString(c.App.Writer, helmHelp)
		return err
	}
	forceWrite = fa.Force
	switch name {
	case "decrypt":
		return helmDecrypt(c, s, fa)
	case "encrypt":
		return helmEncrypt(c, fa)
	}
	return helmEdit(c, fa)
}

// helmDecrypt is helm-secrets' decrypt: the plaintext on standard output,
// -i in place, --terraform as {"content_base64":"…"} for Terraform's
// external data source. FILE may be an http(s) or getter URL, fetched in
// memory. sv decrypt's -o, --extract and --input/output-type apply.
func helmDecrypt(c *cli.Context, s helmplugin.Settings, fa *helmplugin.FileArgs) error {
	t, err := secretfile.HelmDecrypt(fa, secretfile.HelmOptions{Settings: s, KeyEnv: keyEnv()})
	if t != nil {
		helmReport(c, s, t)
	}
	if err != nil {
		if t != nil && !t.Remote {
			return explainIntegrity(err, "decrypt", fa.File, t.Src)
		}
		return err
	}
	switch {
	case fa.Terraform:
		// As helm-secrets: the content without its final line breaks
		// (shell command substitution), base64 on one line, no newline.
		b64 := base64.StdEncoding.EncodeToString(bytes.TrimRight(t.Text, "\n"))
		_, err = fmt.Fprintf(c.App.Writer, `{"content_base64":"%s"}`, b64)
	case fa.InPlace:
		err = replaceFile(fa.File, t.Src, t.Text)
	case fa.Output != "":
		err = writeOutput(c.App.Writer, fa.Output, t.Text, 0o600, false)
	default:
		_, err = c.App.Writer.Write(t.Text)
	}
	return err
}

// helmReport prints what opening t for Helm found: the decryption's
// warnings, a local file's drift from its rule, and with --verbose in the
// backend arguments that a data key was opened.
func helmReport(c *cli.Context, s helmplugin.Settings, t *secretfile.HelmText) {
	if !t.Decrypted {
		return
	}
	stderr := c.App.ErrWriter
	for _, w := range t.Warnings {
		warnf(stderr, "%s: %s", t.Name, w)
	}
	if !t.Remote && t.Metadata != nil {
		warnRecipientDrift(stderr, t.Name, t.Metadata)
	}
	if s.Backend.Verbose {
		fmt.Fprintf(stderr, "sv: %s: data key recovered, file decrypted\n", t.Name)
	}
}

// helmEncrypt is helm-secrets' encrypt: the encrypted file on standard
// output, or in place with -i (or to -o FILE), as sv encrypt encrypts it.
func helmEncrypt(c *cli.Context, fa *helmplugin.FileArgs) error {
	file, stderr := fa.File, c.App.ErrWriter
	res, err := secretfile.HelmEncrypt(fa, os.Getenv("SOPS_AGE_RECIPIENTS"), newKeys())
	if res != nil && res.RecipientsIgnored {
		warnf(stderr, "%s is already encrypted: new values use its existing recipients, --age is ignored (change recipients with 'sv updatekeys')", file)
	}
	if err != nil {
		if res != nil {
			return explainIntegrity(err, "encrypt", file, res.Src)
		}
		return err
	}
	reportResult(stderr, file, res.Result)
	switch {
	case fa.Output != "":
		return writeOutput(c.App.Writer, fa.Output, res.Out, 0o644, true)
	case !fa.InPlace:
		_, err = c.App.Writer.Write(res.Out)
		return err
	case !res.Changed:
		fmt.Fprintf(stderr, "sv: %s: nothing to encrypt, file unchanged\n", file)
		return nil
	}
	if err := replaceFile(file, res.Src, res.Out); err != nil {
		return err
	}
	reportEncrypted(stderr, file, res)
	return nil
}

// helmEdit is helm-secrets' edit: sv edit's session for FILE, with the
// .sops.yaml nearest to it.
func helmEdit(c *cli.Context, fa *helmplugin.FileArgs) error {
	keys := newKeys()
	return editFile(c.App.Reader, c.App.Writer, c.App.ErrWriter, fa.File, secretfile.EditOptions{IgnoreMAC: fa.IgnoreMAC, Keys: keys,
		Rule: secretfile.HelmRule(fa, os.Getenv("SOPS_AGE_RECIPIENTS"), keys), EncryptComments: fa.EncryptComments, Write: writeOptions()})
}

// helmDownloader is what Helm runs for a secrets:// URL:
// <launcher> helm downloader CERT KEY CA URL. The plaintext goes to
// standard output, which Helm reads through a pipe.
func helmDownloader(c *cli.Context, s helmplugin.Settings, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "downloader needs Helm's arguments: CERT KEY CA URL"}
	}
	t, err := secretfile.HelmFetch(args[len(args)-1], secretfile.HelmOptions{Settings: s, KeyEnv: keyEnv()})
	helmReport(c, s, t)
	if err != nil {
		return err
	}
	_, err = c.App.Writer.Write(t.Text)
	return err
}

// oneLine keeps err's exit code but drops its hints: Helm shows a
// downloader's stderr in the middle of its own output, where one line
// naming the file and the reason reads best.
func oneLine(err error) error {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
	return &exitError{code: exitCodeFor(err), err: errors.New(msg)}
}

// helmWrap runs helm with encrypted values files rewritten to secrets://.
func helmWrap(c *cli.Context, env helmplugin.Env, s helmplugin.Settings, args []string) error {
	rewritten, err := helmplugin.Rewrite(args, helmplugin.RewriteOptions{IgnoreMissing: s.IgnoreMissing, Settings: s})
	if err != nil {
		return err
	}
	helmBin := helmplugin.HelmBinary("")
	cmd := exec.Command(helmBin, rewritten...)
	cmd.Env = env.Environ()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.App.Reader, c.App.Writer, c.App.ErrWriter
	// Signals are passed on to helm (Ctrl-C reaches it too, in the same
	// process group); sv waits for helm to finish so its exit status (128+N
	// if signal N ended it) is the one the caller sees.
	sigs := child.Catch()
	defer sigs.Stop()
	err = sigs.Run(cmd)
	var se *child.StartError
	if errors.As(err, &se) {
		return withHint(fmt.Errorf("cannot run %s: %w", helmBin, se.Err), "set HELM_BIN or HELM_SECRETS_HELM_PATH to the helm binary")
	}
	return err
}
