"""The README's and packaging/README's other commands, run as written, in the
minimal Debian root (fresh_root.py) after its build: there they may write
/etc/signet and add a system user without touching this machine.

  readme_commands.py --root DIR --source TOP

Read from the documents themselves, so a changed command is the command run:
- README.md, "The `signet` command": every line of its sh block, in order
  (keygen into /etc/signet/keys, sign, verify, verify --json, testkey). The
  keygen's record is then served by a real unbound on 127.0.0.1:53, named
  in the root's /etc/resolv.conf, as a published record would be: verify
  and testkey use the system resolver, as written.
- packaging/README.md: the sh block of "Installing from a build tree
  without packages" (the system user and directories), then the example as
  /etc/signet/signet.conf, where `cmake --install` puts it.
- README.md, "The milter": `signet-milter -c /etc/signet/signet.conf` starts
  the daemon in the background, which writes its pid file and listens on
  the example's Socket, and stops on SIGTERM.
The built programs are found on PATH (build/core, build/milter). All of it
runs in a network namespace with only a loopback of its own.
"""

import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys

import demo_run
import fresh_root as fr

SCRIPT = "/root/readme-commands.sh"
OUT = "/root/readme-out"  # N.cmd, N.rc, N.out, N.err for the Nth command run
WORK = "/root/readme"     # the directory the commands run in (msg, signed)
MESSAGE = (b"From: Alice <alice@example.com>\r\nTo: Bob <bob@example.net>\r\nSubject: README\r\n"
           b"Date: Tue, 2 Jan 2024 10:00:00 +0000\r\nMessage-ID: <readme.1@example.com>\r\n\r\n"
           b"Hello Bob,\r\n\r\nsigned by the README's command.\r\n")


class Failure(Exception):
    pass


def block_with(path: str, word: str) -> list[str]:
    found = [b for b in demo_run.fenced_blocks(path, "sh") if any(line.startswith(word) for line in b)]
    if len(found) != 1:
        raise Failure(f"{path}: expected one sh block with a line starting {word!r}, found {len(found)}")
    return found[0]


def shell_quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def script(signet_lines: list[str], packaging_lines: list[str], milter_line: str) -> str:
    runs = lambda lines: "\n".join(f"run {shell_quote(line)}" for line in lines)  # noqa: E731
    keygen, rest = signet_lines[0], signet_lines[1:]
    return f"""#!/bin/bash
set -u
export PATH={fr.SOURCE_IN_ROOT}/build/core:{fr.SOURCE_IN_ROOT}/build/milter:$PATH
out={OUT}
rm -rf "$out" /etc/signet && mkdir -p "$out" && cd {WORK} || exit 1
cp /etc/resolv.conf "$out/resolv.conf.saved"
unbound_pid=
finish() {{
  [ -n "$unbound_pid" ] && kill "$unbound_pid" 2>/dev/null && wait "$unbound_pid"
  cp "$out/resolv.conf.saved" /etc/resolv.conf
}}
trap finish EXIT
n=0
# run LINE: the line as written, its status and output kept as $out/N.*
run() {{
  n=$((n + 1))
  printf '%s\\n' "$1" >"$out/$n.cmd"
  bash -c "$1" >"$out/$n.out" 2>"$out/$n.err" </dev/null
  echo $? >"$out/$n.rc"
}}
# The published records: every /etc/signet/keys/*.txt, served by unbound on
# 127.0.0.1:53, the system resolver of the root.
dns() {{
  {{
    echo 'server:'
    echo '  interface: 127.0.0.1'
    echo '  port: 53'
    echo '  do-daemonize: no'
    echo '  use-syslog: no'
    echo '  logfile: ""'
    echo '  chroot: ""'
    echo '  username: ""'
    echo '  pidfile: ""'
    echo '  verbosity: 1'
    echo '  local-zone: "example.com." static'
    for t in /etc/signet/keys/*.txt; do echo "  local-data: '$(cat "$t")'"; done
    echo 'remote-control:'
    echo '  control-enable: no'
  }} >"$out/unbound.conf"
  unbound -d -c "$out/unbound.conf" 2>"$out/unbound.log" &
  unbound_pid=$!
  for _ in $(seq 100); do
    grep -q 'start of service' "$out/unbound.log" && break
    sleep 0.1
  done
  echo 'nameserver 127.0.0.1' >/etc/resolv.conf
}}
run {shell_quote(keygen)}
dns
{runs(rest)}
{runs(packaging_lines)}
# The example as /etc/signet/signet.conf, as `cmake --install` puts it there
# (packaging/README); its PidFile line uncommented, which is this test's way
# of finding the daemon, in /run/signet, which the unit's RuntimeDirectory=
# would make.
install -m 0644 {fr.SOURCE_IN_ROOT}/packaging/signet.conf.example /etc/signet/signet.conf
sed -i 's|^#PidFile |PidFile |' /etc/signet/signet.conf
install -d -m 0755 /run/signet
run {shell_quote(milter_line)}
pid=
for _ in $(seq 100); do
  [ -s /run/signet/signet-milter.pid ] && pid=$(cat /run/signet/signet-milter.pid) && break
  sleep 0.1
done
echo "${{pid:-none}}" >"$out/milter.pid"
if [ -n "$pid" ]; then
  if (exec 3<>/dev/tcp/127.0.0.1/8891) 2>/dev/null; then echo yes; else echo no; fi >"$out/milter.listening"
  kill -TERM "$pid"
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo no; kill -KILL "$pid"; else echo yes; fi >"$out/milter.stopped"
fi
exit 0
"""


