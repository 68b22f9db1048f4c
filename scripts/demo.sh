#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, and runs
# Signet's main job: signet-milter standalone on loopback, with freshly made
# demonstration keys (RSA-2048 and Ed25519, both signing every message). It
# prints what to put in Postfix's main.cf and the DNS records to publish,
# proves itself on one message (signed through the milter protocol, then
# verified), and keeps running in the foreground until Ctrl-C or SIGTERM.
#
# SIGNET_DEMO_DOMAIN (example.com) and SIGNET_DEMO_PORT (8891) change the
# domain and the port; SIGNET_BUILD_DIR (build/) the build directory. When a
# step fails, the script says which on stderr, with that step's output, and
# exits with status 1.
#
# Every step runs as a child the script waits for, so that a signal reaches
# the script's trap at once (bash runs a trap only after a foreground child
# has ended); the trap stops the milter and whatever step is running.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SIGNET_BUILD_DIR:-$top/build}
domain=${SIGNET_DEMO_DOMAIN:-example.com}
port=${SIGNET_DEMO_PORT:-8891}
work=$build/demo
jobs=$(nproc 2>/dev/null || echo 2)

step_pid=
milter_pid=
tail_pid=

# fail WHAT [FILE...]: says on stderr what failed, then shows each FILE.
fail() {
  printf 'signet demo: %s\n' "$1" >&2
  shift
  local f
  for f in "$@"; do
    [ -s "$f" ] || continue
    printf -- '--- %s ---\n' "$f" >&2
    tail -n 60 "$f" >&2
  done
  exit 1
}

# run COMMAND...: runs COMMAND as a process group of its own and waits for it.
run() {
  setsid "$@" <&0 &
  step_pid=$!
  wait "$step_pid"
  local rc=$?
  step_pid=
  return "$rc"
}

