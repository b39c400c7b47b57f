// Package releasetest holds only tests: TestRelease builds a release with
// scripts/release.sh for the host platform and installs its Helm plugin
// packages into real Helm 3 and Helm 4 binaries.
package releasetest