def results(root: str) -> list[dict]:
    out, n = [], 1
    base = root + OUT
    while os.path.exists(f"{base}/{n}.cmd"):
        read = lambda ext: open(f"{base}/{n}.{ext}", errors="replace").read()  # noqa: E731
        out.append({"cmd": read("cmd").strip(), "rc": int(read("rc")), "out": read("out"), "err": read("err")})
        n += 1
    return out


def check(root: str, source: str) -> list[str]:
    held = []
    readme = os.path.join(source, "README.md")
    signet_lines = block_with(readme, "signet keygen")
    packaging_lines = block_with(os.path.join(source, "packaging", "README.md"), "adduser --system")
    milter_line = "signet-milter -c /etc/signet/signet.conf"
    with open(readme) as f:
        if f"`{milter_line}`" not in f.read():
            raise Failure(f"README.md no longer says `{milter_line}`")
    with open(root + SCRIPT, "w") as f:
        f.write(script(signet_lines, packaging_lines, milter_line))
    shutil.rmtree(root + WORK, ignore_errors=True)
    os.makedirs(root + WORK)
    with open(root + WORK + "/msg", "wb") as f:  # the message the README's sign command reads
        f.write(MESSAGE)
    p = subprocess.run(fr.in_root(root, ["bash", SCRIPT], private_net=True), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    if p.returncode != 0:
        raise Failure(f"the commands' script failed ({p.returncode}): {p.stdout.decode(errors='replace')[-2000:]}")
    ran = results(root)
    if len(ran) != len(signet_lines) + len(packaging_lines) + 1:
        raise Failure(f"ran {len(ran)} commands, expected {len(signet_lines) + len(packaging_lines) + 1}")
    for r in ran:
        if r["rc"] != 0:
            raise Failure(f"`{r['cmd']}` exited {r['rc']}: {r['err'][-800:]} {r['out'][-400:]}")
        held.append(f"exit 0: {r['cmd'][:90]}")
    by_word = lambda word: [r for r in ran if r["cmd"].startswith(word)]  # noqa: E731

    keys = root + "/etc/signet/keys"
    private = os.path.join(keys, "s2026.private")
    mode = stat.S_IMODE(os.stat(private).st_mode)
    if mode != 0o600:
        raise Failure(f"signet keygen made s2026.private with mode {mode:o}, not 600")
    with open(os.path.join(keys, "s2026.txt")) as f:
        record = f.read().strip()
    if not record.startswith('s2026._domainkey.example.com. ') or "v=DKIM1" not in record:
        raise Failure(f"s2026.txt is not the record of s2026: {record[:100]}")
    held.append("keygen: s2026.private (0600) and s2026.txt, the record served by unbound on 127.0.0.1:53")
    with open(root + WORK + "/signed", "rb") as f:
        signed = f.read()
    if not (signed.startswith(b"DKIM-Signature:") and signed.endswith(MESSAGE)):
        raise Failure("`signet sign ... < msg > signed` did not prepend a DKIM-Signature to the message")
    held.append("sign: signed = one DKIM-Signature field + msg, byte for byte")
    verify = [r for r in by_word("signet verify") if "--json" not in r["cmd"]]
    if len(verify) != 1 or not re.search(r"dkim=pass .*header\.s=s2026", " ".join(verify[0]["out"].split())):
        raise Failure(f"`signet verify < signed` did not say dkim=pass for s2026: {verify}")
    held.append("verify: Authentication-Results with dkim=pass header.s=s2026, key through the system resolver")
    verdicts = [json.loads(line) for r in by_word("signet verify --json") for line in r["out"].splitlines()
                if line.strip()]
    if [(v.get("result"), v.get("selector")) for v in verdicts] != [("pass", "s2026")]:
        raise Failure(f"`signet verify --json < signed` printed {verdicts}")
    held.append("verify --json: one object, result pass, selector s2026")
    held.append("testkey: the published key matches (exit 0)")

    passwd = open(root + "/etc/passwd").read()
    if not re.search(r"^signet:x:\d+:\d+:.*:/nonexistent:/usr/sbin/nologin$", passwd, re.M):
        raise Failure("packaging/README's adduser made no system user signet with home /nonexistent")
    groups = {g.split(":")[0]: int(g.split(":")[2]) for g in open(root + "/etc/group").read().splitlines()
              if g.count(":") >= 3}
    for path, want_mode, want_group in (("/etc/signet", 0o755, "root"), ("/etc/signet/keys", 0o750, "signet")):
        st = os.stat(root + path)
        if stat.S_IMODE(st.st_mode) != want_mode or st.st_uid != 0 or st.st_gid != groups.get(want_group):
            raise Failure(f"{path} is {stat.S_IMODE(st.st_mode):o} uid {st.st_uid} gid {st.st_gid}, "
                          f"packaging/README says {want_mode:o} root:{want_group}")
    held.append("packaging/README: system user signet; /etc/signet 0755 root:root, keys 0750 root:signet")

    read = lambda name: open(f"{root}{OUT}/{name}").read().strip()  # noqa: E731
    if read("milter.pid") == "none":
        raise Failure("signet-milter -c /etc/signet/signet.conf wrote no pid file within 10 s")
    if read("milter.listening") != "yes":
        raise Failure("signet-milter from the example configuration does not listen on 127.0.0.1:8891")
    if read("milter.stopped") != "yes":
        raise Failure("signet-milter did not stop within 15 s of SIGTERM")
    held.append("signet-milter -c /etc/signet/signet.conf (the example): in the background, pid file, "
                "listening on 127.0.0.1:8891, stopped by SIGTERM")
    return held


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    try:
        if (code := fr.needs_root(root)) is not None:
            return code
        if not os.path.exists(root + fr.SOURCE_IN_ROOT + "/build/core/signet"):
            raise Failure("the root holds no build (fresh_demo_and_build did not pass)")
        held = check(root, os.path.abspath(args.source))
    except (Failure, fr.Failure, OSError, ValueError, subprocess.TimeoutExpired) as e:
        return demo_run.report("readme commands", [], e)
    return demo_run.report("readme commands", held)


if __name__ == "__main__":
    sys.exit(main())
