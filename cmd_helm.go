package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/helmplugin"
	"github.com/sv-secrets/sv/yamlwalk"
	"github.com/urfave/cli/v2"
)

func init() {
	extraCommands = append(extraCommands, helmCommand(), pluginCommand())
}

const helmHelp = `sv as the Helm "secrets" plugin (a drop-in for helm-secrets)

Usage:
  helm secrets [-q] [--ignore-missing-values] <helm command> [args]
  helm secrets encrypt [-i] FILE    encrypt (prints the result; -i: in place)
  helm secrets decrypt [-i] FILE    print the plaintext (-i: in place)
  helm secrets view FILE            print the plaintext
  helm secrets edit FILE            edit the plaintext in $EDITOR, re-encrypt
  helm secrets help                 this text

Any other command is run as helm <command> [args] with $HELM_BIN (or
$HELM_SECRETS_HELM_PATH, else helm on PATH). Every -f/--values file and
every --set-file value that is a SOPS-encrypted file is passed on as a
secrets:// URL, so Helm reads its plaintext from sv through a pipe: no
decrypted file is ever written. Helm's output and exit code pass through.

Options:
  -q, --quiet                accepted for helm-secrets compatibility
  --ignore-missing-values    a missing values file counts as empty
                             (also HELM_SECRETS_IGNORE_MISSING_VALUES=true)

URLs for -f, --values and --set-file (with or without the wrapper):
  secrets://FILE                       FILE relative to the working directory
  secrets://?FILE                      empty if FILE does not exist
  secrets+age-import://KEYFILE?FILE    decrypt with the age identities in KEYFILE
  secrets+literal://VALUE              VALUE itself, decrypted if encrypted

Keys come from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD,
SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh and ~/.config/sops/age/keys.txt.
`

func helmCommand() *cli.Command {
	return &cli.Command{
		Name:      "helm",
		Usage:     "run helm with encrypted values files (what `helm secrets` runs)",
		ArgsUsage: "[-q] [--ignore-missing-values] HELM-COMMAND [ARGS] | encrypt|decrypt|edit|view FILE",
		Description: `The engine of the Helm "secrets" plugin that 'sv plugin install' sets
up; 'helm secrets ARGS' runs 'sv helm ARGS'. With a Helm command it runs
helm with the same arguments, except that encrypted -f/--values and
--set-file files become secrets:// URLs that Helm fetches from sv's
downloader, so no plaintext file is written. 'sv helm help' explains the
URL forms and options.

Example:
   sv helm template my-release ./chart -f values.yaml -f values.prod.yaml
   helm secrets upgrade --install my-release ./chart -f values.prod.yaml
   helm template my-release ./chart -f secrets://values.prod.yaml`,
		SkipFlagParsing: true,
		HideHelp:        true, // "help" and --help are helm secrets' own (helmHelp)
		Action:          helmAction,
	}
}

type helmOptions struct {
	quiet         bool
	ignoreMissing bool
}

func helmAction(c *cli.Context) error {
	args := c.Args().Slice()
	opt := helmOptions{ignoreMissing: envTrue("HELM_SECRETS_IGNORE_MISSING_VALUES"), quiet: envTrue("HELM_SECRETS_QUIET")}
	// helm-secrets' own options come before the Helm command.
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		switch {
		case a == "-q" || a == "--quiet":
			opt.quiet = true
		case a == "--ignore-missing-values":
			opt.ignoreMissing = true
		case strings.HasPrefix(a, "--ignore-missing-values="):
			opt.ignoreMissing = !strings.EqualFold(strings.TrimPrefix(a, "--ignore-missing-values="), "false")
		case a == "--decrypt-secrets-in-tmp-dir":
			// sv never writes decrypted files, so there is nothing to move.
		case a == "-h" || a == "--help":
			args = []string{"help"}
			continue
		default:
			return &usageError{msg: fmt.Sprintf("unknown helm secrets option %s", a), hint: "run 'helm secrets help'; options of Helm commands go after the command"}
		}
		args = args[1:]
	}
	if len(args) == 0 {
		return &usageError{msg: "helm secrets needs a command", hint: "run 'helm secrets help' for usage"}
	}
	switch args[0] {
	case "help":
		_, err := io.WriteString(c.App.Writer, helmHelp)
		return err
	case "downloader":
		return helmDownloader(c, args[1:])
	case "decrypt", "edit":
		return runSv(c, args[0], args[1:])
	case "view":
		return runSv(c, "decrypt", args[1:])
	case "encrypt":
		return helmEncrypt(c, args[1:])
	}
	return helmWrap(c, opt, args)
}

