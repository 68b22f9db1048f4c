#!/usr/bin/env bash
# The README's third way in: builds the Debian packages from this tree and
# installs them. Installs with apt only what the package build needs
# (build-essential, debhelper and the Build-Depends of packaging/debian),
# copies the tree without build directories to build/package/signet-VERSION/
# with packaging/debian as its debian/, runs `dpkg-buildpackage -b -us -uc`
# there (which also runs the unit tests), and installs the three packages with
# `apt-get install`, which pulls their dependencies.
#
#   scripts/package.sh               build and install
#   scripts/package.sh --no-install  build only; the .debs are in build/package/
#
# SIGNET_PACKAGE_DIR moves build/package elsewhere.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${SIGNET_PACKAGE_DIR:-$top/build/package}
install=yes
case "${1:-}" in
  "") ;;
  --no-install) install=no ;;
  *) echo "usage: scripts/package.sh [--no-install]" >&2; exit 64 ;;
esac

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
apt_get() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends "$@"
}

echo "signet: installing the package build tools" >&2
as_root apt-get update -q
apt_get install build-essential dpkg-dev debhelper

version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
upstream=${version%-*}
src="$out/signet-$upstream"
rm -rf "$src"
mkdir -p "$src"
# A clean copy: what git tracks (and new files it does not ignore), or,
# without git, everything but .git and build directories.
if command -v git >/dev/null && git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$top" ls-files -z --cached --others --exclude-standard |
    (cd "$top" && xargs -0 -r sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done' sh) |
    tar -C "$top" --null -T - -cf - | tar -C "$src" -xf -
else
  tar -C "$top" --exclude=./.git --exclude='./build*' -cf - . | tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -a "$top/packaging/debian" "$src/debian"

echo "signet: installing the Build-Depends of packaging/debian/control" >&2
(cd "$src" && apt_get build-dep ./)

echo "signet: dpkg-buildpackage -b -us -uc in $src" >&2
(cd "$src" && dpkg-buildpackage -b -us -uc -j"$(nproc 2>/dev/null || echo 2)")

arch=$(dpkg --print-architecture)
debs=()
for p in signet signet-milter qmail-signet; do
  debs+=("$out/${p}_${version}_${arch}.deb")
done
ls -l "${debs[@]}" >&2
if [ "$install" = yes ]; then
  echo "signet: apt-get install ${debs[*]}" >&2
  apt_get install "${debs[@]}"
  echo "signet: installed. Next: a key for the milter (packaging/README.md, \"Keys\")." >&2
fi
