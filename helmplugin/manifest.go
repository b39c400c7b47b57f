package helmplugin

import (
	"fmt"
	"strings"

	"github.com/sv-secrets/sv/internal/version"
)

// PluginVersion is the version written into every plugin.yaml: strict
// semver (Helm 4 requires it) that helmfile reads as helm-secrets 4.x,
// with sv's version as build metadata. internal/version is the source of
// truth; a test checks the manifests in the repository agree.
var PluginVersion = version.Plugin()

// Plugin names. Helm 3 gets one plugin, Helm 4 one per plugin type.
const (
	NameCLI    = "secrets"        // `helm secrets …`; on Helm 3 also the downloader
	NameGetter = "secrets-getter" // Helm 4's getter/v1 plugin for secrets:// URLs
)

// Launchers: the executable a plugin.yaml runs, relative to the plugin
// directory, because Helm joins a downloader command onto the plugin
// directory and does not expand variables in it (Helm 3), or expands them
// and then joins (Helm 4).
const (
	// LauncherInstalled is the symlink `sv plugin install` creates, pointing
	// at the sv binary that ran the install.
	LauncherInstalled = "bin/sv"
	// LauncherCheckout is the shell script of a source checkout installed
	// with `helm plugin install DIR`: it runs a binary built in the
	// checkout, else $SV_BIN, else sv from PATH.
	LauncherCheckout = "scripts/sv.sh"
	// InstallHookCheckout is the install and update hook of a source
	// checkout's plugins (the root plugin.yaml on Helm 3, plugins/secrets
	// on Helm 4): it finds, builds or downloads the sv that LauncherInstalled
	// then runs.
	InstallHookCheckout = "scripts/install.sh"
)

// WrapperScript is the path, relative to a plugin directory, of the helm
// wrapper that helm-secrets' Argo CD recipe links over helm
// ("$(helm secrets dir)/scripts/wrapper/helm.sh").
const WrapperScript = "scripts/wrapper/helm.sh"

// wrapperScript is the content of scripts/wrapper/helm.sh (a test keeps
// the two equal).
const wrapperScript = `#!/usr/bin/env sh
# sv's stand-in for helm-secrets' scripts/wrapper/helm.sh. Argo CD images
# link it over the helm binary (ln -sf …/scripts/wrapper/helm.sh
# /usr/local/sbin/helm) so that every "helm template" Argo CD runs becomes
# "helm secrets template" when HELM_SECRETS_WRAPPER_ENABLED=true (and stays a
# plain helm call otherwise). HELM_SECRETS_HELM_PATH must name the real helm
# binary; a helm that resolves back to this script is refused instead of
# looping.
helm="${HELM_SECRETS_HELM_PATH:-${HELM_BIN:-helm}}"
case "$helm" in
*/*) ;;
*) helm=$(command -v "$helm" 2>/dev/null || printf '%s' "$helm") ;;
esac
self=$(readlink -f "$0" 2>/dev/null || printf '%s' "$0")
if [ "$(readlink -f "$helm" 2>/dev/null || printf '%s' "$helm")" = "$self" ]; then
	echo "sv: error: the helm wrapper would run itself ($helm): set HELM_SECRETS_HELM_PATH to the real helm binary" >&2
	exit 1
fi
if [ "${HELM_SECRETS_WRAPPER_ENABLED:-}" = "true" ]; then
	exec "$helm" secrets "$@"
fi
exec "$helm" "$@"
`

// Marker is the first line of every plugin.yaml sv writes itself, so
// install and uninstall never touch a plugin they did not create.
const Marker = "# Written by 'sv plugin install'; 'sv plugin uninstall' removes it."

const usage = "run helm with encrypted values files: helm secrets <helm command> [args] -f FILE (sv)"

const description = `Encrypted values files for Helm with sv, decrypted in memory: no plaintext
file is ever written. Run 'helm secrets help' for the commands and the
secrets:// URL forms.`

// LegacyManifest is the Helm 3 plugin.yaml (no apiVersion): the secrets
// command plus a downloader for every protocol. Helm 4 loads this file
// too, but as a getter only.
func LegacyManifest(launcher string, marker bool) []byte {
	var b strings.Builder
	if marker {
		b.WriteString(Marker + "\n")
	}
	fmt.Fprintf(&b, `name: %s
version: %q
usage: %q
description: |-
%s
ignoreFlags: false
platformCommand:
  - command: $HELM_PLUGIN_DIR/%s
    args: [helm]
downloaders:
  - command: %s helm downloader
    protocols:
%s`, NameCLI, PluginVersion, usage, indent(description, "  "), launcher, launcher, protocolList("      "))
	return []byte(b.String())
}

