#!/usr/bin/env sh
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
