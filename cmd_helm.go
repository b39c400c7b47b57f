package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/sv-secrets/sv/helmplugin"
	"github.com/sv-secrets/sv/internal/child"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
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
.sops.yaml nearest to FILE; OPTIONS apply to them too.

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

// valsOnly says why template evaluation is not in sv.
const valsOnly = "it evaluates vals references (ref+…) in rendered manifests; sv is a sops backend"

// helmSecretsVersion is what `helm secrets --version` prints: the version
// of the plugin manifests.
func helmSecretsVersion() string { return helmplugin.PluginVersion }

// helmEnv is the process environment with the variables set by helm
// secrets' own options laid over it; the helm child gets the same, so its
// downloader runs see what the options said.
type helmEnv map[string]string

func (e helmEnv) getenv(k string) string {
	if v, ok := e[k]; ok {
		return v
	}
	return os.Getenv(k)
}

func (e helmEnv) environ() []string {
	env := os.Environ()
	for k, v := range e {
		env = append(env, k+"="+v)
	}
	return env
}

// boolOption reads helm-secrets' "--flag [true|false]" and "--flag=VALUE"
// forms; it returns the value and how many arguments it used.
func boolOption(args []string, name string) (string, int, error) {
	a := args[0]
	if v, ok := strings.CutPrefix(a, name+"="); ok {
		if v != "true" && v != "false" {
			return "", 0, &usageError{msg: fmt.Sprintf("%s: want true or false, got %q", name, v)}
		}
		return v, 1, nil
	}
	if len(args) > 1 && (args[1] == "true" || args[1] == "false") {
		return args[1], 2, nil
	}
	return "true", 1, nil
}

// optionValue reads "--flag VALUE" and "--flag=VALUE" (short form "-x VALUE").
func optionValue(args []string, long string) (string, int, error) {
	a := args[0]
	if v, ok := strings.CutPrefix(a, long+"="); ok {
		return v, 1, nil
	}
	if len(args) < 2 {
		return "", 0, &usageError{msg: fmt.Sprintf("%s needs a value", a), hint: "run 'helm secrets help' for usage"}
	}
	return args[1], 2, nil
}

func helmAction(c *cli.Context) error {
	args := c.Args().Slice()
	env := helmEnv{}
	// helm-secrets' own options come before the Helm command.
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		name, _, _ := strings.Cut(a, "=")
		n := 1
		var err error
		switch name {
		case "-q", "--quiet":
			env["HELM_SECRETS_QUIET"] = "true"
		case "-b", "--backend", "-d", "--driver":
			var v string
			if v, n, err = optionValue(args, name); err != nil {
				return err
			}
			if err := helmplugin.CheckBackend(v, name); err != nil {
				return err
			}
			env["HELM_SECRETS_BACKEND"], env["HELM_SECRETS_DRIVER"] = v, ""
		case "-a", "--backend-args", "--driver-args":
			var v string
			if v, n, err = optionValue(args, name); err != nil {
				return err
			}
			env["HELM_SECRETS_BACKEND_ARGS"], env["HELM_SECRETS_DRIVER_ARGS"] = v, ""
		case "--ignore-missing-values":
			var v string
			if v, n, err = boolOption(args, name); err != nil {
				return err
			}
			env["HELM_SECRETS_IGNORE_MISSING_VALUES"] = v
		case "--skip-decrypt":
			var v string
			if v, n, err = boolOption(args, name); err != nil {
				return err
			}
			env["HELM_SECRETS_SKIP_DECRYPT"] = v
		case "--decrypt-secrets-in-tmp-dir", "--evaluate-templates-decode-secrets":
			// sv never writes decrypted files, so there is nothing to move;
			// decoding only matters to --evaluate-templates.
			if _, n, err = boolOption(args, name); err != nil {
				return err
			}
		case "--evaluate-templates":
			var v string
			if v, n, err = boolOption(args, name); err != nil {
				return err
			}
			if v == "true" {
				return &helmplugin.UnsupportedError{What: "--evaluate-templates", Hint: valsOnly}
			}
		case "-h", "--help":
			args = []string{"help"}
			continue
		case "-v", "--version":
			_, err := fmt.Fprintln(c.App.Writer, helmSecretsVersion())
			return err
		default:
			return &usageError{msg: fmt.Sprintf("unknown helm secrets option %s", a), hint: "run 'helm secrets help'; options of Helm commands go after the command"}
		}
		args = args[n:]
	}
	if len(args) == 0 {
		// helm-secrets prints its help and fails.
		io.WriteString(c.App.Writer, helmHelp)
		return &exitError{code: exitFailure}
	}
	if env.getenv("HELM_SECRETS_EVALUATE_TEMPLATES") == "true" && args[0] != "downloader" {
		return &helmplugin.UnsupportedError{What: "HELM_SECRETS_EVALUATE_TEMPLATES=true", Hint: valsOnly}
	}
	settings, err := helmplugin.SettingsFromEnv(env.getenv)
	if err != nil {
		if args[0] == "downloader" {
			return oneLine(err)
		}
		return err
	}
	switch args[0] {
	case "help":
		_, err := io.WriteString(c.App.Writer, helmHelp)
		return err
	case "dir":
		return helmDir(c)
	case "downloader":
		return helmDownloader(c, settings, args[1:])
	case "decrypt", "view":
		return helmDecryptCmd(c, settings, args[1:])
	case "terraform":
		return helmDecryptCmd(c, settings, append([]string{"--terraform"}, args[1:]...))
	case "edit":
		return runSv(c, "edit", withConfig(settings, args[1:]))
	case "encrypt":
		return helmEncrypt(c, withConfig(settings, args[1:]))
	case "post-renderer":
		return &helmplugin.UnsupportedError{What: "helm secrets post-renderer", Hint: valsOnly}
	}
	if len(args) < 2 || args[1] == "-h" || args[1] == "--help" || args[1] == "help" {
		_, err := fmt.Fprintf(c.App.Writer, helmCommandUsage, args[0])
		return err
	}
	return helmWrap(c, env, settings, args)
}

