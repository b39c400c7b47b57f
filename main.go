// Command sv keeps secrets in Helm values files safe in git: it encrypts
// only the leaf values of a YAML file with age, in the SOPS file format,
// leaving every other byte as it was.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sv-secrets/sv/internal/version"
	"github.com/sv-secrets/sv/yamlwalk"
)

// svVersion is sv's version: internal/version is the one source of truth,
// stamped by scripts/release.sh with -ldflags -X.
func svVersion() string { return version.Version }

// printVersion is the output of 'sv version', 'sv --version' and 'sv -v'.
func printVersion(w io.Writer) {
	fmt.Fprintf(w, "sv %s (SOPS format %s)\n", svVersion(), yamlwalk.FormatVersion)
	fmt.Fprintf(w, "Helm plugin version %s (a drop-in for helm-secrets %s)\n", version.Plugin(), version.HelmSecrets)
}

func init() {
	// 'sv --version' and 'sv -v' print what 'sv version' prints. The root
	// command has no other flags, so -v is free.
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print sv's version (same as 'sv version')", DisableDefaultText: true}
	cli.VersionPrinter = func(c *cli.Context) { printVersion(c.App.Writer) }
}

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the exit, so tests can drive it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var notFound error
	app := newApp(stdin, stdout, stderr)
	app.CommandNotFound = func(c *cli.Context, name string) {
		notFound = &usageError{msg: fmt.Sprintf("unknown command %q", name), hint: "run 'sv --help' for the list of commands"}
	}
	err := app.Run(normalizeArgs(app.Commands, args))
	if err == nil {
		err = notFound
	}
	if err == nil {
		return 0
	}
	return reportError(stderr, err)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:  "sv",
		Usage: "encrypt the secrets in Helm values files, keep everything else readable",
		Description: `sv encrypts only the leaf values of YAML files with age, in the SOPS file
format: keys, comments, blank lines, indentation and order stay exactly as
they were, so a git diff shows which secret changed and nothing else.
Files work with sops, Flux, helm-secrets and KSOPS.

Example:
   sv keygen -o ~/.config/sops/age/keys.txt
   sv encrypt --age age1… values.prod.yaml
   sv decrypt values.prod.yaml`,
		Version:              svVersion(),
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		EnableBashCompletion: true,
		ExitErrHandler:       func(*cli.Context, error) {},
		OnUsageError:         onUsageError,
		Commands:             commands(),
	}
	for _, c := range app.Commands {
		setUsageErrors(c)
	}
	addForceFlags(app.Commands)
	return app
}

func setUsageErrors(c *cli.Command) {
	c.OnUsageError = onUsageError
	for _, s := range c.Subcommands {
		setUsageErrors(s)
	}
}

// commands is every command, in the order 'sv --help' lists them: the
// everyday ones first, then keys, Helm, git, history, and sv itself.
func commands() []*cli.Command {
	return []*cli.Command{
		encryptCommand(),
		decryptCommand(),
		editCommand(),
		setCommand(),
		unsetCommand(),
		execEnvCommand(),
		execFileCommand(),
		keygenCommand(),
		updatekeysCommand(),
		rotateCommand(),
		statusCommand(),
		checkCommand(),
		helmCommand(),
		pluginCommand(),
		gitCommand(),
		textconvCommand(),
		mergeDriverCommand(),
		logCommand(),
		versionCommand(),
		completionCommand(),
	}
}

func onUsageError(c *cli.Context, err error, isSubcommand bool) error {
	return &usageError{msg: err.Error(), hint: fmt.Sprintf("run '%s --help' for usage", commandPath(c))}
}

// commandPath is the command line that reached c, e.g. "sv git setup". At
// the top level c.Command is the root command, named after the app.
func commandPath(c *cli.Context) string {
	var names []string
	for _, x := range c.Lineage() {
		if x.Command != nil && x.Command.Name != "" && x.Command.Name != x.App.Name {
			names = append([]string{x.Command.Name}, names...)
		}
	}
	return strings.Join(append([]string{"sv"}, names...), " ")
}
