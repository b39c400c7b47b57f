#!/bin/sh
# Install and update hook of sv's Helm plugins that are installed from
# source rather than from a release package:
#
#   helm plugin install https://github.com/sv-secrets/sv --version v0.1.0
#   helm plugin install .                  # a checkout, Helm 3
#   helm plugin install ./plugins/secrets  # a checkout, Helm 4
#
# (Helm 3.18+ clones the repository, or links the checkout, and runs this
# through the root manifest's platformHooks; Helm 4 runs it through
# plugins/secrets/plugin.yaml's, whose scripts/ links to this directory).
# It puts the program the plugin runs at bin/sv in the plugin directory
# ($HELM_PLUGIN_DIR; the source is the directory above this script), in
# this order:
#
#  1. bin/sv is there already and reports the plugin's version (or is the
#     link to scripts/sv.sh made by step 3): kept.
#  2. SV_BUILD_FROM_SOURCE=1: built from the source with go.
#  3. An sv that scripts/sv.sh would run is there ($SV_BIN, ./sv built in the
#     checkout, sv on PATH), SV_BUILD_FROM_SOURCE is not 0 and SV_RELEASE_URL
#     is not set: bin/sv becomes a link to scripts/sv.sh, which runs that sv
#     (a source checkout installed with `helm plugin install .`, or sv
#     installed already).
#  4. Else the release archive for this OS/arch and the plugin.yaml's
#     version is downloaded from $SV_RELEASE_URL (default: the GitHub
#     release of that version; a mirror or a test server holds the files of
#     one release), checked against the release's SHA256SUMS, and its sv is
#     unpacked to bin/sv. If that release does not exist (HTTP 404) and this
#     is a source checkout with go on PATH, sv is built from source instead.
#
# With a second argument "getter" (Helm 4's plugins/secrets), bin/sv then
# runs `sv plugin install-getter`, which writes the secrets-getter plugin
# (secrets:// URLs) next to this one, running the sv that bin/sv ran, as
# the release package's own install hook does: Helm 4 allows one plugin
# type per plugin.
#
# Needs sh, curl or wget, tar with gzip, sha256sum or shasum, uname. Any
# failure is one "sv: error: …" line and leaves nothing behind: no bin/sv,
# no download, and on "install" (the first argument, from plugin.yaml) not
# the plugin either when it is Helm's own copy in $HELM_PLUGINS (a git
# install; never a symlink to a checkout), so the same `helm plugin install`
# can simply be run again. If install-getter fails (a secrets-getter
# plugin sv did not write is in the way), its message is the error and the
# hook fails; bin/sv is sound and stays. scripts/install.ps1 is the same
# for Windows, without "getter".
set -u
event=${1:-install}
getter=${2:-}

die() {
	if [ "$event" = install ] && [ -n "${HELM_PLUGINS:-}" ] && [ -n "${dir:-}" ] && [ ! -L "$dir" ] &&
		[ -d "$dir/.git" ] && [ "$(CDPATH='' cd -P -- "$dir/.." 2>/dev/null && pwd -P)" = "$(CDPATH='' cd -P -- "$HELM_PLUGINS" 2>/dev/null && pwd -P)" ]; then
		rm -rf "$dir"
		echo "sv: error: $*; the plugin is not installed" >&2
	else
		echo "sv: error: $*" >&2
	fi
	exit 1
}

# root: the source (a git clone or a checkout), the directory above this
# script. dir: the plugin's directory, the same unless Helm 4 installed
# plugins/secrets, which links scripts/ to root/scripts.
root=$(CDPATH='' cd -P -- "$(dirname -- "$0")/.." && pwd -P) || exit 1
dir=${HELM_PLUGIN_DIR:-$root}
[ -f "$dir/plugin.yaml" ] || die "the plugin directory $dir has no plugin.yaml"