// helmDir prints the plugin directory, as `helm secrets dir` does; Helm
// tells a plugin its directory in $HELM_PLUGIN_DIR.
func helmDir(c *cli.Context) error {
	dir := os.Getenv("HELM_PLUGIN_DIR")
	if dir == "" {
		return errors.New("helm secrets dir: HELM_PLUGIN_DIR is not set (run it as 'helm secrets dir')")
	}
	_, err := fmt.Fprintln(c.App.Writer, dir)
	return err
}

// withConfig adds what HELM_SECRETS_BACKEND_ARGS/-a say (--config, --age,
// --ignore-mac) to the arguments of sv's encrypt or edit, and, without a
// --config, the .sops.yaml nearest to the file: helm-secrets runs sops in
// the file's directory, so its rules are found from there.
func withConfig(s helmplugin.Settings, args []string) []string {
	out := append([]string{}, args...)
	hasConfig := false
	for _, a := range args {
		if a == "--config" || strings.HasPrefix(a, "--config=") {
			hasConfig = true
		}
	}
	var extra []string
	if s.Backend.IgnoreMAC {
		extra = append(extra, "--ignore-mac")
	}
	for _, r := range s.Backend.Age {
		extra = append(extra, "--age", r)
	}
	if !hasConfig {
		if s.Backend.Config != "" {
			extra = append(extra, "--config", s.Backend.Config)
		} else if len(args) > 0 && !strings.HasPrefix(args[len(args)-1], "-") {
			file := args[len(args)-1]
			if p, err := sopsconfig.Find(filepath.Dir(file), ""); err == nil {
				extra = append(extra, "--config", p)
			}
		}
	}
	return append(extra, out...)
}

// runSv runs one of sv's own commands (found by name at run time, so
// commands added by other files, such as edit, are reachable).
func runSv(c *cli.Context, name string, args []string) error {
	app := newApp(c.App.Reader, c.App.Writer, c.App.ErrWriter)
	cmd := app.Command(name)
	if cmd == nil {
		return fmt.Errorf("helm secrets %s is not available: this sv has no '%s' command", name, name)
	}
	// Commands registered once for the process are shared by every app;
	// a second app may have given them a flag twice, which the flag
	// package refuses. Keep the first of each name.
	seen := map[string]bool{}
	flags := cmd.Flags[:0:0]
	for _, f := range cmd.Flags {
		if n := f.Names(); len(n) > 0 && seen[n[0]] {
			continue
		} else if len(n) > 0 {
			seen[n[0]] = true
		}
		flags = append(flags, f)
	}
	cmd.Flags = flags
	return app.Run(append([]string{"sv", name}, args...))
}

