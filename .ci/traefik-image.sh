#!/usr/bin/env bash
# Prints the tag of a local Traefik 3.7 image (local/traefik:v3.7) on stdout; progress and errors go to
# stderr, and the last stderr lines say why when it fails (exit status non-zero).
#
# 1. First the shared, unpatched builder: ../shared/airgap/traefik-image.sh v3.7. When it works (or the
#    tag already exists) its tag is printed and nothing below runs.
# 2. Otherwise Traefik is built here from its own Go module with the two deviations below, for the
#    newest v3.7.x whose only obstacles are those (older patches are tried in turn), and packaged exactly
#    like the shared script does (same files, /entrypoint.sh, busybox, `docker import`, same ENV/EXPOSE/
#    ENTRYPOINT/CMD; the import's commit message, see `docker history`, names the patch).
#
# What is patched, and why (Traefik's go.mod is edited in a scratch copy of the downloaded source; no
# Traefik Go code is changed):
#  a. github.com/abbot/go-http-auth. Traefik replaces it with its fork, and 3.7.x pins the fork at
#       github.com/containous/go-http-auth v0.4.1-0.20260804094822-b975dcaa8c48,
#     a version the Go module proxy used here refuses (403 "This module version is not available"). Only
#     when the proxy refuses the pinned version, the script runs
#       go mod edit -replace github.com/abbot/go-http-auth=github.com/containous/go-http-auth@v0.4.1-0.20200324110947-a37a7636d23e
#     which is the fork version Traefik v3.6.x (v3.6.12) uses. It backs the basicAuth/digestAuth
#     middlewares; whatever the 2026 fork commit changed is NOT in this build.
#  b. github.com/traefik/traefik/dynamic/ext. Traefik's go.mod already has
#       replace github.com/traefik/traefik/dynamic/ext => ./pkg/config/dynamic/ext
#     but that directory is a nested module (it has its own go.mod), and Go module zips leave nested
#     modules out, so the downloaded source lacks it ("replacement directory ./pkg/config/dynamic/ext does
#     not exist"); the proxy does not serve that module path either. The script recreates the directory
#     with the two files Traefik's repository has there (go.mod, and ext.go: empty extension structs
#     HTTP, Router and RouterIng in open-source Traefik), so the existing replace resolves unchanged.
#  Nothing else is substituted: a v3.7.x for which any other module is refused (v3.7.13: lego v5's DNS
#  provider SDKs, e.g. github.com/nrdcg/oci-go-sdk/common/v1065@v1065.124.0) is skipped, not patched.
#
# The binary is cached as $AIRGAP_CACHE/traefik-<version>-ci-patched (default /var/cache/airgap), beside
# the shared script's unpatched traefik-<version> binaries and never under their names, with a
# .patch file holding the go.mod diff; an existing binary is reused, an existing tag is kept unless
# REBUILD=1 (as in the shared script). Needs Go (PATH, or /usr/local/go/bin) and the Go module proxy.
#   usage: .ci/traefik-image.sh
set -euo pipefail
cd "$(dirname "$0")/.."

minor=v3.7
tag=local/traefik:$minor
cache=${AIRGAP_CACHE:-/var/cache/airgap}
shared=../shared/airgap/traefik-image.sh
module=github.com/traefik/traefik/v3
auth_fork=github.com/containous/go-http-auth
auth_fallback=v0.4.1-0.20200324110947-a37a7636d23e # the go-http-auth fork version of Traefik v3.6.12

