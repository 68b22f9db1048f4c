"""The README's first command, run as the README gives it: `bash
scripts/demo.sh` from the top of the source tree, install-deps included
(which finds everything installed), on a free port (SIGNET_DEMO_PORT) and in
a build directory of its own (SIGNET_BUILD_DIR).

  demo_test.py --source TOP --build-dir DIR

1. The demonstration comes up: the main.cf lines, both DNS records and a
   self-check with dkim=pass for both keys; the milter then signs a second
   message from this test's own milter client (miltertest_client.py), which
   `signet verify` and dkimpy both accept; SIGTERM to the script ends it and
   the milter within 10 s, leaving no process of its session behind.
2. Again, stopped as a terminal's Ctrl-C does: SIGINT to its process group.
3. When a step fails, the script says which on stderr and exits 1: the
   milter's port already taken (with the milter's own log), and a domain
   that `signet keygen` refuses.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import demo_run  # noqa: E402
import miltertest_client as mc  # noqa: E402
import miltertest_fixtures as fx  # noqa: E402

BUILD_TIMEOUT = 1500  # the first run builds signet and signet-milter from nothing


def demo(args, port: int, **env_extra: str) -> demo_run.DemoRun:
    env = {k: v for k, v in os.environ.items() if k != "SIGNET_DEMO_DOMAIN"}
    env.update(SIGNET_DEMO_PORT=str(port), SIGNET_BUILD_DIR=args.build_dir, **env_extra)
    return demo_run.DemoRun(["bash", "scripts/demo.sh"], args.source, env,
                            os.path.join(args.build_dir, "demo"), port)


def second_message(args, run: demo_run.DemoRun) -> list[str]:
    """A message from loopback through this test's own client: signed twice, both verify."""
    conn = mc.MilterClient(run.port)
    try:
        if conn.connect_info("localhost", "127.0.0.1") not in (b"", mc.SMFIR_CONTINUE):
            raise demo_run.Failure("the milter refused the connection from 127.0.0.1")
        msg = fx.message("second demonstration message")
        reply = conn.message(msg, queue_id="DEMO2")
    finally:
        conn.quit()
    if reply.final not in (mc.SMFIR_ACCEPT, mc.SMFIR_CONTINUE):
        raise demo_run.Failure(f"the milter answered the second message with {reply.word}")
    sigs = reply.inserted(b"DKIM-Signature")
    if len(sigs) != 2:
        raise demo_run.Failure(f"the milter inserted {len(sigs)} DKIM-Signature fields, not 2")
    signed = reply.apply(msg, conn.leading_space)
    verdicts = fx.signet_verify(os.path.join(args.build_dir, "core", "signet"),
                                os.path.join(run.work_dir, "unbound.conf"), signed)
    if sorted((v.get("selector"), v.get("result")) for v in verdicts) != [("demo-ed", "pass"),
                                                                            ("demo-rsa", "pass")]:
        raise demo_run.Failure(f"signet verify on the second message: {verdicts}")
    keys = []
    for selector in ("demo-rsa", "demo-ed"):
        with open(os.path.join(run.work_dir, "keys", f"{selector}.txt")) as f:
            keys.append(fx.Key(selector, "", f.read().strip()))
    if fx.dkimpy_verify(signed, keys) != [True, True]:
        raise demo_run.Failure("dkimpy does not accept both signatures of the second message")
    return ["second message from the test's client: 2 DKIM-Signature fields, both pass "
            "(signet verify and dkimpy)"]


def expect_failure(args, what: str, must_say: list[str], port: int, **env_extra: str) -> str:
    run = demo(args, port, **env_extra)
    run.start()
    try:
        rc = run.proc.wait(timeout=600)
    except subprocess.TimeoutExpired:
        run.kill()
        raise demo_run.Failure(f"{what}: demo.sh did not end")
    finally:
        run.kill()
    stderr = "\n".join(run.stderr)
    if rc != 1:
        raise demo_run.Failure(f"{what}: demo.sh exited {rc}, expected 1\n" + run.transcript())
    for words in must_say:
        if words not in stderr:
            raise demo_run.Failure(f"{what}: stderr does not say {words!r}\n" + run.transcript())
    if run.ready.is_set():
        raise demo_run.Failure(f"{what}: demo.sh said its milter was ready")
    return f"{what}: exit 1, stderr says " + "; ".join(repr(w) for w in must_say)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--build-dir", required=True)
    args = ap.parse_args()
    held: list[str] = []
    port = fx.free_port()
    try:
        run = demo(args, port)
        run.start()
        try:
            run.wait_ready(BUILD_TIMEOUT)
            held += run.check_output()
            held += second_message(args, run)
            seconds = run.stop(signal.SIGTERM)
            held.append(f"SIGTERM to the script: it, its milter and its session ended in {seconds:.1f} s")
        finally:
            run.kill()

        run = demo(args, port)
        run.start()
        try:
            run.wait_ready(600)
            seconds = run.stop(signal.SIGINT, whole_group=True)
            held.append(f"Ctrl-C (SIGINT to the process group): everything ended in {seconds:.1f} s")
        finally:
            run.kill()

        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            held.append(expect_failure(args, "port in use", [
                "signet demo: signet-milter did not start", "--- milter.log ---", "cannot listen on"],
                taken.getsockname()[1]))
        held.append(expect_failure(args, "domain keygen refuses", [
            "signet demo: making the rsa key failed (signet keygen)", "--- keygen.log ---"],
            fx.free_port(), SIGNET_DEMO_DOMAIN="not a domain"))
    except (demo_run.Failure, fx.Failure, mc.ProtocolError, OSError) as e:
        return demo_run.report("demo", held, e)
    return demo_run.report("demo", held)


if __name__ == "__main__":
    sys.exit(main())
