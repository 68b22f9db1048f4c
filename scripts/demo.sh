#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, and shows
# Signet's main job end to end. It makes a demonstration domain's keys
# (RSA-2048 and Ed25519), serves their DNS records from an unbound
# configuration file (no network needed), signs a sample message with both
# keys in one pass, verifies it, and shows what a tampered copy gets.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
build=${SIGNET_BUILD_DIR:-$top/build}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target signet -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
signet=$build/core/signet

domain=${SIGNET_DEMO_DOMAIN:-example.com}
work=$build/demo
rm -rf "$work"
mkdir -p "$work"
cd "$work"

"$signet" keygen --domain "$domain" --selector demo-rsa --algorithm rsa --bits 2048 >/dev/null
"$signet" keygen --domain "$domain" --selector demo-ed --algorithm ed25519 >/dev/null
{
  echo "server:"
  echo "  local-zone: \"$domain.\" static"
  echo "  local-data: '$(cat demo-rsa.txt)'"
  echo "  local-data: '$(cat demo-ed.txt)'"
} > unbound.conf

cat > message.eml <<MSG
From: Alice <alice@$domain>
To: Bob <bob@example.net>
Subject: Signet demonstration
Date: $(LC_ALL=C date -R)
Message-ID: <demo.$$@$domain>

Hello Bob,

this message is signed with RSA-2048 and Ed25519 in one pass.
MSG

"$signet" sign --domain "$domain" --selector demo-rsa --key demo-rsa.private \
               --selector demo-ed --key demo-ed.private < message.eml > signed.eml

line() { printf '%s\n' "------------------------------------------------------------------------"; }
line
echo "Keys made in $work:"
echo "  demo-rsa.private, demo-ed.private (mode 0600)"
echo
echo "DNS records to publish (zone file form; also an unbound local-data: line):"
cat demo-rsa.txt demo-ed.txt
line
echo "Signed message (signet sign):"
cat signed.eml
line
echo "Verification (signet verify --resolver-conf $work/unbound.conf):"
"$signet" verify --resolver-conf unbound.conf --authserv-id mx.example.net < signed.eml
line
echo "Published keys match the private keys (signet testkey):"
"$signet" testkey --domain "$domain" --selector demo-rsa --key demo-rsa.private --resolver-conf unbound.conf
"$signet" testkey --domain "$domain" --selector demo-ed --key demo-ed.private --resolver-conf unbound.conf
line
echo "A copy whose body was changed after signing:"
sed 's/Hello Bob/Hello Eve/' signed.eml > tampered.eml
set +e
"$signet" verify --resolver-conf unbound.conf --authserv-id mx.example.net < tampered.eml
echo "(signet verify exit status $? : 1 means a signature failed)"
set -e
line
