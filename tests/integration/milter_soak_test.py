#!/usr/bin/python3
"""signet-milter under sustained load: 64 concurrent connections for minutes.

  milter_soak_test.py --milter SIGNET_MILTER --signet SIGNET --load SIGNET_MILTER_LOAD [--seconds S]

signet-milter-load (the project's milter client) keeps 64 connections busy
against one signet-milter on 127.0.0.1: half the time signing, half the time
verifying the signed message (every reply is checked: a DKIM-Signature when
signing, dkim=pass when verifying). The milter's resident memory is sampled
after a warm-up and then every few seconds; the figures are printed.

Fails when any message fails or breaks the protocol, when the milter dies,
or when its RSS at the end is more than 16 MB above the RSS after warm-up
(flat: what a message needs is freed when it ends).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import miltertest_fixtures as fx  # noqa: E402

CONNECTIONS = 64
RSS_GROWTH_LIMIT_KB = 16 * 1024


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def load(tool: str, milter: fx.Milter, message: str, mode: str, seconds: float, save: str | None = None) -> dict:
    argv = [tool, "--socket", milter.socket, "--message", message, "--connections", str(CONNECTIONS),
            "--seconds", str(seconds), "--warmup", "2", "--mode", mode, "--pid", str(milter.proc.pid), "--json"]
    if save:
        argv += ["--save", save]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=seconds + 120)
    try:
        result = json.loads(p.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise fx.Failure(f"signet-milter-load exited {p.returncode}: {fx.text(p.stdout)} {fx.text(p.stderr)}")
    result["exit"] = p.returncode
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--milter", required=True)
    ap.add_argument("--signet", required=True)
    ap.add_argument("--load", required=True)
    ap.add_argument("--seconds", type=float, default=180)
    args = ap.parse_args()

    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="signet-milter-soak-") as work:
        key = fx.keygen(args.signet, os.path.join(work, "keys"), "sel1", "rsa")
        resolver_conf = os.path.join(work, "unbound.conf")
        fx.write_unbound_conf(resolver_conf, [key])
        settings = [("ResolverConfiguration", resolver_conf), ("Domain", fx.DOMAIN), ("Selector", "sel1"),
                    ("KeyFile", key.private), ("MTA", "ORIGINATING")]
        milter = fx.Milter(args.milter, work, "soak", settings).start()
        pid = milter.proc.pid
        plain = os.path.join(work, "plain.eml")
        signed = os.path.join(work, "signed.eml")
        with open(plain, "wb") as f:
            f.write(fx.message("soak", body=b"A line of a message under load.\r\n" * 60))
        samples: list[tuple[float, int]] = []
        stop = threading.Event()

        def sample() -> None:
            started = time.monotonic()
            while not stop.wait(5):
                if milter.proc.poll() is not None:
                    return
                samples.append((time.monotonic() - started, rss_kb(pid)))

        try:
            # Warm-up: every connection thread and allocator arena the load will use.
            warm = load(args.load, milter, plain, "sign", 5, save=signed)
            if warm["failures"] or warm["exit"]:
                raise fx.Failure(f"warm-up failed: {warm}")
            rss_start = rss_kb(pid)
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            half = args.seconds / 2
            phases = [("sign", load(args.load, milter, plain, "sign", half)),
                      ("verify", load(args.load, milter, signed, "verify", half))]
            stop.set()
            sampler.join()
            rss_end = rss_kb(pid)
            for mode, r in phases:
                print(f"{mode}: {r['messages']} messages over {r['connections']} connections in {r['seconds']:.0f} s "
                      f"({r['msgs_per_s']:.0f}/s), p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
                      f"failures {r['failures']}, CPU {r.get('cpu_ms_per_msg', 0):.3f} ms per message")
                if r["failures"] or r["exit"] or r["errors"]:
                    failures.append(f"{mode}: {r['failures']} failure(s): {r['errors']}")
                if r["messages"] < 1000:
                    failures.append(f"{mode}: only {r['messages']} messages; the load was too light to mean much")
            trace = ", ".join(f"{t:.0f}s {kb // 1024} MB" for t, kb in samples[:: max(1, len(samples) // 12)])
            print(f"signet-milter RSS after warm-up {rss_start} KiB, at the end {rss_end} KiB "
                  f"(growth {rss_end - rss_start} KiB); samples: {trace}")
            if rss_end - rss_start > RSS_GROWTH_LIMIT_KB:
                failures.append(f"RSS grew by {rss_end - rss_start} KiB (limit {RSS_GROWTH_LIMIT_KB} KiB)")
            if milter.proc.poll() is not None:
                failures.append(f"signet-milter exited with {milter.proc.returncode}: {milter.log_text()}")
        except fx.Failure as e:
            failures.append(str(e))
        finally:
            stop.set()
            rc = milter.stop()
            if rc not in (0, None):
                failures.append(f"signet-milter exited {rc} after SIGTERM")
    for f in failures:
        print("FAIL", f)
    print(f"milter-soak: {'PASS' if not failures else 'FAIL'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
