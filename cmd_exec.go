package main

// The CI side: hand decrypted values to a command as environment variables
// or as a short-lived file.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/sv-secrets/sv/internal/child"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/urfave/cli/v2"
)

func execEnvCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec-env",
		Usage:     "run a command with files' values as environment variables",
		ArgsUsage: "FILE... -- CMD [ARG...]",
		Description: `Decrypts FILE and runs CMD with every value of the file added to its
environment (overriding variables of the same name). Nothing is written to
disk. CMD's exit status becomes sv's; signals sv receives (INT, TERM, HUP,
QUIT) are passed on to CMD.

With several files (list them before "--") a later file's variable
replaces an earlier file's of the same name; each such override is noted
on stderr by name and YAML path, never value. If any file fails, all
failures are named and nothing is run.

Names: the path of each value, keys joined by '_' and upper-cased, every
character other than A-Z and 0-9 turned into '_', list items adding their
index, and --prefix in front:

   db.password        -> DB_PASSWORD
   api-keys.stripe    -> API_KEYS_STRIPE
   hosts[1]           -> HOSTS_1

Null values are left out. Values are the text of the YAML scalar (true,
5432, the string itself). Two values that map to one name, a name starting
with a digit, and a value containing a NUL byte are errors naming the
paths; nothing is run then. A value may not set PATH, HOME, IFS,
LD_* and other variables that change which program runs or how (a values
file anyone can push would otherwise run code in CI): such a value is an
error unless --allow-env NAME says the file is meant to set it.

The command does not get sv's key variables (SOPS_AGE_KEY,
SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, SOPS_AGE_SSH_PRIVATE_KEY_FILE)
unless --pass-keys.

Example:
   sv exec-env secrets.yaml -- ./deploy.sh
   sv exec-env common.enc.yaml prod.enc.yaml -- ./deploy.sh
   sv exec-env --prefix APP_ values.prod.yaml -- sh -c 'echo "$APP_DB_HOST"'`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "prefix", Usage: "put `PREFIX` in front of every variable name"},
			&cli.StringSliceFlag{Name: "allow-env", Usage: "let the file set the variable `NAME` although it is protected (PATH, HOME, LD_*…; repeatable)"},
			passKeysFlag,
		},
		Action: execEnvAction,
	}
}

func execFileCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec-file",
		Usage:     "run a command with a file's plaintext in a short-lived private file",
		ArgsUsage: "FILE -- CMD [ARG...]",
		Description: `Decrypts FILE into a file named like it (mode 0600) in a new private
directory (mode 0700, on /dev/shm where it exists, so in memory), runs CMD
with every {} in its arguments replaced by that file's path, and removes
the directory when CMD exits, whatever its exit status, and also when sv
is interrupted (INT, TERM, HUP and QUIT are passed on to CMD, then the
file is removed). CMD's exit status becomes sv's.

With --fifo the plaintext goes through a named pipe instead and never
sits in a file. Like a shell's <(…), it can be read once: the first open
gets the whole plaintext and removes the name. Programs that read a file
twice, seek or check its size need the default.

The command does not get sv's key variables (SOPS_AGE_KEY*,
SOPS_AGE_SSH_PRIVATE_KEY_FILE) unless --pass-keys.

Example:
   sv exec-file values.prod.yaml -- helm upgrade app ./chart -f {}
   sv exec-file --fifo kubeconfig.enc.yaml -- kubectl --kubeconfig {} get pods`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "fifo", Usage: "serve the plaintext once through a named pipe instead of a file"},
			passKeysFlag,
		},
		Action: execFileAction,
	}
}

// fileAndCommand splits FILE [--] CMD ARG... .
func fileAndCommand(c *cli.Context) (string, []string, error) {
	args := c.Args().Slice()
	usage := &usageError{msg: c.Command.Name + " needs FILE -- CMD [ARG...]", hint: "run 'sv " + c.Command.Name + " --help' for usage"}
	if len(args) < 2 {
		return "", nil, usage
	}
	file, cmd := args[0], args[1:]
	if cmd[0] == "--" {
		cmd = cmd[1:]
	}
	if len(cmd) == 0 {
		return "", nil, usage
	}
	return file, cmd, nil
}