func envTrue(name string) bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(name)))
	return v == "true" || v == "1" || v == "yes"
}

// runSv runs one of sv's own commands (found by name at run time, so
// commands added by other files, such as edit, are reachable).
func runSv(c *cli.Context, name string, args []string) error {
	app := newApp(c.App.Reader, c.App.Writer, c.App.ErrWriter)
	if app.Command(name) == nil {
		return fmt.Errorf("helm secrets %s is not available: this sv has no '%s' command", name, name)
	}
	return app.Run(append([]string{"sv", name}, args...))
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

// encryptToWriter encrypts file like sv encrypt but prints the result
// instead of replacing the file.
func encryptToWriter(c *cli.Context, file string) error {
	src, err := readInput(file)
	if err != nil {
		return err
	}
	opt := yamlwalk.EncryptOptions{Keys: lazyKeys{load: loadKeyring}, IgnoreMAC: c.Bool("ignore-mac"), Now: time.Now()}
	if !yamlwalk.IsEncrypted(src) {
		rule, groups, threshold, err := creationRule(c, file)
		if err != nil {
			return err
		}
		opt.Rules, opt.KeyGroups, opt.ShamirThreshold = rule, groups, threshold
	}
	res, err := yamlwalk.Encrypt(src, opt)
	if err != nil {
		return fileError(file, err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "sv: warning: %s: %s\n", file, w)
	}
	_, err = c.App.Writer.Write(res.Out)
	return err
}

// helmDownloader is what Helm runs for a secrets:// URL:
// <launcher> helm downloader CERT KEY CA URL. The plaintext goes to
// standard output, which Helm reads through a pipe. Failures are one line.
func helmDownloader(c *cli.Context, args []string) error {
	if len(args) == 0 {
		return oneLine(&usageError{msg: "downloader needs Helm's arguments: CERT KEY CA URL"})
	}
	href := args[len(args)-1]
	out, err := helmplugin.Fetch(href, helmplugin.PolicyFromEnv(os.Getenv), func(name string, src []byte, keyFile string) ([]byte, error) {
		dec, err := helmDecrypt(name, src, keyFile)
		if err != nil {
			return nil, err
		}
		for _, w := range dec.Warnings {
			fmt.Fprintf(c.App.ErrWriter, "sv: warning: %s: %s\n", name, w)
		}
		return dec.Text, nil
	})
	if err != nil {
		return oneLine(err)
	}
	_, err = c.App.Writer.Write(out)
	return err
}

// helmDecrypt decrypts in process with the core; a key file from
// secrets+age-import:// stands in for SOPS_AGE_KEY_FILE, as in helm-secrets.
func helmDecrypt(name string, src []byte, keyFile string) (*yamlwalk.Decrypted, error) {
	if keyFile == "" {
		return decryptBytes(name, src, false)
	}
	env := keyEnv()
	get := env.Getenv
	env.Getenv = func(k string) string {
		if k == "SOPS_AGE_KEY_FILE" {
			return keyFile
		}
		return get(k)
	}
	kr, err := crypt.LoadKeyring(env)
	if err != nil {
		return nil, fileError(name, err)
	}
	dec, err := yamlwalk.Decrypt(src, yamlwalk.DecryptOptions{Keys: kr})
	if err != nil {
		return nil, fileError(name, err)
	}
	return dec, nil
}

// oneLine keeps err's exit code but drops its hints: Helm shows a
// downloader's stderr in the middle of its own output, where one line
// naming the file and the reason reads best.
func oneLine(err error) error {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
	return &exitError{code: exitCodeFor(err), err: errors.New(msg)}
}

// helmWrap runs helm with encrypted values files rewritten to secrets://.
func helmWrap(c *cli.Context, opt helmOptions, args []string) error {
	rewritten, err := helmplugin.Rewrite(args, helmplugin.RewriteOptions{IgnoreMissing: opt.ignoreMissing})
	if err != nil {
		return err
	}
	helmBin := helmBinary("")
	cmd := exec.Command(helmBin, rewritten...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.App.Reader, c.App.Writer, c.App.ErrWriter
	if err := cmd.Start(); err != nil {
		return withHint(fmt.Errorf("cannot run %s: %w", helmBin, unwrapExecError(err)), "set HELM_BIN or HELM_SECRETS_HELM_PATH to the helm binary")
	}
	// Ctrl-C reaches helm too (same process group); sv waits for helm to
	// finish so its exit code is the one the caller sees.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code := ee.ExitCode()
			if code < 0 {
				code = exitFailure
			}
			return &exitError{code: code}
		}
		return err
	}
	return nil
}

func unwrapExecError(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return unwrapPathError(err)
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