// helmDecryptCmd is helm-secrets' decrypt (and view): the plaintext on
// standard output, -i in place, --terraform as {"content_base64":"…"} for
// Terraform's external data source. FILE may be an http(s) or getter URL,
// fetched in memory. Other options are sv decrypt's.
func helmDecryptCmd(c *cli.Context, s helmplugin.Settings, args []string) error {
	var (
		terraform, inPlace bool
		rest               []string
		file               string
	)
	// FILE is the first argument that is not an option, as in helm-secrets,
	// which ignores what follows it: helmfile appends its helmDefaults.args
	// (e.g. --values=secrets://x.yaml) to 'helm secrets decrypt FILE'.
	for i := 0; i < len(args) && file == ""; i++ {
		switch a := args[i]; a {
		case "--terraform":
			terraform = true
		case "-i", "--in-place":
			inPlace = true
			rest = append(rest, a)
		case "-h", "--help", "help":
			return runSv(c, "decrypt", []string{"--help"})
		case "-o", "--output", "--extract":
			rest = append(rest, a)
			if i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
		default:
			if strings.HasPrefix(a, "-") && a != "-" {
				rest = append(rest, a)
				continue
			}
			file = a
			rest = append(rest, a)
		}
	}
	if s.Backend.IgnoreMAC {
		rest = append([]string{"--ignore-mac"}, rest...)
	}
	if file == "" {
		return &usageError{msg: "decrypt needs a FILE", hint: "run 'helm secrets help' for usage"}
	}
	remote := helmplugin.LocationScheme(file) != ""
	if !terraform && !remote {
		if err := runSv(c, "decrypt", rest); err != nil {
			return err
		}
		if s.Backend.Verbose {
			fmt.Fprintf(c.App.ErrWriter, "sv: %s: data key recovered, file decrypted\n", file)
		}
		return nil
	}
	if inPlace && (terraform || remote) {
		return &usageError{msg: "decrypt -i works on a local file only, without --terraform"}
	}
	var text []byte
	if remote {
		d := newDownloader(c, s)
		src, err := d.ReadURL(file)
		if err != nil {
			return err
		}
		if !helmplugin.LooksEncrypted(src) {
			return secretfile.WithFile(helmplugin.RedactURL(file), yamlwalk.ErrNotEncrypted)
		}
		if text, err = d.Decrypt(helmplugin.RedactURL(file), src, ""); err != nil {
			return err
		}
	} else {
		dec, err := secretfile.DecryptFile(file, secretfile.DecryptOptions{IgnoreMAC: s.Backend.IgnoreMAC, Keys: newKeys()})
		if err != nil {
			return err
		}
		for _, w := range dec.Warnings {
			warnf(c.App.ErrWriter, "%s: %s", file, w)
		}
		text = dec.Text
	}
	if s.Backend.Verbose {
		fmt.Fprintf(c.App.ErrWriter, "sv: %s: data key recovered, file decrypted\n", helmplugin.RedactURL(file))
	}
	if terraform {
		// As helm-secrets: the content without its final line breaks
		// (shell command substitution), base64 on one line, no newline.
		b64 := base64.StdEncoding.EncodeToString(bytes.TrimRight(text, "\n"))
		_, err := fmt.Fprintf(c.App.Writer, `{"content_base64":"%s"}`, b64)
		return err
	}
	_, err := c.App.Writer.Write(text)
	return err
}

