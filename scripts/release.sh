#!/usr/bin/env bash
# Build sv's release artefacts into DIR, offline, with only Go, tar, gzip,
# zip and sha256sum (and gpg when signing):
#
#   scripts/release.sh DIR
#
# For each target (linux, darwin, windows × amd64, arm64):
#   sv_VERSION_OS_ARCH.tar.gz (.zip for windows)   sv, LICENSE, README.md, CHANGELOG.md
#   helm-secrets-sv-VERSION-OS-ARCH.tgz              Helm 3 plugin "secrets" (plugin.yaml at the root)
#   secrets-VERSION-OS-ARCH.tgz                      Helm 4 cli/v1 plugin "secrets" (in secrets/)
#                                                    whose install hook writes "secrets-getter" too
#   secrets-getter-VERSION-OS-ARCH.tgz               Helm 4 getter/v1 plugin "secrets-getter", for
#                                                    people who install the two plugins by hand
# and SHA256SUMS over all of them. Every plugin package carries the static
# sv binary in bin/ (bin/sv.exe on Windows, named directly by the manifest:
# no shell is involved), so `helm plugin install` needs neither Go nor sh.
#
# Binaries are static (CGO_ENABLED=0), built with -trimpath, and stamped
# with the version from internal/version (the one source of truth; the
# plugin manifests carry HELMSECRETS+sv.VERSION, e.g. 4.7.6+sv.0.1.0).
# Archive timestamps come from SOURCE_DATE_EPOCH (default: the last commit).
#
# Environment:
#   SV_RELEASE_TARGETS  space-separated GOOS/GOARCH list (default: all six);
#                       e.g. "$(go env GOOS)/$(go env GOARCH)" for a quick local build
#   SV_VERSION          stamp another version (snapshots); releases use the constant
#   SV_GPG_KEY          gpg key (id or e-mail) to sign with: writes a Helm
#                       provenance file PACKAGE.tgz.prov next to each plugin
#                       package (Helm 4 verifies it on install), SHA256SUMS.asc,
#                       and the public key as sv-release-key.asc
#   GNUPGHOME           as for gpg
#
#   scripts/release.sh --version   prints the version and exits
set -euo pipefail

root=$(CDPATH='' cd -P -- "$(dirname -- "$0")/.." && pwd -P)
cd "$root"

const_version=$(sed -n 's/^var Version = "\(.*\)"$/\1/p' internal/version/version.go)
helm_secrets=$(sed -n 's/^const HelmSecrets = "\(.*\)"$/\1/p' internal/version/version.go)
if [ -z "$const_version" ] || [ -z "$helm_secrets" ]; then
	echo "release.sh: cannot read Version/HelmSecrets from internal/version/version.go" >&2
	exit 1
