#!/usr/bin/python3
"""signet-milter under hostile clients: they must not affect anyone else.

  milter_faults_test.py --milter SIGNET_MILTER --signet SIGNET

One signet-milter (signing, on 127.0.0.1) serves a well-behaved client that
sends message after message, while other clients at the same time:
  - disconnect in the middle of a message (after MAIL, in the headers, in the
    body, after end of headers, right after negotiating), many times;
  - send garbage: random bytes, a packet length of 4 GB, a zero length, an
    unknown command, a header packet without its NUL;
  - are very slow: connections that negotiate and then trickle one byte of a
    header packet every half second, held open for the whole run;
  - abort a message and go on with the next in the same connection.
Checks: every message of the good client is answered and signed (the
signature verifies with dkimpy), with no protocol error; the milter is still
running and answers a last message after the storm; its thread count comes
back down once the hostile connections are gone; RSS at start and end is
printed; and the log (LogWhy on) holds no piece of the private key.

Then libmilter's two limits, as signet-milter configures them: a header
field of about 100 KB (one packet) ends the connection under the default
MaximumPacketBytes 65535 while others are still served, and is signed with
MaximumPacketBytes 262143; a packet the MTA starts and never finishes ends
the connection after MilterTimeout (2 s here, 7210 s by default).
Everything on 127.0.0.1, started and stopped here by pid.
"""

import argparse
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import miltertest_client as mc  # noqa: E402
import miltertest_fixtures as fx  # noqa: E402

SIGN_MACROS = {"{daemon_name}": "ORIGINATING"}


