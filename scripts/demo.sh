#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, and runs
# Signet's main job: signet-milter standalone on loopback, with freshly made
# demonstration keys (RSA-2048 and Ed25519, both signing every message). It
# prints what to put in Postfix's main.cf and the DNS records to publish,
# proves itself on one message (signed through the milter protocol, then
# verified), and keeps running in the foreground until Ctrl-C.
#
# SIGNET_DEMO_DOMAIN (example.com) and SIGNET_DEMO_PORT (8891) change the
# domain and the port.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
build=${SIGNET_BUILD_DIR:-$top/build}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target signet signet-milter -j"$jobs" >/dev/null
signet=$build/core/signet
milter=$build/milter/signet-milter

domain=${SIGNET_DEMO_DOMAIN:-example.com}
port=${SIGNET_DEMO_PORT:-8891}
work=$build/demo
rm -rf "$work"
mkdir -p "$work/keys"
cd "$work"

"$signet" keygen --domain "$domain" --selector demo-rsa --algorithm rsa --out-dir keys >/dev/null
"$signet" keygen --domain "$domain" --selector demo-ed --algorithm ed25519 --out-dir keys >/dev/null

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

"$milter" -c signet.conf -n >/dev/null
"$milter" -c signet.conf -f 2> milter.log &
milter_pid=$!
trap 'kill "$milter_pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 50); do
  grep -q "listening on" milter.log 2>/dev/null && break
  kill -0 "$milter_pid" 2>/dev/null || { cat milter.log >&2; exit 1; }
  sleep 0.1
done

# Self-check: one message through the milter protocol (miltertest plays
# the MTA), rebuilt with the headers the milter added, then verified.
cat > selfcheck.lua <<EOF_LUA
local conn = mt.connect("inet:$port@127.0.0.1")
assert(conn, "cannot connect to signet-milter")
assert(mt.conninfo(conn, "localhost", "127.0.0.1") == nil)
mt.macro(conn, SMFIC_MAIL, "i", "DEMO1")
assert(mt.mailfrom(conn, "alice@$domain") == nil)
assert(mt.rcptto(conn, "bob@example.net") == nil)
local headers = {
  {"From", "Alice <alice@$domain>"}, {"To", "Bob <bob@example.net>"},
  {"Subject", "Signet demonstration"}, {"Message-ID", "<demo.1@$domain>"} }
for _, h in ipairs(headers) do assert(mt.header(conn, h[1], h[2]) == nil) end
assert(mt.eoh(conn) == nil)
local body = "Hello Bob,\r\n\r\nthis message was signed by signet-milter.\r\n"
assert(mt.bodystring(conn, body) == nil)
assert(mt.eom(conn) == nil)
local out = io.open("$work/signed.eml", "w")
local n = 0
while true do
  local v = mt.getheader(conn, "DKIM-Signature", n)
  if v == nil then break end
  out:write("DKIM-Signature:" .. string.gsub(v, "\n", "\r\n") .. "\r\n")
  n = n + 1
end
for _, h in ipairs(headers) do out:write(h[1] .. ": " .. h[2] .. "\r\n") end
out:write("\r\n" .. body)
out:close()
mt.disconnect(conn)
EOF_LUA
miltertest -s selfcheck.lua

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
"$signet" verify --resolver-conf unbound.conf --authserv-id "demo.$domain" < signed.eml
line
echo "The milter's log follows. Ctrl-C stops it."
tail -n +1 -f milter.log --pid "$milter_pid"
