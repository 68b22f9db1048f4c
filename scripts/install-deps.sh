#!/usr/bin/env bash
# Installs, with apt, everything Signet needs to build, test and run on
# Debian 12. Safe to run again: it installs only what is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git
  # (libunbound's pkg-config file requires hogweed, nettle and libevent, so
  # pkg-config finds libunbound only with nettle-dev and libevent-dev)
  libssl-dev libunbound-dev nettle-dev libevent-dev libmilter-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # peers for the interoperability tests, and DNS data for tests and the demo
  python3 python3-dkim opendkim opendkim-tools miltertest
  # dkimpy's ARC sealing (arcsign) needs python3-authres
  python3-authres
  libmail-dkim-perl unbound openssl ca-certificates
  # real MTAs for the integration tests (each test runs its own instance on
  # loopback; Sendmail is unpacked by its test with `apt-get download`)
  postfix swaks dpkg-dev
  # qmail-signet's memory check reads peak RSS with /usr/bin/time
  time
  # the tests on a minimal Debian 12 root (tests/demo, label fresh), whose
  # servers run in a network namespace of their own (ip, from iproute2)
  debootstrap iproute2
  # the README's `man -l docs/signet.1` (tests/docs)
  man-db
  # docs/qmail.md's tcprules line, run as written (tests/demo)
  ucspi-tcp
  # the fuzz targets (tests/fuzz): clang 16 and its libFuzzer runtime
  # (Debian 12's default clang 14 cannot compile libstdc++ 12's <expected>)
  clang-16 libclang-rt-16-dev
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "signet: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Postfix is installed unconfigured: the tests give it a configuration of
  # their own, and the system's mail set-up is left alone.
  echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
  as_root apt-get update -q
  # No service of these packages is started here: the tests start their own.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