def proc_status(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def raw_connection(port: int, negotiate: bool = True) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if negotiate:
        s.sendall(struct.pack("!I", 13) + mc.SMFIC_OPTNEG + struct.pack("!III", 6, mc.OFFERED_ACTIONS,
                                                                         mc.OFFERED_PROTOCOL))
        s.recv(4096)
    return s


def packet(command: bytes, data: bytes = b"") -> bytes:
    return struct.pack("!I", len(data) + 1) + command + data


class Storm:
    """The hostile clients, each kind in its own thread, until stop is set."""

    def __init__(self, port: int, msg: bytes):
        self.port = port
        self.msg = msg
        self.stop = threading.Event()
        self.counts = {"disconnects": 0, "garbage": 0, "aborts": 0, "slow": 0}
        self.errors: list[str] = []
        self.slow_sockets: list[socket.socket] = []
        self.threads = [threading.Thread(target=t, daemon=True)
                        for t in (self.disconnecting, self.garbage, self.aborting, self.slow)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)
        for s in self.slow_sockets:
            s.close()

    def guard(self, what: str, fn) -> None:
        try:
            fn()
        except (OSError, mc.ProtocolError):
            pass  # the milter may close on us; that is its right
        except Exception as e:  # a bug in this test
            self.errors.append(f"{what}: {e!r}")

    def disconnecting(self) -> None:
        head, body = fx.split(self.msg)
        cut_points = ["negotiated", "mail", "header", "eoh", "body"]
        i = 0
        while not self.stop.is_set():
            where = cut_points[i % len(cut_points)]
            i += 1

            def one():
                c = mc.MilterClient(self.port)
                try:
                    if where == "negotiated":
                        return
                    c.connect_info("client.example.org", "192.0.2.1", SIGN_MACROS)
                    c.begin(SIGN_MACROS)
                    if where == "mail":
                        return
                    name, _, value = head.split(b"\r\n")[0].partition(b":")
                    c.send(mc.SMFIC_HEADER, name + b"\0" + value + b"\0")
                    if where == "header":
                        return
                    c.headers(head)
                    if where == "eoh":
                        return
                    c.send(mc.SMFIC_BODY, body[: len(body) // 2])
                finally:
                    c.sock.close()  # no QUIT: gone in the middle
            self.guard("disconnect", one)
            self.counts["disconnects"] += 1

    def garbage(self) -> None:
        rng = random.Random(7)
        kinds = ["random", "huge length", "zero length", "unknown command", "header without NUL", "nothing"]
        i = 0
        while not self.stop.is_set():
            kind = kinds[i % len(kinds)]
            i += 1

            def one():
                s = raw_connection(self.port, negotiate=kind not in ("random", "nothing"))
                try:
                    if kind == "random":
                        s.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300))))
                    elif kind == "huge length":
                        s.sendall(struct.pack("!I", 0xFFFFFFFF) + b"L")
                    elif kind == "zero length":
                        s.sendall(struct.pack("!I", 0))
                    elif kind == "unknown command":
                        s.sendall(packet(b"Z", b"whatever\0"))
                    elif kind == "header without NUL":
                        s.sendall(packet(mc.SMFIC_HEADER, b"Subject"))
                    s.settimeout(0.3)
                    try:
                        s.recv(4096)
                    except socket.timeout:
                        pass
                finally:
                    s.close()
            self.guard(f"garbage ({kind})", one)
            self.counts["garbage"] += 1

    def aborting(self) -> None:
        head, _ = fx.split(self.msg)
        while not self.stop.is_set():
            def one():
                c = mc.MilterClient(self.port)
                try:
                    c.connect_info("client.example.org", "192.0.2.1", SIGN_MACROS)
                    for _ in range(3):
                        c.begin(SIGN_MACROS)
                        c.headers(head)
                        c.send(mc.SMFIC_ABORT)
                    reply = c.message(self.msg, SIGN_MACROS)
                    if not reply.inserted(b"DKIM-Signature"):
                        self.errors.append(f"after three aborts the next message was not signed ({reply.word})")
                finally:
                    c.quit()
            self.guard("abort", one)
            self.counts["aborts"] += 1

    def slow(self) -> None:
        for _ in range(20):
            try:
                s = raw_connection(self.port)
                self.slow_sockets.append(s)
            except OSError as e:
                self.errors.append(f"slow client could not connect: {e}")
        trickle = packet(mc.SMFIC_HEADER, b"Subject\0" + b"x" * 200 + b"\0")
        offset = 0
        while not self.stop.wait(0.5) and offset < len(trickle):
            for s in self.slow_sockets:
                try:
                    s.sendall(trickle[offset:offset + 1])
                except OSError:
                    pass
            offset += 1
        self.counts["slow"] = len(self.slow_sockets)


def run_storm(port: int, seconds: float) -> int:
    """The hostile clients in a process of their own (so that Python's GIL does
    not make the good client look slow): prints their counts as JSON."""
    storm = Storm(port, fx.message("hostile neighbours"))
    storm.start()
    time.sleep(seconds)
    storm.finish()
    print(json.dumps({"counts": storm.counts, "errors": storm.errors}))
    return 0


def signing_message(port: int, msg: bytes, timeout: float = 30.0):
    """One message on a fresh connection from a client that is signed for;
    returns the reply and whether the milter negotiated a leading space."""
    c = mc.MilterClient(port, timeout=timeout)
    c.connect_info("client.example.org", "192.0.2.1", SIGN_MACROS)
    reply = c.message(msg, SIGN_MACROS)
    c.quit()
    return reply, c.leading_space