// filesAndCommand splits exec-env's FILE... -- CMD ARG...: everything before
// the first "--" is a file. Without "--", the first argument is the file and
// the rest the command (sv exec-env FILE CMD, as before several files).
func filesAndCommand(c *cli.Context) ([]string, []string, error) {
	args := c.Args().Slice()
	usage := &usageError{msg: c.Command.Name + " needs FILE... -- CMD [ARG...]", hint: "run 'sv " + c.Command.Name + " --help' for usage"}
	var files, cmd []string
	for i, a := range args {
		if a == "--" {
			files, cmd = args[:i], args[i+1:]
			break
		}
	}
	if files == nil && cmd == nil {
		if len(args) < 2 {
			return nil, nil, usage
		}
		files, cmd = args[:1], args[1:]
	}
	if len(files) == 0 || len(cmd) == 0 {
		return nil, nil, usage
	}
	return files, cmd, nil
}

// execEnvAction runs the command with the files' values added to its
// environment. Overrides between files are noted by name and path, never
// value; if any file fails, every failure is named and nothing runs.
func execEnvAction(c *cli.Context) error {
	files, argv, err := filesAndCommand(c)
	if err != nil {
		return err
	}
	stderr := c.App.ErrWriter
	vars, per, err := secretfile.EnvFromFiles(files, secretfile.EnvOptions{Prefix: c.String("prefix"), Allow: c.StringSlice("allow-env"), Keys: newKeys()})
	if err != nil {
		return err
	}
	probs := &fileProblems{verb: "read", total: len(files)}
	for _, f := range per {
		for _, w := range f.Warnings {
			warnf(stderr, "%s: %s", f.File, w)
		}
		for _, o := range f.Overrides {
			notef(stderr, "%s: %s (%s) overrides the value from %s (%s)", f.File, o.Name, o.Path, o.PrevFile, o.PrevPath)
		}
		var pe *secretfile.ProtectedError
		if errors.As(f.Err, &pe) {
			f.Err = secretfile.WithFile(f.File, withHint(pe, "use --prefix, rename the key, or pass --allow-env "+pe.Name+" if the file is meant to set it"))
		}
		if f.Err != nil {
			probs.add(f.File, f.Err)
		}
	}
	if err := probs.err(); err != nil {
		if len(files) > 1 {
			return fmt.Errorf("%w; nothing was run", err)
		}
		return err
	}
	env := childEnv(os.Environ(), c.Bool("pass-keys"))
	for _, v := range vars {
		env = append(env, v.Name+"="+v.Value)
	}
	sigs := child.Catch()
	defer sigs.Stop()
	return runChild(c, argv, env, sigs)
}

func execFileAction(c *cli.Context) error {
	file, argv, err := fileAndCommand(c)
	if err != nil {
		return err
	}
	found := false
	for _, a := range argv {
		found = found || strings.Contains(a, "{}")
	}
	if !found {
		return &usageError{msg: "exec-file needs {} in the command, where the plaintext file's path goes", hint: "e.g. sv exec-file values.yaml -- helm template ./chart -f {}"}
	}
	dec, err := secretfile.DecryptFile(file, secretfile.DecryptOptions{Keys: newKeys()})
	if err != nil {
		return err
	}
	// Catch signals before any plaintext exists, so an interrupt can never
	// leave it behind.
	sigs := child.Catch()
	defer sigs.Stop()
	plain, err := secretfile.NewPlainFile(file, dec.Text, c.Bool("fifo"))
	if err != nil {
		return err
	}
	defer plain.Remove()
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = strings.ReplaceAll(a, "{}", plain.Path)
	}
	return runChild(c, args, childEnv(os.Environ(), c.Bool("pass-keys")), sigs)
}

// runChild runs argv with env and sv's standard streams under
// internal/child's policy: signals passed on, the child's exit status
// becomes sv's (128+N if signal N ended it; 127 or 126 if it cannot start).
func runChild(c *cli.Context, argv, env []string, sigs *child.Forwarder) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.App.Reader, c.App.Writer, c.App.ErrWriter
	return sigs.Run(cmd)
}