// helmEncrypt is helm-secrets' encrypt: in place with -i (sv encrypt),
// else the encrypted file on standard output.
func helmEncrypt(c *cli.Context, args []string) error {
	for i, a := range args {
		if a == "--" {
			break
		}
		if a == "-i" || a == "--in-place" {
			return runSv(c, "encrypt", append(append([]string{}, args[:i]...), args[i+1:]...))
		}
	}
	base := encryptCommand()
	cmd := &cli.Command{
		Name:      "encrypt",
		Usage:     "print the encrypted form of FILE (-i: encrypt in place)",
		ArgsUsage: "FILE",
		Flags:     base.Flags,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return &usageError{msg: "encrypt needs exactly one FILE", hint: "run 'helm secrets help' for usage"}
			}
			return encryptToWriter(c, c.Args().First())
		},
	}
	app := &cli.App{
		Name: "helm secrets", Reader: c.App.Reader, Writer: c.App.Writer, ErrWriter: c.App.ErrWriter,
		HideVersion: true, ExitErrHandler: func(*cli.Context, error) {}, OnUsageError: onUsageError,
		Commands: []*cli.Command{cmd},
	}
	setUsageErrors(cmd)
	return app.Run(append([]string{"helm secrets", "encrypt"}, args...))
}

// encryptToWriter encrypts file as sv encrypt does (encryptInput: the
// same format, recipients, selection and comment rules) but prints the
// result instead of replacing the file.
func encryptToWriter(c *cli.Context, file string) error {
	res, err := encryptInput(c, file, newKeys())
	if err != nil {
		return err
	}
	_, err = c.App.Writer.Write(res.Out)
	return err
}

// newDownloader is the downloader with sv's core as decrypter: keys of
// the process, or the key file of secrets+age-import:// in place of
// SOPS_AGE_KEY_FILE.
func newDownloader(c *cli.Context, s helmplugin.Settings) *helmplugin.Downloader {
	return &helmplugin.Downloader{
		Settings: s,
		HelmGet:  helmplugin.HelmGetter(helmBinary("")),
		Decrypt: func(name string, src []byte, keyFile string) ([]byte, error) {
			dec, err := helmDecrypt(name, src, keyFile, s.Backend.IgnoreMAC)
			if err != nil {
				return nil, err
			}
			for _, w := range dec.Warnings {
				warnf(c.App.ErrWriter, "%s: %s", name, w)
			}
			if s.Backend.Verbose {
				fmt.Fprintf(c.App.ErrWriter, "sv: %s: data key recovered, file decrypted\n", name)
			}
			return dec.Text, nil
		},
	}
}

// helmDownloader is what Helm runs for a secrets:// URL:
// <launcher> helm downloader CERT KEY CA URL. The plaintext goes to
// standard output, which Helm reads through a pipe. Failures are one line.
func helmDownloader(c *cli.Context, s helmplugin.Settings, args []string) error {
	if len(args) == 0 {
		return oneLine(&usageError{msg: "downloader needs Helm's arguments: CERT KEY CA URL"})
	}
	href := args[len(args)-1]
	out, err := newDownloader(c, s).Fetch(href)
	if err != nil {
		return oneLine(err)
	}
	_, err = c.App.Writer.Write(out)
	return err
}

// helmDecrypt decrypts in process with the core; a key file from
// secrets+age-import:// stands in for SOPS_AGE_KEY_FILE, as in helm-secrets.
func helmDecrypt(name string, src []byte, keyFile string, ignoreMAC bool) (*yamlwalk.Decrypted, error) {
	if keyFile == "" {
		return secretfile.Decrypt(name, src, secretfile.DecryptOptions{IgnoreMAC: ignoreMAC, Keys: newKeys()})
	}
	env := keyEnv()
	env.KeyFile = keyFile
	return secretfile.Decrypt(name, src, secretfile.DecryptOptions{IgnoreMAC: ignoreMAC, Keys: secretfile.NewKeys(env)})
}

// oneLine keeps err's exit code but drops its hints: Helm shows a
// downloader's stderr in the middle of its own output, where one line
// naming the file and the reason reads best.
func oneLine(err error) error {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
	return &exitError{code: exitCodeFor(err), err: errors.New(msg)}
}

