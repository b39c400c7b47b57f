package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sv-secrets/sv/helmplugin"
	"github.com/urfave/cli/v2"
)

// sv plugin: install sv into Helm as the "secrets" plugin. The plugin
// files are written by helmplugin; here are the flags and the messages.

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

// detectHelm is the helm of --helm (else $HELM_SECRETS_HELM_PATH,
// $HELM_BIN, helm on PATH).
func detectHelm(c *cli.Context, needVersion bool) (*helmplugin.Helm, error) {
	if c.NArg() > 0 {
		return nil, &usageError{msg: fmt.Sprintf("unexpected argument %q", c.Args().First()), hint: "pass the helm binary with --helm PATH"}
	}
	h, err := helmplugin.Detect(helmplugin.HelmBinary(c.String("helm")), needVersion)
	var nf *helmplugin.NotFoundError
	if errors.As(err, &nf) {
		return nil, withHint(err, "pass --helm PATH or set HELM_BIN")
	}
	return h, err
}

func pluginInstallAction(c *cli.Context) error {
	h, err := detectHelm(c, true)
	if err != nil {
		return err
	}
	exe, err := helmplugin.Executable()
	if err != nil {
		return err
	}
	dirs, err := h.Install(exe)
	if err != nil {
		var ce *helmplugin.ConflictError
		if errors.As(err, &ce) {
			return withHint(err, fmt.Sprintf("sv replaces helm-secrets; remove the other plugin first: %s plugin uninstall %s", h.Bin, ce.Name))
		}
		return err
	}
	for _, d := range dirs {
		fmt.Fprintf(c.App.ErrWriter, "sv: installed %s\n", d)
	}
	fmt.Fprintf(c.App.ErrWriter, "sv: Helm %s runs %s for 'helm secrets' and secrets:// URLs\n", h.Version, exe)
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
	exe, err := helmplugin.Executable()
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
	removed, err := helmplugin.Uninstall(h.PluginsDir)
	if err != nil {
		return err
	}
	if len(removed) == 0 {
		fmt.Fprintf(c.App.ErrWriter, "sv: no plugin installed by sv in %s\n", h.PluginsDir)
		return nil
	}
	for _, d := range removed {
		fmt.Fprintf(c.App.ErrWriter, "sv: removed %s\n", d)
	}
	return nil
}
