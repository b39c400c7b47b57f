// Package version is sv's one source of truth for its version.
//
// Version is sv's own release number; the git tag of a release is "v" +
// Version. Plugin is what every Helm plugin manifest (plugin.yaml,
// plugins/*/plugin.yaml, the release packages and the manifests 'sv plugin
// install' writes) carries in its version field: the helm-secrets release
// whose command line and secrets:// contract sv implements, with sv's own
// version as semver build metadata, e.g. "4.7.6+sv.0.1.0".
//
// The helm-secrets part matters: helmfile reads the "secrets" plugin's
// version from plugin.yaml (Masterminds semver) and runs 'helm secrets
// decrypt' when its major version is above 3, 'helm secrets view' (removed
// in helm-secrets 4) otherwise. Build metadata is ignored by semver
// comparisons, so tools see a helm-secrets 4.7.6. 'helmfile init' (v1.8.0)
// also requires at least helm-secrets 4.7.4 and otherwise "updates" the
// plugin, which uninstalls sv; TestHelmSecretsVersion pins that.
//
// A release build may stamp Version with
//
//	go build -ldflags "-X github.com/sv-secrets/sv/internal/version.Version=0.1.0"
//
// scripts/release.sh does so and refuses to run when the stamp and the
// constant below disagree, so the plugin manifests on disk always match.
package version

// Version is sv's version (without a leading "v").
var Version = "0.1.0"

// HelmSecrets is the helm-secrets release sv is a drop-in for.
const HelmSecrets = "4.7.6"

// Plugin returns the version written into every Helm plugin manifest.
func Plugin() string { return HelmSecrets + "+sv." + Version }