// helmWrap runs helm with encrypted values files rewritten to secrets://.
func helmWrap(c *cli.Context, env helmEnv, s helmplugin.Settings, args []string) error {
	rewritten, err := helmplugin.Rewrite(args, helmplugin.RewriteOptions{IgnoreMissing: s.IgnoreMissing, Settings: s})
	if err != nil {
		return err
	}
	helmBin := helmBinary("")
	cmd := exec.Command(helmBin, rewritten...)
	cmd.Env = env.environ()
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

func unwrapExecError(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return secretfile.PathCause(err)
}

// helmBinary is the helm to run: explicit, else $HELM_SECRETS_HELM_PATH
// (helm-secrets' name for the real helm behind a wrapper script), else
// $HELM_BIN (set by Helm for its plugins), else helm on PATH.
func helmBinary(explicit string) string {
	for _, v := range []string{explicit, os.Getenv("HELM_SECRETS_HELM_PATH"), os.Getenv("HELM_BIN")} {
		if v != "" {
			return v
		}
	}
	return "helm"
}

func pluginCommand() *cli.Command {
	helmFlag := &cli.StringFlag{Name: "helm", Usage: "the helm `BINARY` to install for (default $HELM_BIN, else helm on PATH)"}
	return &cli.Command{
		Name:  "plugin",
		Usage: "install or remove the Helm plugin (helm secrets, secrets://)",
		Description: `Installs sv as Helm's "secrets" plugin, a drop-in replacement for
helm-secrets: 'helm secrets <helm command>' and secrets:// URLs.

Example:
   sv plugin install
   sv plugin install --helm /usr/local/bin/helm4
   sv plugin uninstall`,
		Subcommands: []*cli.Command{
			{
				Name:  "install",
				Usage: "install the secrets plugin into Helm (Helm 3 or 4, detected)",
				Description: `Asks helm for its version (helm version --short) and its plugins
directory (helm env HELM_PLUGINS), then writes the plugin there: for Helm 3
one plugin "secrets" (command and downloader), for Helm 4 the two v1
plugins "secrets" (cli/v1) and "secrets-getter" (getter/v1). Each runs this
sv binary through a bin/sv symlink, so rebuilding sv in place needs no
reinstall. Safe to run again; a helm-secrets plugin in the way is reported,
not replaced.

Example:
   sv plugin install
   sv plugin install --helm ~/bin/helm4`,
				Flags:  []cli.Flag{helmFlag},
				Action: pluginInstallAction,
			},
			{
				Name:  "uninstall",
				Usage: "remove the plugin that 'sv plugin install' wrote",
				Description: `Removes the secrets (and secrets-getter) plugin directories that
'sv plugin install' wrote into Helm's plugins directory. Plugins sv did not
write are left alone.

Example:
   sv plugin uninstall`,
				Flags:  []cli.Flag{helmFlag},
				Action: pluginUninstallAction,
			},
			{
				// Run by the install (and update) hook of the Helm 4
				// release package "secrets", not by people.
				Name:   helmplugin.InstallGetterArgs[1],
				Usage:  "write the secrets-getter plugin next to the Helm 4 secrets plugin (its install hook)",
				Hidden: true,
				Action: pluginInstallGetterAction,
			},
		},
	}
}

type helmInfo struct {
	bin, version, pluginsDir string
	major                    int
}

func detectHelm(c *cli.Context, needVersion bool) (*helmInfo, error) {
	if c.NArg() > 0 {
		return nil, &usageError{msg: fmt.Sprintf("unexpected argument %q", c.Args().First()), hint: "pass the helm binary with --helm PATH"}
	}
	name := helmBinary(c.String("helm"))
	bin, err := exec.LookPath(name)
	if err != nil {
		return nil, withHint(fmt.Errorf("cannot find helm (%s): %w", name, unwrapExecError(err)), "pass --helm PATH or set HELM_BIN")
	}
	h := &helmInfo{bin: bin}
	if needVersion {
		out, err := helmOutput(bin, "version", "--short")
		if err != nil {
			return nil, err
		}
		if h.major, h.version, err = helmplugin.ParseHelmVersion(out); err != nil {
			return nil, err
		}
		if !helmplugin.SupportedMajor(h.major) {
			return nil, fmt.Errorf("%s is Helm %s; sv supports Helm 3 and Helm 4", bin, h.version)
		}
	}
	out, err := helmOutput(bin, "env", "HELM_PLUGINS")
	if err != nil {
		return nil, err
	}
	dirs := filepath.SplitList(strings.TrimSpace(out))
	if len(dirs) == 0 || dirs[0] == "" {
		return nil, fmt.Errorf("%s env HELM_PLUGINS printed no directory", bin)
	}
	h.pluginsDir = dirs[0]
	return h, nil
}

func helmOutput(bin string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return "", fmt.Errorf("%s %s failed: %v %s", bin, strings.Join(args, " "), err, msg)
	}
	return stdout.String(), nil
}

