// Package releasetest holds only tests of what users install: TestRelease
// builds a release with scripts/release.sh for the host platform and
// installs its archive and Helm plugin packages into real Helm 3 and Helm 4
// binaries; TestGitInstall installs the repository's root plugin the
// helm-secrets way (helm plugin install <git repository> --version), whose
// install hook downloads that release from a server on 127.0.0.1; and
// TestPluginManifests checks every plugin manifest against Helm 3's and
// Helm 4's loaders and platform selection, windows included. The release
// is built once for the package (buildRelease).
package releasetest