// InstallGetterArgs are the arguments of the hidden command that the Helm
// 4 release package's install hook runs: it writes the secrets-getter
// plugin next to the secrets plugin (InstallGetter), so one `helm plugin
// install` gives Helm 4 both `helm secrets` and secrets:// URLs.
var InstallGetterArgs = []string{"plugin", "install-getter"}

// CLIManifest is Helm 4's `secrets` plugin (cli/v1).
func CLIManifest(launcher string, marker bool) []byte {
	return cliManifest(launcher, marker)
}

// ReleaseCLIManifest is the `secrets` plugin (cli/v1) of the Helm 4
// release package: CLIManifest plus install and update hooks that run the
// package's own binary with InstallGetterArgs. Helm 4 runs a v1 plugin's
// platformHooks after `helm plugin install` (and `update`) with
// HELM_PLUGIN_DIR set, and expands variables in the hook's command; the
// launcher is the binary itself (bin/sv, bin/sv.exe on Windows), so no
// shell is involved. There is no delete hook: Helm runs it after removing
// the plugin directory, binary included, so it could only fail; the
// getter goes with `helm plugin uninstall secrets secrets-getter`.
func ReleaseCLIManifest(launcher string) []byte {
	return cliManifest(launcher, false,
		hook{"install", launcher, InstallGetterArgs},
		hook{"update", launcher, InstallGetterArgs})
}

// CheckoutCLIManifest is plugins/secrets/plugin.yaml, the `secrets` plugin
// (cli/v1) that `helm plugin install ./plugins/secrets` installs into Helm
// 4 from a source checkout. Like the root plugin.yaml on Helm 3 it runs
// LauncherInstalled, which its install hook puts in place with
// InstallHookCheckout (a link to LauncherCheckout when an sv is found, else
// an sv built or downloaded); the hook's "getter" argument then has that
// launcher run InstallGetterArgs, as the release package's hook does, so
// one install gives Helm 4 both `helm secrets` and secrets:// URLs. Helm 4
// expands variables in a v1 hook's command but not in its arguments, so
// the script is the command (run through its #! line: Linux and macOS).
// No update hook: Helm 4 cannot update a plugin installed from a
// directory (it is a link to the checkout, current already).
func CheckoutCLIManifest() []byte {
	return cliManifest(LauncherInstalled, false, hook{"install", InstallHookCheckout, []string{"install", "getter"}})
}

// hook is one platformHooks entry: on event, Helm runs
// ${HELM_PLUGIN_DIR}/command with args.
type hook struct {
	event, command string
	args           []string
}

// cliManifest is the cli/v1 manifest running launcher, with hooks.
func cliManifest(launcher string, marker bool, hooks ...hook) []byte {
	var b strings.Builder
	if marker {
		b.WriteString(Marker + "\n")
	}
	fmt.Fprintf(&b, `apiVersion: v1
type: cli/v1
name: %s
version: %s
runtime: subprocess
config:
  usage: "secrets <helm command> [args]"
  shortHelp: %q
  longHelp: |-
%s
  ignoreFlags: false
runtimeConfig:
  platformCommand:
    - command: ${HELM_PLUGIN_DIR}/%s
      args: [helm]
`, NameCLI, PluginVersion, usage, indent(description, "    "), launcher)
	if len(hooks) > 0 {
		b.WriteString("  platformHooks:\n")
		for _, h := range hooks {
			fmt.Fprintf(&b, "    %s:\n      - command: ${HELM_PLUGIN_DIR}/%s\n        args: [%s]\n",
				h.event, h.command, strings.Join(h.args, ", "))
		}
	}
	return []byte(b.String())
}

// GetterManifest is Helm 4's `secrets-getter` plugin (getter/v1).
func GetterManifest(launcher string, marker bool) []byte {
	var b strings.Builder
	if marker {
		b.WriteString(Marker + "\n")
	}
	fmt.Fprintf(&b, `apiVersion: v1
type: getter/v1
name: %s
version: %s
runtime: subprocess
config:
  protocols:
%sruntimeConfig:
  protocolCommands:
    - protocols:
%s      platformCommand:
        - command: %s
          args: [helm, downloader]
`, NameGetter, PluginVersion, protocolList("    "), protocolList("        "), launcher)
	return []byte(b.String())
}

func protocolList(prefix string) string {
	var b strings.Builder
	for _, p := range Protocols {
		fmt.Fprintf(&b, "%s- %s\n", prefix, p)
	}
	return b.String()
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
