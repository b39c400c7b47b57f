# Install and update hook of the Helm plugin in the repository root on
# Windows (Helm 3.18+ and Helm 4 run it through the manifest's platformHooks
# entry for os "windows", with Windows PowerShell 5.1 or PowerShell 7; no sh
# is needed). It does what scripts/install.sh does:
#
#  1. bin\sv.exe is there already and reports the plugin's version: kept.
#  2. SV_BUILD_FROM_SOURCE=1: built from this checkout with go.
#  3. Else the release zip for this architecture and the plugin.yaml's
#     version is downloaded from $env:SV_RELEASE_URL (default: the GitHub
#     release of that version), checked against the release's SHA256SUMS,
#     and its sv.exe is unpacked to bin\sv.exe.
#
# Any failure is one "sv: error: ..." line and leaves nothing behind: on
# "install" (the argument plugin.yaml passes) not even Helm's own copy of
# the plugin in $env:HELM_PLUGINS (a git install, never a link to a
# checkout), so the same `helm plugin install` can be run again.
# Not run by the test suite (no Windows machine); the manifest entries that
# start it are checked against Helm's own loaders and platform selection.
param([string]$HookEvent = 'install')
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
# Windows PowerShell 5.1 may default to TLS 1.0/1.1, which GitHub refuses.
try { [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12 } catch { }

function Fail([string]$msg) {
	$item = $null
	if ($dir) { $item = Get-Item -LiteralPath $dir -ErrorAction SilentlyContinue }
	if ($HookEvent -eq 'install' -and $env:HELM_PLUGINS -and $item -and -not $item.LinkType -and
		(Test-Path -LiteralPath (Join-Path $dir '.git')) -and
		((Resolve-Path -LiteralPath $item.Parent.FullName).Path -eq (Resolve-Path -LiteralPath $env:HELM_PLUGINS).Path)) {
		Set-Location -LiteralPath $env:HELM_PLUGINS
		Remove-Item -Recurse -Force -LiteralPath $dir -ErrorAction SilentlyContinue
		$msg = "$msg; the plugin is not installed"
	}
	[Console]::Error.WriteLine("sv: error: $msg")
	exit 1
}

$dir = $env:HELM_PLUGIN_DIR
if (-not $dir) { $dir = Split-Path -Parent $PSScriptRoot }
$manifest = Join-Path $dir 'plugin.yaml'
if (-not (Test-Path -LiteralPath $manifest)) { Fail "the plugin directory $dir has no plugin.yaml" }

$version = $null
foreach ($line in Get-Content -LiteralPath $manifest) {
	if ($line -match '^version:\s*["'']?([^"'']+)["'']?\s*$') {
		$version = $Matches[1] -replace '^.*\+sv\.', ''
		break
	}
}
if (-not $version) { Fail "cannot read the sv version from $manifest" }

$binDir = Join-Path $dir 'bin'
$exe = Join-Path $binDir 'sv.exe'

# 1. Keep what is there.
if (Test-Path -LiteralPath $exe -PathType Leaf) {
	try { $have = & $exe --version 2>$null } catch { $have = '' }
	if ("$have" -like "sv $version *") { exit 0 }
}

# 2. Build on request.
if ($env:SV_BUILD_FROM_SOURCE -eq '1') {
	if (-not (Test-Path -LiteralPath (Join-Path $dir 'go.mod'))) { Fail "$dir is not a source checkout of sv: cannot build sv (unset SV_BUILD_FROM_SOURCE)" }
	if (-not (Get-Command go -ErrorAction SilentlyContinue)) { Fail "go is not on PATH: cannot build sv from $dir" }
	[Console]::Error.WriteLine("sv: building bin\sv.exe from source in $dir")
	New-Item -ItemType Directory -Force -Path $binDir | Out-Null
	Push-Location $dir
	$env:CGO_ENABLED = '0'
	& go build -trimpath -tags urfave_cli_no_docs -o bin\sv.exe .
	$rc = $LASTEXITCODE
	Pop-Location
	if ($rc -ne 0) { Fail "go build failed in $dir" }
	exit 0
}

# 3. Download the release.
switch ($env:PROCESSOR_ARCHITECTURE) {
	'AMD64' { $arch = 'amd64' }
	'ARM64' { $arch = 'arm64' }
	default { Fail "no sv release for $($env:PROCESSOR_ARCHITECTURE) processors: install sv first (https://github.com/sv-secrets/sv#install)" }
}
$base = $env:SV_RELEASE_URL
if (-not $base) { $base = "https://github.com/sv-secrets/sv/releases/download/v$version" }
$base = $base.TrimEnd('/')
$zip = "sv_${version}_windows_${arch}.zip"

$madeBin = -not (Test-Path -LiteralPath $binDir)
$tmp = Join-Path $binDir ".sv-install.$PID"
$ok = $false
try {
	New-Item -ItemType Directory -Force -Path $tmp | Out-Null
	try {
		Invoke-WebRequest -UseBasicParsing -Uri "$base/SHA256SUMS" -OutFile (Join-Path $tmp 'SHA256SUMS')
	} catch { Fail "cannot download $base/SHA256SUMS: $($_.Exception.Message)" }
	try {
		Invoke-WebRequest -UseBasicParsing -Uri "$base/$zip" -OutFile (Join-Path $tmp $zip)
	} catch { Fail "cannot download $base/${zip}: $($_.Exception.Message)" }

	$want = $null
	foreach ($line in Get-Content -LiteralPath (Join-Path $tmp 'SHA256SUMS')) {
		$f = $line -split '\s+', 2
		if ($f.Count -eq 2 -and $f[1].TrimStart('*') -eq $zip) { $want = $f[0] }
	}
	if (-not $want) { Fail "$base/SHA256SUMS has no line for $zip" }
	$got = (Get-FileHash -Algorithm SHA256 -LiteralPath (Join-Path $tmp $zip)).Hash
	if ($got -ne $want) { Fail "$zip from $base does not match its SHA256SUMS line (got sha256 $($got.ToLower())): nothing installed" }

	Expand-Archive -LiteralPath (Join-Path $tmp $zip) -DestinationPath (Join-Path $tmp 'x') -Force
	$new = Join-Path $tmp 'x\sv.exe'
	if (-not (Test-Path -LiteralPath $new -PathType Leaf)) { Fail "$zip has no sv.exe" }
	Move-Item -Force -LiteralPath $new -Destination $exe
	$ok = $true
	[Console]::Error.WriteLine("sv: installed sv $version (windows/$arch) from $base, SHA-256 checked")
} finally {
	Remove-Item -Recurse -Force -LiteralPath $tmp -ErrorAction SilentlyContinue
	if (-not $ok -and $madeBin) { Remove-Item -Recurse -Force -LiteralPath $binDir -ErrorAction SilentlyContinue }
}
exit 0
