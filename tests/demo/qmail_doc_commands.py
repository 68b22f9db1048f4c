"""docs/qmail.md's commands, run as written, in the minimal Debian root
(fresh_root.py) after its build, on a qmail whose home is not /var/qmail.

  qmail_doc_commands.py --root DIR --source TOP     (this machine: runs the rest in DIR)
  qmail_doc_commands.py --inside --source /src/signet   (in the root)

In the root, with a network of its own (only a loopback):
- section 1: the configuration block becomes /etc/signet/signet.conf, with
  the ResolverConfiguration line this test needs to serve the new record;
  the key block runs line by line (keygen, chown, chgrp/chmod, cat), and
  signet-milter starts in the foreground as the configuration says (UserID
  signet);
- section 2: the tcprules file is the document's, and the tcprules line
  builds its database; tcprulescheck gives the environment of a relay
  client (127.0.0.1) and of anyone else (198.51.100.7), and qmail-signet
  runs with that environment as qmail-smtpd runs it: in the qmail home
  (/opt/qmail-elsewhere, not /var/qmail) as its working directory, without
  QMAILHOME; the relay client's message is signed, the other verified;
- local injection with DKSIGN as the document gives it: signed;
- the swap into qmail-queue's place and its undoing, with their `cd` to
  the qmail home made to this one: installed, qmail-signet signs local
  mail once even behind QMAILQUEUE, and the undo puts qmail-queue back.
The qmail here is a stand-in: qmail users and group, and a bin/qmail-queue
that records what it was given. qmail-signet is installed as
/usr/bin/qmail-signet, the path the document's lines name.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import demo_run  # noqa: E402 (beside this file, in the root too)

HOME = "/opt/qmail-elsewhere"
OUT = "/tmp/qmail-doc-out"  # readable by the milter's UserID
MESSAGE = (b"Received: from client.example.org (HELO client) (127.0.0.1)\n  by mx.example.com with SMTP\n"
           b"From: Alice <alice@example.com>\nTo: Bob <bob@example.net>\nSubject: qmail.md\n"
           b"Message-ID: <qmail-doc@example.com>\n\nHello Bob,\n\nthrough qmail-signet.\n")
ENVELOPE = b"Falice@example.com\0Tbob@example.net\0\0"


class Failure(Exception):
    pass


def block_with(blocks: list[list[str]], word: str) -> list[str]:
    found = [b for b in blocks if any(line.startswith(word) for line in b)]
    if not found:
        raise Failure(f"docs/qmail.md has no block with a line starting {word!r}")
    return found[0]


def run(line: str, env: dict | None = None) -> str:
    p = subprocess.run(line, shell=True, executable="/bin/bash", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=120)
    if p.returncode != 0:
        raise Failure(f"`{line}` exited {p.returncode}: {p.stderr.decode(errors='replace')[-600:]}")
    return p.stdout.decode(errors="replace")


def rules_env(ip: str) -> dict[str, str]:
    """The environment tcpserver gives a client at `ip`, from tcprulescheck."""
    out = run("tcprulescheck /etc/tcp.smtp.cdb", {"PATH": os.environ["PATH"], "TCPREMOTEIP": ip})
    if "allow connection" not in out:
        raise Failure(f"tcprules do not allow {ip}: {out}")
    return dict(re.findall(r"^set environment variable ([^=]+)=(.*)$", out, re.M))


def queue(env: dict[str, str], program: str, record: str) -> tuple[int, str]:
    """Runs `program` as qmail does its queue program: in the qmail home, message on fd 0,
    the envelope on fd 1, without QMAILHOME."""
    env = {"PATH": "/usr/bin:/bin", "RECORD": record, **env}
    env.pop("QMAILHOME", None)
    with open(record + ".in", "wb") as f:
        f.write(MESSAGE)
    r, w = os.pipe()
    with open(record + ".in", "rb") as msg:
        p = subprocess.Popen([program], cwd=HOME, stdin=msg, stdout=r, stderr=subprocess.PIPE, env=env)
    os.close(r)
    os.write(w, ENVELOPE)
    os.close(w)
    _, err = p.communicate(timeout=60)
    return p.returncode, err.decode(errors="replace")


def recorded(record: str) -> tuple[bytes, str]:
    try:
        with open(record + ".message", "rb") as f:
            message = f.read()
        with open(record + ".which") as f:
            which = f.read().strip()
    except OSError:
        return b"", ""
    return message, which


def signatures(message: bytes) -> list[bytes]:
    head = message[:len(message) - len(MESSAGE)] if message.endswith(MESSAGE) else b""
    return [line for line in head.split(b"\n") if line.lower().startswith(b"dkim-signature:")]


def inside(source: str) -> int:
    held: list[str] = []
    doc = os.path.join(source, "docs", "qmail.md")
    os.environ["PATH"] = f"{source}/build/core:{source}/build/milter:" + os.environ["PATH"]
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    # The stand-in qmail: its users, its home elsewhere than /var/qmail, a recording qmail-queue.
    for line in ("getent group qmail || groupadd --system qmail",
                 "id qmailq || useradd --system --gid qmail --home-dir /nonexistent qmailq"):
        run(line)
    shutil.rmtree(HOME, ignore_errors=True)
    os.makedirs(HOME + "/bin")
    os.makedirs(HOME + "/control")
    with open(HOME + "/control/me", "w") as f:
        f.write("mx.example.com\n")
    with open(HOME + "/bin/qmail-queue", "w") as f:
        f.write('#!/bin/sh\ncat > "$RECORD.message" && cat <&1 > "$RECORD.envelope" && '
                'echo "bin/qmail-queue" > "$RECORD.which"\n')
    os.chmod(HOME + "/bin/qmail-queue", 0o4711)
    shutil.copy(f"{source}/build/qmail-adapter/qmail-signet", "/usr/bin/qmail-signet")

    # Section 1: the configuration, the key, the daemon.
    config = block_with(demo_run.fenced_blocks(doc, ""), "Socket")
    keys = block_with(demo_run.fenced_blocks(doc, "sh"), "signet keygen")
    shutil.rmtree("/etc/signet/keys/example.com", ignore_errors=True)
    os.makedirs("/etc/signet/keys", exist_ok=True)
    for line in keys:
        out = run(line)
        held.append(f"exit 0: {line}")
    record = out.strip()
    if not record.startswith("mail._domainkey.example.com. ") or "v=DKIM1" not in record:
        raise Failure(f"the `cat` of mail.txt printed {record[:80]!r}, not the record")
    with open(f"{OUT}/unbound.conf", "w") as f:
        f.write(f"server:\n  local-zone: \"example.com.\" static\n  local-data: '{record}'\n")
    os.chmod(OUT, 0o755)
    os.chmod(f"{OUT}/unbound.conf", 0o644)
    with open("/etc/signet/signet.conf", "w") as f:
        f.write("\n".join(config) + f"\nResolverConfiguration {OUT}/unbound.conf\n")
    log = open(f"{OUT}/milter.log", "wb")
    milter = subprocess.Popen(["signet-milter", "-c", "/etc/signet/signet.conf", "-f"], stderr=log)
    try:
        for _ in range(100):
            if b"listening on" in open(f"{OUT}/milter.log", "rb").read():
                break
            if milter.poll() is not None:
                raise Failure("signet-milter with the document's configuration exited: "
                              + open(f"{OUT}/milter.log", errors="replace").read()[-800:])
            time.sleep(0.1)
        held.append("signet-milter runs with the document's configuration (UserID signet)")

        # Section 2: the tcprules file and line, then qmail-signet as qmail-smtpd runs it.
        rules = block_with(demo_run.fenced_blocks(doc, ""), "127.:allow")
        with open("/etc/tcp.smtp", "w") as f:
            f.write("\n".join(rules) + "\n")
        tcprules = block_with(demo_run.fenced_blocks(doc, "sh"), "tcprules")[0]
        run(tcprules)
        held.append(f"exit 0: {tcprules}")
        for ip, want in (("127.0.0.1", "signed"), ("198.51.100.7", "verified")):
            env = rules_env(ip)
            env.update(TCPREMOTEIP=ip, TCPREMOTEHOST="client.example.org")
            rc, err = queue(env, env["QMAILQUEUE"], f"{OUT}/{ip}")
            message, which = recorded(f"{OUT}/{ip}")
            if rc != 0 or which != "bin/qmail-queue":
                raise Failure(f"client {ip}: qmail-signet exited {rc} ({err.strip()[-300:]}), queue {which!r}")
            sigs = signatures(message)
            got = "signed" if sigs else "verified" if b"Authentication-Results:" in message else "untouched"
            if got != want:
                raise Failure(f"client {ip} through the document's rules: {got}, not {want}: {message[:300]!r}")
            if sigs:
                p = subprocess.run(["signet", "verify", "--resolver-conf", f"{OUT}/unbound.conf"], input=message,
                                   stdout=subprocess.PIPE, timeout=60)
                if p.returncode != 0:
                    raise Failure(f"the relay client's signature does not verify: {p.stdout[-300:]!r}")
            held.append(f"client {ip} with the document's tcprules, run in {HOME} without QMAILHOME: {want}")

        # Local injection with DKSIGN, as the document gives it for cron and daemons.
        local = {"QMAILQUEUE": "/usr/bin/qmail-signet", "SIGNET_MILTERS": "inet:8891@127.0.0.1",
                 "DKSIGN": "/etc/signet/keys/%/mail.private"}
        rc, err = queue(local, local["QMAILQUEUE"], f"{OUT}/local")
        message, _ = recorded(f"{OUT}/local")
        if rc != 0 or len(signatures(message)) != 1:
            raise Failure(f"local injection with DKSIGN: exit {rc} ({err.strip()[-300:]}), "
                          f"{len(signatures(message))} signatures")
        held.append("local injection with DKSIGN=/etc/signet/keys/%/mail.private: signed")

        # The swap into qmail-queue's place, then its undoing; `cd /var/qmail` is this home.
        moves = [b for b in demo_run.fenced_blocks(doc, "sh") if b and b[0] == "cd /var/qmail"]
        if len(moves) != 2:
            raise Failure(f"docs/qmail.md has {len(moves)} blocks starting `cd /var/qmail`, not 2 (swap, undo)")
        swap, undo = moves
        for line in swap[1:]:
            run(f"cd {HOME} && {line}")
            held.append(f"exit 0 in the qmail home: {line}")
        mode = os.stat(HOME + "/bin/qmail-queue.orig").st_mode & 0o7777
        if mode != 0o4711:
            raise Failure(f"bin/qmail-queue.orig has mode {mode:o} after the swap, not 4711")
        for what, program in (("qmail-inject's bin/qmail-queue", "bin/qmail-queue"),
                              ("QMAILQUEUE=/usr/bin/qmail-signet in front of it", "/usr/bin/qmail-signet")):
            record = f"{OUT}/swap-{len(held)}"
            rc, err = queue(local, program if program.startswith("/") else f"{HOME}/{program}", record)
            message, which = recorded(record)
            sigs = signatures(message)
            if rc != 0 or len(sigs) != 1 or which != "bin/qmail-queue":
                raise Failure(f"after the swap, {what}: exit {rc} ({err.strip()[-300:]}), {len(sigs)} "
                              f"signatures, queued by {which!r}")
            held.append(f"after the swap, {what}: signed once, queued by the real qmail-queue")
        for line in undo[1:]:
            run(f"cd {HOME} && {line}")
            held.append(f"exit 0 in the qmail home: {line}")
        if os.path.exists(HOME + "/bin/qmail-queue.orig") or \
                b"RECORD" not in open(HOME + "/bin/qmail-queue", "rb").read():
            raise Failure("the undo did not put the real qmail-queue back")
        held.append("the undo puts the real qmail-queue back")
    finally:
        milter.send_signal(signal.SIGTERM)
        try:
            milter.wait(timeout=15)
        except subprocess.TimeoutExpired:
            milter.kill()
        log.close()
    print(json.dumps(held))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root")
    ap.add_argument("--source", required=True)
    ap.add_argument("--inside", action="store_true")
    args = ap.parse_args()
    if args.inside:
        try:
            return inside(args.source)
        except (Failure, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
            print(f"FAILED: {type(e).__name__}: {e}")
            return 1
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
    import fresh_root as fr
    root = os.path.abspath(args.root)
    if (code := fr.needs_root(root)) is not None:
        return code
    # The document and this script as they are now, into the root's copy of the source.
    shutil.copy(os.path.join(args.source, "docs", "qmail.md"), root + fr.SOURCE_IN_ROOT + "/docs/qmail.md")
    for name in ("qmail_doc_commands.py", "demo_run.py"):
        shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), root + "/root/" + name)
    p = subprocess.run(fr.in_root(root, ["python3", "/root/qmail_doc_commands.py", "--inside", "--source",
                                         fr.SOURCE_IN_ROOT], private_net=True),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    out = p.stdout.decode(errors="replace")
    if p.returncode != 0:
        print("qmail.md commands: " + out[-3000:])
        return 1
    return demo_run.report("qmail.md commands", json.loads(out.strip().splitlines()[-1]))


if __name__ == "__main__":
    sys.exit(main())