say() { echo ".ci/traefik-image: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

# 1. The shared builder, unpatched.
if [[ -f $shared ]]; then
  if out=$(bash "$shared" "$minor" "$tag"); then echo "$out"; exit 0; fi
  say "the shared $shared $minor failed (above); building a patched Traefik $minor instead"
else
  say "$shared not found; building a patched Traefik $minor"
fi

# 2. Patched build.
if [[ ${REBUILD:-0} != 1 ]] && docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || die "Go is needed to build Traefik and is neither on PATH nor in /usr/local/go/bin"
command -v busybox >/dev/null || { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null; }
command -v busybox >/dev/null || die "busybox is needed for the image and could not be installed"
mkdir -p "$cache"

work=$(mktemp -d); root=
trap 'rm -rf "$work" ${root:+"$root"}' EXIT

versions=$(go list -m -versions "$module" 2>"$work/err") || die "cannot list $module versions: $(tail -n 3 "$work/err")"
versions=$(tr ' ' '\n' <<<"$versions" | grep -E "^${minor//./\\.}\.[0-9]+$" | sort -V -r) || true
[[ -n $versions ]] || die "the Go module proxy lists no $module $minor.x version"

# Prepares a scratch copy of $module@$1 in $work/src with patches a/b; fails (with the reason in
# $work/why) when a module other than the two above is refused, or anything else stops the build.
build() {
  local version=$1 out=$2 src pinned
  rm -rf "$work/src"
  src=$(go mod download -json "$module@$version" 2>/dev/null | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') || true
  [[ -d $src ]] || { echo "could not download $module@$version" >"$work/why"; return 1; }
  cp -r "$src" "$work/src" && chmod -R u+w "$work/src"
  cp "$work/src/go.mod" "$work/go.mod.orig"
  (
    cd "$work/src"
    # b. the nested module left out of the module zip, recreated as in Traefik's repository.
    if grep -Eq '^[[:space:]]*(replace[[:space:]]+)?github\.com/traefik/traefik/dynamic/ext[[:space:]]+=>[[:space:]]+\./pkg/config/dynamic/ext[[:space:]]*$' go.mod \
       && [[ ! -e pkg/config/dynamic/ext/go.mod ]]; then
      mkdir -p pkg/config/dynamic/ext
      printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.24.0\n' > pkg/config/dynamic/ext/go.mod
      cat > pkg/config/dynamic/ext/ext.go <<'GO'
package ext

// HTTP is a dynamic.HTTP extension.
type HTTP struct{}

// Router is a dynamic.Router extension.
type Router struct{}

// RouterIng is a RouterIng extension for ingress provider annotations.
type RouterIng struct{}

// ToRouter converts RouterIng to a Router.
func (r RouterIng) ToRouter() Router {
	return Router{}
}
GO
      echo "recreated ./pkg/config/dynamic/ext (module github.com/traefik/traefik/dynamic/ext), left out of the module zip" >> "$work/notes"
    fi
    # a. the go-http-auth fork, only if the proxy refuses the version Traefik pins.
    pinned=$(sed -n "s#^[[:space:]]*\(replace[[:space:]]\+\)\?github\.com/abbot/go-http-auth[[:space:]]\+=>[[:space:]]\+${auth_fork//./\\.}[[:space:]]\+\(v[^[:space:]]*\).*#\2#p" go.mod)
    if [[ -n $pinned && $pinned != "$auth_fallback" ]] && ! (cd "$work" && go mod download "$auth_fork@$pinned" >/dev/null 2>&1); then
      go mod edit -replace "github.com/abbot/go-http-auth=$auth_fork@$auth_fallback"
      echo "replaced github.com/abbot/go-http-auth => $auth_fork $pinned (refused by the proxy) with $auth_fallback (Traefik v3.6.12's)" >> "$work/notes"
    fi
    # Any other refused module stops this version here.
    go mod download >/dev/null 2>"$work/why" || exit 1
    CGO_ENABLED=0 go build -mod=mod -trimpath \
      -ldflags "-s -w -X $module/pkg/version.Version=$version" -o "$out.tmp" ./cmd/traefik 2>"$work/why" || exit 1
  ) || { rm -f "$out.tmp"; return 1; }
  { cat "$work/notes" 2>/dev/null; diff -u "$work/go.mod.orig" "$work/src/go.mod" | sed '1,2d'; } > "$out.patch" || true
  mv "$out.tmp" "$out"
}

bin=
for version in $versions; do
  candidate=$cache/traefik-$version-ci-patched
  if [[ -x $candidate ]]; then bin=$candidate; say "reusing $candidate"; break; fi
  say "building Traefik $version with the patches in this script's header (several minutes the first time)"
  rm -f "$work/notes"
  if build "$version" "$candidate"; then bin=$candidate; break; fi
  say "Traefik $version cannot be built here: $(grep -v '^[[:space:]]*$' "$work/why" | tail -n 2 | tr '\n' ' ')"
done
[[ -n $bin ]] || die "no Traefik $minor.x could be built with this script's patches (tried: $(echo $versions)); see above for each version's reason"
version=${bin##*/traefik-}; version=${version%-ci-patched}
patch=$(grep -v '^[-+ @]' "$bin.patch" 2>/dev/null | paste -sd ';' - || true)
say "Traefik $version patched: ${patch:-see $bin.patch}"

# Packaging: the shared script's image, unchanged.
root=$(mktemp -d)
mkdir -p "$root"/{bin,usr/local/bin,etc/ssl/certs,etc/traefik,tmp}
chmod 1777 "$root/tmp"
cp "$bin" "$root/usr/local/bin/traefik"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
cp "$(command -v busybox)" "$root/bin/busybox"
for applet in sh wget cat ls; do ln -s busybox "$root/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
cat > "$root/entrypoint.sh" <<'SH'
#!/bin/sh
set -e
case "$1" in -*) set -- traefik "$@" ;; esac
if [ "$1" != traefik ] && traefik "$1" --help >/dev/null 2>&1; then set -- traefik "$@"; fi
exec "$@"
SH
chmod +x "$root/entrypoint.sh"
tar -C "$root" -c . | docker import \
  -m "traefik $version built by .ci/traefik-image.sh: ${patch:-patched go.mod}" \
  -c 'ENV PATH=/usr/local/bin:/bin' \
  -c 'EXPOSE 80' \
  -c 'ENTRYPOINT ["/entrypoint.sh"]' \
  -c 'CMD ["traefik"]' - "$tag" >/dev/null || die "docker import of $tag failed"
echo "$tag"
