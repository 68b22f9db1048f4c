"""docs/arc.md's commands, run as written.

  arc_doc_commands.py --doc docs/arc.md --bin-dir BUILD/core --milter BUILD/milter/signet-milter

The first sh block (keygen, the local unbound file, arc-seal, verify, verify
--json) runs as written in a fresh directory holding a message.eml, with
`signet` found on PATH. The second (`signet-milter -n -c /etc/openarc.conf`)
runs with /etc/openarc.conf replaced by an OpenARC-shaped file of the
test's own, the only change. Checks: every command exits 0 (the two
verify commands 1, as the doc says: the message has no DKIM signature); the sealed
message carries one ARC set with i= first and cv=none; verify says
arc=pass, --json gives the arc object; signet-milter -n accepts the file
and says it read it as OpenARC's.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo"))
import demo_run  # noqa: E402  (fenced_blocks, report)

MESSAGE = (b"From: Alice <alice@example.com>\r\nTo: list@forwarder.example\r\nSubject: arc.md\r\n"
           b"Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <arc-md@example.com>\r\n\r\nHello.\r\n")


def commands(lines: list[str]) -> list[str]:
    """The block's commands, continuation lines joined."""
    out, current = [], ""
    for line in lines:
        current += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            out.append(current)
            current = ""
    return out


def run_block(lines: list[str], cwd: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Runs the commands one by one as written; each must exit 0, but `signet
    verify`, which exits 1 as the doc says (the message has no DKIM signature)."""
    stdout, stderr = b"", b""
    for command in commands(lines):
        p = subprocess.run(["bash", "-c", "set -uo pipefail\n" + command], cwd=cwd, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        stdout += p.stdout
        stderr += p.stderr
        allowed = (0, 1) if command.startswith("signet verify") else (0,)
        if p.returncode not in allowed:
            raise demo_run.Failure(f"`{command[:80]}` exited {p.returncode}: {p.stderr.decode()[-600:]}")
        if command.startswith("signet verify") and p.returncode != 1:
            raise demo_run.Failure(f"`{command[:80]}` exited 0, not 1 as docs/arc.md says")
    return subprocess.CompletedProcess(lines, 0, stdout, stderr)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--doc", required=True)
    ap.add_argument("--bin-dir", required=True, help="the directory holding the signet program")
    ap.add_argument("--milter", required=True, help="the signet-milter program")
    args = ap.parse_args()
    held: list[str] = []
    try:
        blocks = demo_run.fenced_blocks(args.doc, "sh")
        if len(blocks) != 2:
            raise demo_run.Failure(f"docs/arc.md has {len(blocks)} sh blocks; this test knows 2")
        with tempfile.TemporaryDirectory(prefix="signet-arc-doc-") as work:
            with open(os.path.join(work, "message.eml"), "wb") as f:
                f.write(MESSAGE)
            env = dict(os.environ, PATH=os.path.abspath(args.bin_dir) + ":" + os.environ.get("PATH", ""))
            p = run_block(blocks[0], work, env)
            if p.returncode != 0:
                raise demo_run.Failure(f"the command block exited {p.returncode}: {p.stderr.decode()[-800:]}")
            held.append("the command block ran as written: exit 0, and 1 for both verify commands as the doc says")
            with open(os.path.join(work, "sealed.eml"), "rb") as f:
                sealed = f.read()
            if not sealed.startswith(b"ARC-Seal: i=1; ") or b"ARC-Message-Signature: i=1; " not in sealed \
                    or b"ARC-Authentication-Results: i=1; mx.forwarder.example;" not in sealed \
                    or b"cv=none" not in sealed or not sealed.endswith(MESSAGE):
                raise demo_run.Failure(f"sealed.eml is not one ARC set over the message: {sealed[:400]!r}")
            held.append("sealed.eml: one ARC set (i= first, cv=none) over the message unchanged")
            out = p.stdout.decode()
            if "arc=pass (1 set, newest sealed by forwarder.example)" not in " ".join(out.split()):
                raise demo_run.Failure(f"signet verify did not say arc=pass: {out[-600:]}")
            arc = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"arc"' in line]
            if len(arc) != 1 or arc[0]["result"] != "pass" or arc[0]["instances"] != 1:
                raise demo_run.Failure(f"signet verify --json gave {arc}")
            held.append("verify: arc=pass; verify --json: the arc object, result pass, 1 instance")

            key = os.path.join(work, "keys", "arc2026.private")
            conf = os.path.join(work, "openarc.conf")
            with open(conf, "w") as f:
                f.write("AuthservID mx.forwarder.example\nMode sv\nDomain forwarder.example\nSelector arc2026\n"
                        f"KeyFile {key}\nInternalHosts 127.0.0.1\nSocket inet:8894@127.0.0.1\n")
            lines = [line.replace("signet-milter", os.path.abspath(args.milter), 1).replace("/etc/openarc.conf", conf)
                     for line in blocks[1]]
            p = run_block(lines, work, env)
            said = (p.stdout + p.stderr).decode()
            if p.returncode != 0 or "OK" not in said or "read as an openarc.conf(5)" not in said:
                raise demo_run.Failure(f"signet-milter -n on an openarc.conf exited {p.returncode}: {said[-600:]}")
            held.append("signet-milter -n -c openarc.conf: accepted, read as OpenARC's")
    except demo_run.Failure as e:
        return demo_run.report("docs/arc.md commands", held, e)
    return demo_run.report("docs/arc.md commands", held)


if __name__ == "__main__":
    sys.exit(main())