def good_messages(port: int, msg: bytes, key: fx.Key, seconds: float, good: dict, problems: list[str],
                  latencies: list[float]) -> None:
    """The well-behaved client: one message per connection, as Postfix does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        good["sent"] += 1
        try:
            reply, leading_space = signing_message(port, msg)
        except (OSError, mc.ProtocolError) as e:
            problems.append(f"message {good['sent']}: {e!r}")
            continue
        latencies.append(time.perf_counter() - started)
        fields = reply.inserted(b"DKIM-Signature")
        if reply.word not in ("continue", "accept") or len(fields) != 1:
            problems.append(f"message {good['sent']}: {reply.word}, {len(fields)} signature(s)")
            continue
        good["signed"] += 1
        if good["signed"] % 25 == 1:  # dkimpy is slow; check a sample
            if fx.dkimpy_verify(reply.apply(msg, leading_space), [key]) == [True]:
                good["verified"] += 1
            else:
                problems.append(f"message {good['sent']}: the signature does not verify with dkimpy")


def libmilter_limits(args, work: str, settings: list[tuple[str, str]], default_port: int,
                     msg: bytes) -> list[str]:
    """MaximumPacketBytes and MilterTimeout crossed; returns the failures."""
    failures: list[str] = []
    big = fx.message("one 100 KB header field", extra=["X-Big: " + "\r\n ".join(["y" * 900] * 110)])

    def sign(port: int, m: bytes) -> str:
        r, _ = signing_message(port, m, timeout=10)
        return f"{r.word}, {len(r.inserted(b'DKIM-Signature'))} signature(s)"

    try:
        got = sign(default_port, big)
        failures.append(f"a 100 KB header packet under MaximumPacketBytes 65535 was answered: {got}")
    except (OSError, mc.ProtocolError) as e:
        print(f"100 KB header field, MaximumPacketBytes 65535: connection ended ({type(e).__name__})")
    after = sign(default_port, msg)
    print(f"  the next connection: {after}")
    if after != "continue, 1 signature(s)":
        failures.append(f"after the oversize packet the milter answered {after}")

    limits = fx.Milter(args.milter, work, "limits", settings + [("MaximumPacketBytes", "262143"),
                                                                ("MilterTimeout", "2")]).start()
    try:
        got = sign(limits.port, big)
        print(f"100 KB header field, MaximumPacketBytes 262143: {got}")
        if got != "continue, 1 signature(s)":
            failures.append(f"with MaximumPacketBytes 262143 the 100 KB field got {got}")
        stalled = raw_connection(limits.port)
        stalled.sendall(struct.pack("!I", 201) + mc.SMFIC_HEADER + b"Subject\0only a piece")
        started = time.monotonic()
        stalled.settimeout(30)
        try:
            closed = stalled.recv(10) == b""
        except OSError:
            closed = True
        waited = time.monotonic() - started
        stalled.close()
        print(f"a packet started and never finished, MilterTimeout 2: connection ended after {waited:.1f} s")
        if not closed or not 1.5 <= waited <= 10:
            failures.append(f"MilterTimeout 2: the stalled connection ended={closed} after {waited:.1f} s")
        after = sign(limits.port, msg)
        if after != "continue, 1 signature(s)":
            failures.append(f"after the stalled connection the milter answered {after}")
    finally:
        rc = limits.stop()
        if rc not in (0, None):
            failures.append(f"the limits milter exited {rc} after SIGTERM")
    return failures


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--milter")
    ap.add_argument("--signet")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--storm-port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.storm_port:
        return run_storm(args.storm_port, args.seconds)
    if not args.milter or not args.signet:
        ap.error("--milter and --signet are required")

    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="signet-milter-faults-") as work:
        key = fx.keygen(args.signet, os.path.join(work, "keys"), "sel1", "rsa")
        resolver_conf = os.path.join(work, "unbound.conf")
        fx.write_unbound_conf(resolver_conf, [key])
        settings = [("ResolverConfiguration", resolver_conf), ("Domain", fx.DOMAIN), ("Selector", "sel1"),
                    ("KeyFile", key.private), ("MTA", "ORIGINATING"), ("LogWhy", "yes")]
        milter = fx.Milter(args.milter, work, "faults", settings).start()
        pid = milter.proc.pid
        msg = fx.message("hostile neighbours")
        try:
            time.sleep(0.2)
            threads_before = proc_status(pid, "Threads")
            rss_before = proc_status(pid, "VmRSS")
            quiet = {"sent": 0, "signed": 0, "verified": 0}
            quiet_latencies: list[float] = []
            problems: list[str] = []
            good_messages(milter.port, msg, key, 3, quiet, problems, quiet_latencies)

            storm_proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--storm-port",
                                           str(milter.port), "--seconds", str(args.seconds)],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(0.5)
            good = {"sent": 0, "signed": 0, "verified": 0}
            latencies: list[float] = []
            good_messages(milter.port, msg, key, args.seconds - 1, good, problems, latencies)
            out, err = storm_proc.communicate(timeout=120)
            try:
                storm = json.loads(out.decode().strip().splitlines()[-1])
            except (ValueError, IndexError):
                storm = {"counts": {}, "errors": [f"the storm process said: {err.decode()[-500:]}"]}

            def figures(name: str, g: dict, lat: list[float]) -> str:
                if not lat:
                    return f"{name}: {g}"
                return (f"{name}: {g}; latency p50 {mc.percentile(lat, 50) * 1000:.1f} ms, "
                        f"p99 {mc.percentile(lat, 99) * 1000:.1f} ms")
            print(figures("good client alone", quiet, quiet_latencies))
            print(figures("good client during the storm", good, latencies))
            print(f"hostile clients meanwhile: {storm['counts']}")
            if problems:
                failures.append(f"{len(problems)} good message(s) went wrong: " + "; ".join(problems[:5]))
            if good["signed"] < 20:
                failures.append(f"only {good['signed']} good messages in {args.seconds:.0f} s")
            if storm["errors"]:
                failures.append("test errors: " + "; ".join(storm["errors"][:5]))
            counts = storm["counts"]
            if min(counts.get("disconnects", 0), counts.get("garbage", 0), counts.get("aborts", 0)) < 10 or \
                    counts.get("slow", 0) < 20:
                failures.append(f"the storm was too weak to mean anything: {counts}")

            # After the storm: still there, still signing, threads back down.
            if milter.proc.poll() is not None:
                failures.append(f"signet-milter exited with {milter.proc.returncode}: {milter.log_text()}")
            else:
                last, _ = signing_message(milter.port, msg)
                if len(last.inserted(b"DKIM-Signature")) != 1:
                    failures.append(f"after the storm a message got {last.word} without a signature")
                threads_after = -1
                for _ in range(100):  # libmilter's threads end as their connections are noticed closed
                    threads_after = proc_status(pid, "Threads")
                    if threads_after <= threads_before + 2:
                        break
                    time.sleep(0.1)
                rss_after = proc_status(pid, "VmRSS")
                print(f"signet-milter threads {threads_before} -> {threads_after}; "
                      f"RSS {rss_before} KiB -> {rss_after} KiB")
                if threads_after > threads_before + 2:
                    failures.append(f"threads did not come back down: {threads_before} -> {threads_after}")
                failures += libmilter_limits(args, work, settings, milter.port, msg)
        finally:
            rc = milter.stop()
            if rc not in (0, None):
                failures.append(f"signet-milter exited {rc} after SIGTERM")
        # Secrets never reach the log: no 16-character piece of the private
        # key's base64 appears in it (LogWhy is on, so the log says the most).
        with open(key.private) as f:
            secret = "".join(line.strip() for line in f if not line.startswith("-----"))
        log = "\n".join(milter.log_lines())
        leaked = [secret[i:i + 16] for i in range(0, len(secret) - 16, 8) if secret[i:i + 16] in log]
        print(f"log: {len(log)} bytes, {len(milter.log_lines())} lines; private key pieces found in it: {len(leaked)}")
        if leaked:
            failures.append(f"the private key appears in the log ({len(leaked)} pieces)")
        if len(milter.log_lines()) < 100:
            failures.append("the log is too short for the secrets check to mean anything")
    for f in failures:
        print("FAIL", f)
    print(f"milter-faults: {'PASS' if not failures else 'FAIL'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