// svExecutable is the binary the plugin should run: the path sv was
// started by when it names this very file (a stable symlink such as
// /usr/local/bin/sv survives upgrades), else os.Executable.
func svExecutable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find the sv binary: %w", err)
	}
	if p, err := exec.LookPath(os.Args[0]); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			a, errA := os.Stat(abs)
			b, errB := os.Stat(exe)
			if errA == nil && errB == nil && os.SameFile(a, b) {
				return abs, nil
			}
		}
	}
	return exe, nil
}

func pluginInstallAction(c *cli.Context) error {
	h, err := detectHelm(c, true)
	if err != nil {
		return err
	}
	exe, err := svExecutable()
	if err != nil {
		return err
	}
	dirs, err := helmplugin.Install(h.pluginsDir, h.major, exe)
	if err != nil {
		var ce *helmplugin.ConflictError
		if errors.As(err, &ce) {
			return withHint(err, fmt.Sprintf("sv replaces helm-secrets; remove the other plugin first: %s plugin uninstall %s", h.bin, ce.Name))
		}
		return err
	}
	// Helm skips plugins it cannot load (Helm 4 only logs it), so ask it.
	list, err := helmOutput(h.bin, "plugin", "list")
	if err != nil {
		return err
	}
	want := []string{helmplugin.NameCLI}
	if h.major == 4 {
		want = append(want, helmplugin.NameGetter)
	}
	for _, name := range want {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s`).MatchString(list) {
			return fmt.Errorf("%s does not list the %q plugin after installing it in %s", h.bin, name, h.pluginsDir)
		}
	}
	for _, d := range dirs {
		fmt.Fprintf(c.App.ErrWriter, "sv: installed %s\n", d)
	}
	fmt.Fprintf(c.App.ErrWriter, "sv: Helm %s runs %s for 'helm secrets' and secrets:// URLs\n", h.version, exe)
	return nil
}

// pluginInstallGetterAction is the install hook of the Helm 4 release
// package: Helm runs $HELM_PLUGIN_DIR/bin/sv plugin install-getter after
// installing the secrets plugin, and this writes the secrets-getter plugin
// beside it, running the same binary, so that one `helm plugin install`
// gives both `helm secrets` and secrets:// URLs.
func pluginInstallGetterAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", c.Args().First())}
	}
	pluginDir := os.Getenv("HELM_PLUGIN_DIR")
	if pluginDir == "" {
		return withHint(errors.New("HELM_PLUGIN_DIR is not set: this command is the Helm 4 plugin's install hook"), "to install the plugins yourself, run: sv plugin install")
	}
	exe, err := svExecutable()
	if err != nil {
		return err
	}
	pluginsDir := filepath.Dir(filepath.Clean(pluginDir))
	dir, kept, err := helmplugin.InstallGetter(pluginsDir, exe)
	if err != nil {
		var ce *helmplugin.ConflictError
		if errors.As(err, &ce) {
			return withHint(err, fmt.Sprintf("secrets:// URLs would go to that plugin; remove it (helm plugin uninstall %s), then install this package again (helm plugin uninstall %s, helm plugin install …)", ce.Name, helmplugin.NameCLI))
		}
		return err
	}
	if kept {
		fmt.Fprintf(c.App.ErrWriter, "sv: keeping the %s plugin installed from sv's getter package: %s\n", helmplugin.NameGetter, dir)
		return nil
	}
	fmt.Fprintf(c.App.ErrWriter, "sv: installed %s (secrets:// URLs)\n", dir)
	return nil
}

func pluginUninstallAction(c *cli.Context) error {
	h, err := detectHelm(c, false)
	if err != nil {
		return err
	}
	removed, err := helmplugin.Uninstall(h.pluginsDir)
	if err != nil {
		return err
	}
	if len(removed) == 0 {
		fmt.Fprintf(c.App.ErrWriter, "sv: no plugin installed by sv in %s\n", h.pluginsDir)
		return nil
	}
	for _, d := range removed {
		fmt.Fprintf(c.App.ErrWriter, "sv: removed %s\n", d)
	}
	return nil
}