# The plugin version is HELMSECRETS+sv.VERSION; the release is VERSION.
version=
while IFS= read -r line; do
	case $line in
	version:*)
		version=${line#version:}
		version=${version#*+sv.}
		version=${version%\"}
		version=${version%\'}
		version=${version%"${version##*[! ]}"}
		break
		;;
	esac
done <"$dir/plugin.yaml"
[ -n "$version" ] || die "cannot read the sv version from $dir/plugin.yaml"

bin=$dir/bin/sv

# finish: bin/sv is in place; with "getter", it writes the secrets-getter
# plugin (its own error message is the hook's).
finish() {
	if [ "$getter" = getter ]; then
		"$bin" plugin install-getter || exit 1
	fi
	exit 0
}

# 1. Keep what is there.
if [ -L "$bin" ] && [ "$(readlink "$bin")" = ../scripts/sv.sh ]; then
	finish
fi
if [ -x "$bin" ] && [ ! -d "$bin" ]; then
	case $("$bin" --version 2>/dev/null) in
	"sv $version "*) finish ;;
	esac
fi

src=no
[ -f "$root/go.mod" ] && [ -f "$root/main.go" ] && src=yes

build() {
	[ "$src" = yes ] || die "$root is not a source checkout of sv: cannot build sv (unset SV_BUILD_FROM_SOURCE)"
	command -v go >/dev/null 2>&1 || die "go is not on PATH: cannot build sv from $root"
	echo "sv: building $bin from source in $root" >&2
	mkdir -p "$dir/bin" || exit 1
	(cd "$root" && CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -o "$dir/bin/.sv.new" .) || {
		rm -f "$dir/bin/.sv.new"
		die "go build failed in $root"
	}
	mv -f "$dir/bin/.sv.new" "$bin" || exit 1
	finish
}

# 2. Build on request.
[ "${SV_BUILD_FROM_SOURCE:-}" = 1 ] && build

# 3. An sv the launcher finds.
if [ "${SV_BUILD_FROM_SOURCE:-}" != 0 ] && [ -z "${SV_RELEASE_URL:-}" ]; then
	found=
	if [ -n "${SV_BIN:-}" ]; then
		found=$SV_BIN
	elif [ -x "$root/sv" ] && [ -f "$root/sv" ]; then
		found=$root/sv
	elif command -v sv >/dev/null 2>&1; then
		found=$(command -v sv)
	fi
	if [ -n "$found" ]; then
		mkdir -p "$dir/bin" && rm -f "$bin" && ln -s ../scripts/sv.sh "$bin" || exit 1
		echo "sv: the plugin runs $found (through scripts/sv.sh); nothing downloaded" >&2
		finish
	fi
fi

# 4. Download the release.
case $(uname -s) in
Linux) os=linux ;;
Darwin) os=darwin ;;
*) die "no sv release for $(uname -s): install sv first (https://github.com/sv-secrets/sv#install), then run this again" ;;
esac
case $(uname -m) in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) die "no sv release for $(uname -m) processors: install sv first (https://github.com/sv-secrets/sv#install)" ;;
esac
base=${SV_RELEASE_URL:-https://github.com/sv-secrets/sv/releases/download/v$version}
base=${base%/}
archive=sv_${version}_${os}_${arch}.tar.gz

mkdir -p "$dir/bin" || exit 1
tmp=$dir/bin/.sv-install.$$
cleanup() {
	rm -rf "$tmp"
	rmdir "$dir/bin" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
mkdir "$tmp" || exit 1

# fetch URL FILE: 0, or 2 for "the server has no such file", or 1.
fetch() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsL --proto '=https,http' --connect-timeout 20 --retry 2 -o "$2" "$1"
		rc=$?
		case $rc in
		0) return 0 ;;
		22) why="the server answered with an HTTP error (no such release?)" ;;
		6) why="cannot resolve the host" ;;
		7) why="cannot connect to the server" ;;
		28) why="timed out" ;;
		*) why="curl exit status $rc" ;;
		esac
	elif command -v wget >/dev/null 2>&1; then
		wget -q -T 20 -O "$2" "$1"
		rc=$?
		case $rc in
		0) return 0 ;;
		8) why="the server answered with an HTTP error (no such release?)" ;;
		4) why="network failure (cannot connect?)" ;;
		*) why="wget exit status $rc" ;;
		esac
	else
		die "neither curl nor wget is on PATH: cannot download sv"
	fi
	[ "$rc" = 22 ] || [ "$rc" = 8 ] && return 2
	return 1
}

fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS"
rc=$?
if [ $rc = 2 ] && [ "$src" = yes ] && command -v go >/dev/null 2>&1; then
	echo "sv: no release $version at $base: building from source instead" >&2
	rm -rf "$tmp"
	build
fi
[ $rc = 0 ] || die "cannot download $base/SHA256SUMS: $why"
fetch "$base/$archive" "$tmp/$archive" || die "cannot download $base/$archive: $why"

want=
while read -r sum name; do
	[ "${name#\*}" = "$archive" ] && want=$sum
done <"$tmp/SHA256SUMS"
[ -n "$want" ] || die "$base/SHA256SUMS has no line for $archive"
if command -v sha256sum >/dev/null 2>&1; then
	got=$(sha256sum "$tmp/$archive")
elif command -v shasum >/dev/null 2>&1; then
	got=$(shasum -a 256 "$tmp/$archive")
else
	die "neither sha256sum nor shasum is on PATH: cannot check the download"
fi
got=${got%% *}
[ "$got" = "$want" ] || die "$archive from $base does not match its SHA256SUMS line (got sha256 $got): nothing installed"

tar -xzf "$tmp/$archive" -C "$tmp" sv || die "cannot unpack sv from $archive"
[ -f "$tmp/sv" ] || die "$archive has no sv"
mv -f "$tmp/sv" "$bin" || exit 1
echo "sv: installed sv $version ($os/$arch) from $base, SHA-256 checked" >&2
trap - EXIT
cleanup
finish