fi
version=${SV_VERSION:-$const_version}
version=${version#v}
plugin_version="$helm_secrets+sv.$version"

if [ "${1:-}" = "--version" ]; then
	echo "$version"
	exit 0
fi

targets=${SV_RELEASE_TARGETS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"}
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH

# Reproducible tar.gz of the given paths (relative to $1) into $2.
targz() {
	local dir=$1 dest=$2
	shift 2
	tar -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime="@$SOURCE_DATE_EPOCH" --format=ustar -cf - "$@" | gzip -n -9 >"$dest"
}

# Plugin manifest from the repository's manifest $1, with the launcher
# replaced by the binary $2 (bin/sv or bin/sv.exe) and the version stamped.
# The root plugin.yaml's install hooks (which fetch or build bin/sv for a
# git install) and its comments are dropped: a package carries its binary.
manifest() {
	local src=$1 bin=$2 text
	text=$(awk '/^#/ { next } /^[^ -]/ { skip = ($0 ~ /^platformHooks:/) } !skip' "$src" |
		sed -e "s#\${HELM_PLUGIN_DIR}/scripts/sv.sh#\${HELM_PLUGIN_DIR}/$bin#g" \
			-e "s#\$HELM_PLUGIN_DIR/scripts/sv.sh#\$HELM_PLUGIN_DIR/$bin#g" \
			-e "s#scripts/sv.sh#$bin#g" \
			-e "s#command: bin/sv helm downloader#command: $bin helm downloader#" \
			-e "s#^version: .*#version: \"$plugin_version\"#")
	if ! grep -q "$bin" <<<"$text" || grep -q 'sv\.sh\|install\.sh\|install\.ps1' <<<"$text"; then
		echo "release.sh: cannot point $src at $bin" >&2
		exit 1
	fi
	printf '%s\n' "$text"
}

# scripts/release.sh --manifest FILE BIN prints the manifest a package gets
# (for tests).
if [ "${1:-}" = "--manifest" ] && [ $# -eq 3 ]; then
	manifest "$2" "$3"
	exit 0
fi

if [ $# -ne 1 ] || [ "${1#-}" != "$1" ]; then
	echo "usage: scripts/release.sh DIR   (or --version)" >&2
	exit 2
fi
if [ "$version" != "$const_version" ]; then
	echo "release.sh: note: building version $version, internal/version says $const_version (snapshot)" >&2
fi

mkdir -p "$1"
out=$(CDPATH='' cd -P -- "$1" && pwd -P)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ldflags="-s -w -X github.com/sv-secrets/sv/internal/version.Version=$version"
packages=()
for target in $targets; do
	goos=${target%/*} goarch=${target#*/}
	exe=sv
	[ "$goos" = windows ] && exe=sv.exe
	echo "--- $goos/$goarch"
	t="$work/$goos-$goarch"
	mkdir -p "$t/archive"
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOFLAGS=-mod=readonly \
		go build -trimpath -tags urfave_cli_no_docs -ldflags "$ldflags" -o "$t/archive/$exe" .
	cp LICENSE README.md CHANGELOG.md "$t/archive/"
	touch -d "@$SOURCE_DATE_EPOCH" "$t/archive/"*

	base="sv_${version}_${goos}_${goarch}"
	if [ "$goos" = windows ]; then
		(cd "$t/archive" && rm -f "$out/$base.zip" && zip -q -X -9 "$out/$base.zip" "$exe" LICENSE README.md CHANGELOG.md)
		packages+=("$base.zip")
	else
		targz "$t/archive" "$out/$base.tar.gz" "$exe" LICENSE README.md CHANGELOG.md
		packages+=("$base.tar.gz")
	fi

	# Helm 3: plugin.yaml at the root of the archive (Helm 3's URL installer
	# looks only there); installed as plugins/helm-secrets-sv.
	p="$t/helm3"
	mkdir -p "$p/bin"
	cp "$t/archive/$exe" "$p/bin/$exe"
	cp LICENSE "$p/"
	manifest plugin.yaml "bin/$exe" >"$p/plugin.yaml"
	touch -d "@$SOURCE_DATE_EPOCH" "$p/bin" "$p/"*
	name="helm-secrets-sv-$version-$goos-$goarch.tgz"
	targz "$p" "$out/$name" plugin.yaml bin LICENSE
	packages+=("$name")

	# Helm 4: one package per plugin type, in a directory named after the
	# plugin (Helm 4 installs a local archive from that directory). The
	# secrets package's manifest (plugins/secrets/plugin.release.yaml) has
	# install and update hooks, "${HELM_PLUGIN_DIR}/bin/sv plugin
	# install-getter", that write the secrets-getter plugin beside it,
	# running the same (verified) binary: one `helm plugin install` gives
	# Helm 4 users `helm secrets` and secrets:// URLs.
	for plugin in secrets secrets-getter; do
		p="$t/helm4/$plugin"
		src="plugins/$plugin/plugin.yaml"
		[ "$plugin" = secrets ] && src=plugins/secrets/plugin.release.yaml
		mkdir -p "$p/bin"
		cp "$t/archive/$exe" "$p/bin/$exe"
		cp LICENSE "$p/"
		manifest "$src" "bin/$exe" >"$p/plugin.yaml"
		touch -d "@$SOURCE_DATE_EPOCH" "$p" "$p/bin" "$p/"*
		name="$plugin-$version-$goos-$goarch.tgz"
		targz "$t/helm4" "$out/$name" "$plugin"
		packages+=("$name")
	done
done

# Helm provenance: the plugin's metadata, "...", then the package's SHA-256
# under the file name it is published as, clear-signed (the format of
# `helm plugin package --sign`, which names the file <name>-<version>.tgz).
if [ -n "${SV_GPG_KEY:-}" ]; then
	echo "--- signing with $SV_GPG_KEY"
	for f in "${packages[@]}"; do
		case $f in *.tgz) ;; *) continue ;; esac
		meta=$(tar -xzf "$out/$f" -O --wildcards '*plugin.yaml' | sed -n -e 's/^\(name\|version\|type\|apiVersion\): .*/&/p')
		sum=$(sha256sum "$out/$f" | cut -d' ' -f1)
		printf '%s\n...\nfiles:\n  %s: sha256:%s\n' "$meta" "$f" "$sum" |
			gpg --batch --yes --quiet --local-user "$SV_GPG_KEY" --digest-algo SHA256 --clearsign >"$out/$f.prov"
		packages+=("$f.prov")
	done
	gpg --batch --yes --armor --export "$SV_GPG_KEY" >"$out/sv-release-key.asc"
	packages+=("sv-release-key.asc")
fi

(cd "$out" && sha256sum "${packages[@]}" >SHA256SUMS)
if [ -n "${SV_GPG_KEY:-}" ]; then
	gpg --batch --yes --quiet --local-user "$SV_GPG_KEY" --armor --detach-sign -o "$out/SHA256SUMS.asc" "$out/SHA256SUMS"
fi
echo "--- $out"
(cd "$out" && ls -l "${packages[@]}" SHA256SUMS)
