"""What qmail-signet adds to one message, measured one way for the test suite
(qmail_test.py case overhead) and the benchmark (tests/bench/milter_compare.py).

Runs qmail-signet and the stand-in queue program alone in turn, `runs` times
each, the way qmail-smtpd runs qmail-queue: the message into a pipe on fd 0
(closed), then the envelope into a pipe on fd 1. CPU is the user + system
time of the children (the queue program included), which a loaded machine
inflates less than wall-clock time; wall-clock medians are given too.
"""

import os
import resource
import statistics
import subprocess
import time


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _once(argv: list[str], env: dict, msg: bytes, envelope: bytes) -> tuple[float, float, int]:
    msg_r, msg_w = os.pipe()
    env_r, env_w = os.pipe()
    cpu0, started = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen(argv, stdin=msg_r, stdout=env_r, stderr=subprocess.DEVNULL, env=env)
    os.close(msg_r)
    os.close(env_r)
    os.write(msg_w, msg)  # a few KB: fits in the pipe
    os.close(msg_w)
    os.write(env_w, envelope)
    os.close(env_w)
    rc = proc.wait()
    return time.perf_counter() - started, _children_cpu() - cpu0, rc


def measure(shim: str, recorder: str, env: dict, msg: bytes, envelope: bytes, runs: int) -> dict:
    """Per-run figures in milliseconds, and how many runs did not exit 0."""
    wall: dict[str, list[float]] = {"direct": [], "shim": []}
    cpu = {"direct": 0.0, "shim": 0.0}
    failed = 0
    for _ in range(runs):
        for kind, argv in (("direct", [recorder]), ("shim", [shim])):
            w, t, rc = _once(argv, env, msg, envelope)
            wall[kind].append(w)
            cpu[kind] += t
            failed += rc != 0
    return {"size": len(msg), "runs": runs, "failed_runs": failed,
            "cpu_direct_ms": cpu["direct"] / runs * 1000, "cpu_shim_ms": cpu["shim"] / runs * 1000,
            "wall_direct_ms": statistics.median(wall["direct"]) * 1000,
            "wall_shim_ms": statistics.median(wall["shim"]) * 1000}