# Stops the running step and the milter (SIGTERM, then SIGKILL after 8 s).
cleanup() {
  trap - EXIT INT TERM
  [ -n "$step_pid" ] && kill -TERM -- "-$step_pid" 2>/dev/null
  [ -n "$tail_pid" ] && kill -TERM "$tail_pid" 2>/dev/null
  if [ -n "$milter_pid" ]; then
    kill -TERM "$milter_pid" 2>/dev/null
    local state _
    for _ in $(seq 80); do
      read -r _ _ state _ 2>/dev/null <"/proc/$milter_pid/stat" || break
      [ "$state" = Z ] && break
      sleep 0.1
    done
    kill -KILL "$milter_pid" 2>/dev/null
  fi
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'cleanup; echo "signet demo: stopped" >&2; exit 130' INT
trap 'cleanup; echo "signet demo: stopped" >&2; exit 143' TERM

run "$top/scripts/install-deps.sh" ||
  fail "installing the packages Signet needs failed (scripts/install-deps.sh; its output is above)"

mkdir -p "$build" || fail "cannot create the build directory $build"
log=$build/demo-build.log
run cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$log" 2>&1 ||
  fail "configuring the build failed (cmake -S $top -B $build)" "$log"
run cmake --build "$build" --target signet signet-milter -j"$jobs" >>"$log" 2>&1 ||
  fail "building signet and signet-milter failed (full output in $log)" "$log"
signet=$build/core/signet
milter=$build/milter/signet-milter

rm -rf "$work"
mkdir -p "$work/keys" && cd "$work" || fail "cannot create $work"

for key in "demo-rsa rsa" "demo-ed ed25519"; do
  set -- $key
  run "$signet" keygen --domain "$domain" --selector "$1" --algorithm "$2" --out-dir keys >keygen.log 2>&1 ||
    fail "making the $2 key failed (signet keygen)" keygen.log
done

# DNS for the self-check: the records served from an unbound configuration.
{
  echo "server:"
  echo "  local-zone: \"$domain.\" static"
  echo "  local-data: '$(cat keys/demo-rsa.txt)'"
  echo "  local-data: '$(cat keys/demo-ed.txt)'"
} > unbound.conf

cat > keytable <<EOF_KT
demo-rsa $domain:demo-rsa:$work/keys/demo-rsa.private
demo-ed  $domain:demo-ed:$work/keys/demo-ed.private
EOF_KT
cat > signingtable <<EOF_ST
*@$domain demo-rsa,demo-ed
EOF_ST
cat > signet.conf <<EOF_CONF
# signet-milter demonstration configuration (see signet.conf(5))
Socket                inet:$port@127.0.0.1
Syslog                no
AuthservID            demo.$domain
KeyTable              $work/keytable
SigningTable          refile:$work/signingtable
MultipleSignatures    yes
Canonicalization      relaxed/relaxed
InternalHosts         127.0.0.1, ::1
On-BadSignature       accept
On-DNSError           tempfail
ResolverConfiguration $work/unbound.conf
EOF_CONF

run "$milter" -c signet.conf -n >check.log 2>&1 ||
  fail "signet-milter refused the demonstration configuration ($work/signet.conf)" check.log

"$milter" -c signet.conf -f 2> milter.log &
milter_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" milter.log 2>/dev/null && break
  if ! kill -0 "$milter_pid" 2>/dev/null; then
    wait "$milter_pid"
    rc=$?
    milter_pid=
    fail "signet-milter did not start (exit status $rc); its log:" milter.log
  fi
  sleep 0.1
done
grep -q "listening on" milter.log ||
  fail "signet-milter did not say it was listening on 127.0.0.1:$port within 10 s; its log:" milter.log

# Self-check: one message through the milter protocol (miltertest plays the
# MTA, following the milter's negotiation), rebuilt with the fields the
# milter inserted, then verified with the keys served from unbound.conf.
printf '%s\0 %s\0' \
  From "Alice <alice@$domain>" \
  To "Bob <bob@example.net>" \
  Subject "Signet demonstration" \
  Message-ID "<demo.1@$domain>" > message.headers
printf 'Hello Bob,\r\n\r\nthis message was signed by signet-milter.\r\n' > message.body
run miltertest -s "$top/scripts/demo-selfcheck.lua" \
  -D lib="$top/tests/integration/miltertest_lib.lua" \
  -D socket="inet:$port@127.0.0.1" -D client_host=localhost -D client_ip=127.0.0.1 \
  -D mail_from="<alice@$domain>" -D rcpt_to="<bob@example.net>" \
  -D headerfile="$work/message.headers" -D bodyfile="$work/message.body" \
  -D out="$work/signed.eml" -D signatures=2 >selfcheck.log 2>&1 ||
  fail "the self-check could not sign a message through signet-milter (miltertest's output, then the milter's log):" \
    selfcheck.log milter.log

run "$signet" verify --resolver-conf unbound.conf --authserv-id "demo.$domain" <signed.eml >verify.log 2>&1 ||
  fail "the signed message did not verify (signet verify's output, then the message):" verify.log signed.eml
passes=$(grep -o 'dkim=pass' verify.log | wc -l)
[ "$passes" -eq 2 ] ||
  fail "signet verify found $passes passing signatures, not 2:" verify.log

line() { printf '%s\n' "------------------------------------------------------------------------"; }
line
echo "signet-milter is running on 127.0.0.1:$port (pid $milter_pid), signing mail"
echo "from @$domain with two keys (RSA-2048 and Ed25519) for clients on loopback"
echo "and verifying everything else. Configuration: $work/signet.conf"
line
echo "Add to Postfix's main.cf, then 'postfix reload':"
echo
echo "  smtpd_milters = inet:127.0.0.1:$port"
echo "  non_smtpd_milters = \$smtpd_milters"
echo "  milter_default_action = accept"
echo "  milter_protocol = 6"
line
echo "Publish these DNS records (zone file form):"
echo
cat keys/demo-rsa.txt keys/demo-ed.txt
line
echo "Self-check: a message signed through the milter protocol, then verified:"
echo
tr -d '\r' < signed.eml
echo
cat verify.log
line
echo "The milter's log follows. Ctrl-C stops it."
tail -n +1 -f milter.log &
tail_pid=$!
wait "$milter_pid"
rc=$?
milter_pid=
fail "signet-milter stopped by itself (exit status $rc); its log is above and in $work/milter.log"
