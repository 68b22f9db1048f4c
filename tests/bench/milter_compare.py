#!/usr/bin/python3
"""signet-milter and OpenDKIM side by side, in one run (docs/performance.md).

Both milters get the same keys (RSA-2048, Ed25519), the same messages (2 KB,
64 KB, 1 MB), the same settings where both have them (relaxed/relaxed, the
same signed header fields, From oversigned) and the same DNS: a real
`unbound` on 127.0.0.1 with local-data for the keys; signet-milter forwards
to it with `Nameservers 127.0.0.1@PORT`, OpenDKIM (whose Nameservers takes no
port) through a ResolverConfiguration file with a forward-zone to it.

Before any timing, each milter signs a message that `signet verify` must
pass, and every timed verify-mode message must come back with dkim=pass in
its Authentication-Results (signet-milter-load checks each reply).

Then signet-milter-load drives each milter (sign and verify, concurrency 1
and 4, the two milters in turn for each case so that drifts in the machine's
load hit both) and the table shows each figure for both and the ratio
Signet/OpenDKIM. CPU per message is the change in utime+stime of the milter
process over the timed window divided by the messages.

Targets are printed PASS or MISS; the exit status says only whether
something broke (a milter that does not sign or verify, a tool that fails),
never whether a target was met. All servers are on 127.0.0.1, started here
and stopped by pid.
"""

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from qmail_overhead import measure as measure_qmail_overhead  # noqa: E402  (tests/integration)

DOMAIN = "example.com"
AUTHSERV_ID = "mx.signet.test"
SIGN_HEADERS = "From,To,Subject,Date,Message-ID,MIME-Version,Content-Type"
SIZES = [("2 KB", 2 * 1024), ("64 KB", 64 * 1024), ("1 MB", 1024 * 1024)]


class Broken(Exception):
    """The set-up does not work: no figure from this run can be trusted."""


def log(msg: str) -> None:
    print(msg, flush=True)


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
    raise Broken("no free port")


def pdeathsig(argv: list[str]) -> list[str]:
    if os.access("/usr/bin/setpriv", os.X_OK):
        return ["/usr/bin/setpriv", "--pdeathsig", "TERM", *argv]
    return argv


def run(argv: list[str], stdin: bytes = b"", timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def short(b: bytes, limit: int = 800) -> str:
    s = b.decode("utf-8", "replace").strip()
    return s if len(s) <= limit else s[:limit] + "..."


# --------------------------------------------------------------------------- processes

class Server:
    """A process started here, stopped by its pid."""

    def __init__(self, name: str, argv: list[str], log_path: str):
        self.name = name
        self.log_path = log_path
        with open(log_path, "wb") as f:
            self.proc = subprocess.Popen(pdeathsig(argv), stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)
        # With setpriv in front, the server is setpriv's exec: the same pid.
        self.pid = self.proc.pid

    def log_text(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return short(f.read(), 2000)
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()


def wait_tcp(server: Server, port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise Broken(f"{server.name} exited {server.proc.returncode} at start: {server.log_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise Broken(f"{server.name} is not listening on {port}: {server.log_text()}")


def dns_txt_query(port: int, name: str) -> bool:
    """One TXT query over UDP; true when the answer holds a record."""
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    q += struct.pack(">HH", 16, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        try:
            s.sendto(q, ("127.0.0.1", port))
            data = s.recv(4096)
        except OSError:
            return False
    return len(data) >= 12 and struct.unpack(">H", data[:2])[0] == qid and struct.unpack(">H", data[6:8])[0] > 0


def port_53_free(host: str) -> bool:
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(socket.AF_INET, kind) as s:
                s.bind((host, 53))
        return True
    except OSError:
        return False


class Unbound(Server):
    """One unbound on 127.0.0.1@PORT, and also on 127.0.0.2@53 when that is free: OpenDKIM's
    Nameservers takes addresses without a port (the same server, the same data)."""

    def __init__(self, binary: str, workdir: str, records: list[str], probe: str):
        self.port = free_port()
        self.port53 = "127.0.0.2" if port_53_free("127.0.0.2") else None
        d = os.path.join(workdir, "unbound")
        os.makedirs(d)
        conf = os.path.join(d, "unbound.conf")
        with open(conf, "w") as f:
            f.write("server:\n")
            if self.port53:
                f.write(f"  interface: {self.port53}@53\n")
            for line in [f"interface: 127.0.0.1", f"port: {self.port}", "do-daemonize: no", 'username: ""',
                         'chroot: ""', f'directory: "{d}"', f'pidfile: "{d}/unbound.pid"', "use-syslog: no",
                         "verbosity: 0", "do-ip6: no", "access-control: 127.0.0.0/8 allow", "num-threads: 1",
                         'module-config: "iterator"', "harden-glue: yes", f'local-zone: "{DOMAIN}." static']:
                f.write(f"  {line}\n")
            for r in records:
                f.write(f"  local-data: '{r}'\n")
        super().__init__("unbound", [binary, "-d", "-c", conf], os.path.join(d, "unbound.log"))
        deadline = time.monotonic() + 15
        while not dns_txt_query(self.port, probe):
            if not self.alive() or time.monotonic() > deadline:
                self.stop()
                raise Broken(f"unbound did not answer for {probe} on port {self.port}: {self.log_text()}")
            time.sleep(0.05)


class Milter(Server):
    """signet-milter or OpenDKIM in the foreground on a free 127.0.0.1 port."""

    def __init__(self, kind: str, binary: str, workdir: str, key: dict, dns: Unbound):
        self.kind = kind
        self.port = free_port()
        d = os.path.join(workdir, f"{kind}-{key['name']}")
        os.makedirs(d)
        conf = os.path.join(d, f"{kind}.conf")
        common = [("Socket", self.socket), ("Mode", "sv"), ("Syslog", "no"), ("PidFile", os.path.join(d, "pid")),
                  ("AuthservID", AUTHSERV_ID), ("Domain", DOMAIN), ("Selector", key["selector"]),
                  ("KeyFile", key["private"]), ("Canonicalization", "relaxed/relaxed"),
                  ("SignHeaders", SIGN_HEADERS), ("OversignHeaders", "From"), ("MTA", "ORIGINATING"),
                  ("InternalHosts", "127.0.0.1"), ("MinimumKeyBits", "1024"), ("DNSTimeout", "5")]
        if kind == "signet":
            settings = common + [("SignatureAlgorithm", "rsa-sha256"), ("Nameservers", f"127.0.0.1@{dns.port}")]
            argv = [binary, "-c", conf, "-f"]
        else:
            if dns.port53:
                # OpenDKIM's best set-up: one resolver (and its cache) for the whole process.
                resolver = [("Nameservers", dns.port53)]
            else:
                # Works, but OpenDKIM reads this file anew for every message (and libunbound's
                # parser is not thread-safe); the report says which was used.
                path = os.path.join(d, "unbound-forward.conf")
                with open(path, "w") as f:
                    f.write("server:\n  do-not-query-localhost: no\n  do-ip6: no\n"
                            f'forward-zone:\n  name: "."\n  forward-addr: 127.0.0.1@{dns.port}\n')
                resolver = [("ResolverConfiguration", path)]
            # RequireSafeKeys no: the keys are under /tmp, which others may write (a start-up check only).
            settings = common + [("SignatureAlgorithm", key["algorithm"]), ("RequireSafeKeys", "no")] + resolver
            argv = [binary, "-f", "-x", conf]
        with open(conf, "w") as f:
            f.write("".join(f"{k} {v}\n" for k, v in settings))
        super().__init__(f"{kind} ({key['name']})", argv, os.path.join(d, f"{kind}.log"))
        wait_tcp(self, self.port)

    @property
    def socket(self) -> str:
        return f"inet:{self.port}@127.0.0.1"


# --------------------------------------------------------------------------- messages

def make_message(subject: str, size: int) -> bytes:
    head = ("From: Alice <alice@example.com>\r\nTo: Bob <bob@example.net>\r\n"
            f"Subject: {subject}\r\nDate: Tue, 2 Jan 2024 10:00:00 +0000\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@example.com>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    rng = random.Random(size)
    words = ["signet", "milter", "dkim", "body", "canonical", "hash", "relaxed", "header", "queue", "mail"]
    lines, total = [], len(head)
    while total < size:
        line = " ".join(rng.choice(words) for _ in range(11)).encode() + b"\r\n"
        lines.append(line)
        total += len(line)
    return head + b"".join(lines)


def keygen(signet: str, out_dir: str, selector: str, algorithm: str) -> dict:
    p = run([signet, "keygen", "--domain", DOMAIN, "--selector", selector, "--algorithm", algorithm,
             "--out-dir", out_dir])
    if p.returncode != 0:
        raise Broken(f"signet keygen {selector}: {short(p.stderr)}")
    with open(os.path.join(out_dir, f"{selector}.txt")) as f:
        record = f.read().strip()
    return {"selector": selector, "private": os.path.join(out_dir, f"{selector}.private"), "record": record}


# --------------------------------------------------------------------------- the load tool

class Bench:
    def __init__(self, args, workdir: str):
        self.args = args
        self.dir = workdir
        self.broken: list[str] = []

    def load(self, milter: Milter, mode: str, files: list[str], messages: int, connections: int,
             quick_ack: bool = True, warmup: int = 5, save: str | None = None, check: bool = True,
             seconds: float = 0) -> dict:
        argv = [self.args.load, "--socket", milter.socket, "--mode", mode, "--connections", str(connections),
                "--messages", str(messages), "--warmup", str(warmup), "--pid", str(milter.pid), "--json"]
        if seconds:
            argv += ["--seconds", str(seconds)]
        for f in files:
            argv += ["--message", f]
        if not quick_ack:
            argv.append("--no-quick-ack")
        if save:
            argv += ["--save", save]
        if not check:
            argv.append("--no-check")
        p = run(argv, timeout=900)
        try:
            result = json.loads(p.stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise Broken(f"signet-milter-load exited {p.returncode}: {short(p.stdout)} {short(p.stderr)}")
        if p.returncode != 0 or result.get("failures"):
            raise Broken(f"{milter.name} {mode}: {result.get('failures')} failure(s): {result.get('errors')}; "
                         f"milter log: {milter.log_text()}")
        return result

    def check_signs(self, milter: Milter, msg_file: str, key: dict, resolver_conf: str) -> None:
        """One message signed through the milter must pass `signet verify` with the right algorithm."""
        out = os.path.join(self.dir, f"signed-by-{milter.kind}-{key['name']}.eml")
        self.load(milter, "sign", [msg_file], 1, 1, warmup=0, save=out)
        with open(out, "rb") as f:
            signed = f.read()
        p = run([self.args.signet, "verify", "--resolver-conf", resolver_conf, "--json"], signed)
        results = [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]
        ours = [r for r in results if r.get("method") == "dkim"]
        if p.returncode != 0 or not ours or any(r.get("result") != "pass" for r in ours):
            raise Broken(f"{milter.name}: the message it signed does not verify: {results} {short(p.stderr)}")
        if not any(r.get("algorithm") == key["algorithm"] for r in ours):
            raise Broken(f"{milter.name}: signed with {[r.get('algorithm') for r in ours]}, not {key['algorithm']}")
        log(f"  {milter.name}: signs ({key['algorithm']}) and `signet verify` passes it")


# --------------------------------------------------------------------------- qmail-signet

def qmail_overhead(args, workdir: str, runs: int) -> dict:
    """qmail-signet with no milter against the stand-in queue program alone, interleaved, measured
    by tests/integration/qmail_overhead.py as qmail_test.py's case overhead is."""
    home = os.path.join(workdir, "qmail")
    spool = os.path.join(workdir, "spool")
    record = os.path.join(workdir, "record")
    for d in (os.path.join(home, "control"), spool, record):
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(home, "control", "me"), "w") as f:
        f.write("mx.signet.test\n")
    env = {"PATH": "/usr/bin:/bin", "QMAILHOME": home, "DKQUEUE": args.recorder, "SIGNET_TMPDIR": spool,
           "SIGNET_MILTERS": "", "RECORD_DIR": record}
    head = ("Received: (qmail 1234 invoked from network); 2 Jan 2024 10:00:00 -0000\nFrom: Alice <alice@example.com>\n"
            "To: Bob <bob@example.net>\nSubject: overhead\nDate: Tue, 2 Jan 2024 10:00:00 +0000\n"
            "Message-ID: <overhead@example.com>\n\n").encode()
    msg = head + (b"z" * 63 + b"\n") * ((4096 - len(head)) // 64)
    q = measure_qmail_overhead(args.shim, args.recorder, env, msg, b"Falice@example.com\0Tbob@example.net\0\0", runs)
    if q["failed_runs"]:
        raise Broken(f"qmail overhead: {q['failed_runs']} run(s) did not exit 0")
    with open(os.path.join(record, "message"), "rb") as f:
        if f.read() != msg:
            raise Broken("qmail overhead: the message was not queued intact")
    return q


# --------------------------------------------------------------------------- the run

def fmt(v: float, digits: int = 3) -> str:
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.{digits}f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def machine() -> str:
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"nproc {os.cpu_count()}, {model}, Linux {platform.release()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--load", required=True, help="signet-milter-load")
    ap.add_argument("--milter", required=True, help="signet-milter")
    ap.add_argument("--signet", required=True, help="the signet CLI (keygen, sign, verify)")
    ap.add_argument("--shim", required=True, help="qmail-signet")
    ap.add_argument("--recorder", required=True, help="qmail_queue_recorder, the stand-in queue program")
    ap.add_argument("--opendkim", default="/usr/sbin/opendkim")
    ap.add_argument("--unbound", default="/usr/sbin/unbound")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the message counts")
    ap.add_argument("--keys", default="rsa,ed25519", help="which keys to run (rsa, ed25519)")
    ap.add_argument("--markdown", help="also write the tables, as Markdown, to this file")
    ap.add_argument("--keep", action="store_true", help="keep the working directory")
    ap.add_argument("--max-seconds", type=float, default=6.0,
                    help="a timed window ends after this long even before its message count (scaled too)")
    args = ap.parse_args()
    for name in ("load", "milter", "signet", "shim", "recorder"):
        setattr(args, name, os.path.abspath(getattr(args, name)))
    for tool in (args.opendkim, args.unbound):
        if not os.access(tool, os.X_OK):
            log(f"SKIP: {tool} is not installed (scripts/install-deps.sh installs it)")
            return 0

    workdir = tempfile.mkdtemp(prefix="signet-bench-")
    servers: list[Server] = []
    try:
        return run_all(args, workdir, servers)
    except Broken as e:
        log(f"BROKEN: {e}")
        return 1
    finally:
        for s in reversed(servers):
            s.stop()
        if args.keep:
            log(f"working directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def count(args, n: int) -> int:
    return max(10, int(n * args.scale))


def run_all(args, workdir: str, servers: list) -> int:
    started = time.monotonic()
    log(f"machine: {machine()}; load average at start {os.getloadavg()[0]:.2f}")
    bench = Bench(args, workdir)
    keys_dir = os.path.join(workdir, "keys")
    os.makedirs(keys_dir, mode=0o700)
    all_keys = {
        "rsa": dict(keygen(args.signet, keys_dir, "rsa2048", "rsa"), name="RSA-2048", algorithm="rsa-sha256"),
        "ed25519": dict(keygen(args.signet, keys_dir, "ed25519", "ed25519"), name="Ed25519",
                        algorithm="ed25519-sha256"),
    }
    keys = [all_keys[k.strip()] for k in args.keys.split(",") if k.strip()]
    resolver_conf = os.path.join(workdir, "verify-unbound.conf")  # for `signet verify` in the checks
    with open(resolver_conf, "w") as f:
        f.write(f'server:\n  local-zone: "{DOMAIN}." static\n')
        f.write("".join(f"  local-data: '{k['record']}'\n" for k in all_keys.values()))
    unbound = Unbound(args.unbound, workdir, [k["record"] for k in all_keys.values()],
                      f"rsa2048._domainkey.{DOMAIN}")
    servers.append(unbound)
    log(f"unbound on 127.0.0.1@{unbound.port} serves the keys" +
        (f" (and on {unbound.port53}@53 for OpenDKIM's Nameservers)" if unbound.port53
         else "; OpenDKIM forwards to it through a ResolverConfiguration file, read again for every message"))

    msgs_dir = os.path.join(workdir, "messages")
    os.makedirs(msgs_dir)
    plain: dict[str, str] = {}
    for label, size in SIZES + [("50 MB", 50 * 1024 * 1024)]:
        path = os.path.join(msgs_dir, label.replace(" ", "") + ".eml")
        with open(path, "wb") as f:
            f.write(make_message(f"bench {label}", size))
        plain[label] = path
    signed: dict[tuple[str, str], str] = {}
    for key in keys:
        for label, _ in SIZES + [("50 MB", 0)]:
            with open(plain[label], "rb") as f:
                p = run([args.signet, "sign", "--domain", DOMAIN, "--selector", key["selector"], "--key",
                         key["private"], "--algorithm", key["algorithm"], "--headers",
                         SIGN_HEADERS.lower().replace(",", ":")], f.read())
            if p.returncode != 0:
                raise Broken(f"signet sign {label}: {short(p.stderr)}")
            path = os.path.join(msgs_dir, f"{label.replace(' ', '')}-{key['selector']}.eml")
            with open(path, "wb") as f:
                f.write(p.stdout)
            signed[(key["name"], label)] = path

    counts = {"2 KB": count(args, 2000), "64 KB": count(args, 400), "1 MB": count(args, 100)}
    # OpenDKIM answers a message in about 45 ms at concurrency 1 (see docs/performance.md), so
    # its windows end on time rather than on count; CPU per message is per message either way.
    cap = max(1.0, args.max_seconds * args.scale)
    rows = []       # (case, {kind: result})
    extra = {}      # named figures
    for key in keys:
        milters = {"signet": Milter("signet", args.milter, workdir, key, unbound),
                   "opendkim": Milter("opendkim", args.opendkim, workdir, key, unbound)}
        servers.extend(milters.values())
        log(f"{key['name']}: signet-milter pid {milters['signet'].pid} on {milters['signet'].socket}, "
            f"OpenDKIM pid {milters['opendkim'].pid} on {milters['opendkim'].socket}")
        for m in milters.values():
            bench.check_signs(m, plain["2 KB"], key, resolver_conf)
            bench.load(m, "verify", [signed[(key["name"], "2 KB")]], 1, 1, warmup=0)
            log(f"  {m.name}: verifies with dkim=pass in its Authentication-Results")
        for mode in ("sign", "verify"):
            for label, _ in SIZES:
                files = [plain[label]] if mode == "sign" else [signed[(key["name"], label)]]
                for conns in (1, 4):
                    case = f"{mode} {key['name']} {label} c{conns}"
                    res = {}
                    for kind in ("signet", "opendkim"):
                        res[kind] = bench.load(milters[kind], mode, files, counts[label], conns, seconds=cap)
                    rows.append((case, res))
                    log(f"  {case}: " + "; ".join(
                        f"{k} {r['msgs_per_s']:.0f}/s p50 {r['p50_ms']:.2f} ms CPU {r.get('cpu_ms_per_msg', 0):.3f} ms"
                        for k, r in res.items()))
            # Latency at concurrency 1 over TCP without quick ACKs (an MTA whose kernel delays ACKs).
            files = [plain["2 KB"]] if mode == "sign" else [signed[(key["name"], "2 KB")]]
            case = f"{mode} {key['name']} 2 KB c1 no-quick-ack"
            res = {kind: bench.load(milters[kind], mode, files, count(args, 500), 1, quick_ack=False, seconds=cap)
                   for kind in ("signet", "opendkim")}
            rows.append((case, res))
            log(f"  {case}: " + "; ".join(f"{k} p50 {r['p50_ms']:.2f} ms p99 {r['p99_ms']:.2f} ms"
                                          for k, r in res.items()))
        # Peak RSS: one 50 MB message, VmHWM before and after (each milter has seen 1 MB ones already).
        for mode in ("sign", "verify"):
            files = [plain["50 MB"]] if mode == "sign" else [signed[(key["name"], "50 MB")]]
            for kind in ("signet", "opendkim"):
                r = bench.load(milters[kind], mode, files, 1, 1, warmup=0)
                extra[f"rss {mode} {key['name']} {kind}"] = (r["vm_hwm_kb_after"] - r["vm_hwm_kb_before"]) / 1024
                extra[f"hwm {mode} {key['name']} {kind}"] = r["vm_hwm_kb_after"] / 1024
        for m in milters.values():
            m.stop()
        if key["name"] == "RSA-2048":
            p = run([args.load, "--raw-rsa-sign", key["private"], "--iterations", str(count(args, 2000)), "--json"])
            if p.returncode != 0:
                raise Broken(f"raw RSA timing: {short(p.stderr)}")
            extra["raw rsa"] = json.loads(p.stdout.decode())["cpu_ms_per_sign"]

    q = qmail_overhead(args, os.path.join(workdir, "qmail-overhead"), count(args, 200))
    return report(args, rows, extra, q, started)


def report(args, rows, extra, q, started) -> int:
    header = ("| case | msg/s Signet | msg/s OpenDKIM | ratio | p50 ms Signet | p50 ms OpenDKIM | ratio "
              "| p99 ms Signet | p99 ms OpenDKIM | ratio | CPU ms/msg Signet | CPU ms/msg OpenDKIM | ratio |")
    lines = [header, "|" + "---|" * 13]
    by_case = {}
    for case, res in rows:
        s, o = res["signet"], res["opendkim"]
        by_case[case] = res
        cells = [case]
        for field in ("msgs_per_s", "p50_ms", "p99_ms", "cpu_ms_per_msg"):
            cells += [fmt(s[field]), fmt(o[field]), ratio(s[field], o[field])]
        lines.append("| " + " | ".join(cells) + " |")
    rss = ["| one 50 MB message | VmHWM growth Signet | OpenDKIM | VmHWM after, Signet | OpenDKIM |",
           "|---|---|---|---|---|"]
    for k in sorted({k.rsplit(" ", 1)[0] for k in extra if k.startswith("rss ")}):
        h = "hwm " + k[4:]
        rss.append(f"| {k[4:]} | {extra[k + ' signet']:.2f} MB | {extra[k + ' opendkim']:.2f} MB | "
                   f"{extra[h + ' signet']:.1f} MB | {extra[h + ' opendkim']:.1f} MB |")
    qline = (f"qmail-signet, {q['size']} B message, no milter, {q['runs']} runs each: CPU "
             f"{q['cpu_direct_ms']:.2f} ms direct, {q['cpu_shim_ms']:.2f} ms through qmail-signet "
             f"(adds {q['cpu_shim_ms'] - q['cpu_direct_ms']:.2f} ms, ratio {ratio(q['cpu_shim_ms'], q['cpu_direct_ms'])}); "
             f"wall p50 {q['wall_direct_ms']:.2f} / {q['wall_shim_ms']:.2f} ms "
             f"(adds {q['wall_shim_ms'] - q['wall_direct_ms']:.2f} ms, ratio {ratio(q['wall_shim_ms'], q['wall_direct_ms'])})")

    targets = []

    def target(name: str, value: float, limit: float, unit: str, less_than: bool = False) -> None:
        ok = value < limit if less_than else value <= limit
        targets.append(f"| {name} | {value:.3f}{unit} | {'<' if less_than else '≤'} {limit}{unit} | "
                       f"{'PASS' if ok else 'MISS'} |")

    for case, res in rows:
        if "no-quick-ack" in case or " 64 KB " in case or not case.endswith("c1"):
            continue
        target(f"CPU/msg Signet/OpenDKIM, {case}", res["signet"]["cpu_ms_per_msg"] / res["opendkim"]["cpu_ms_per_msg"],
               0.25, "x")
    raw = extra.get("raw rsa")
    case = "sign RSA-2048 2 KB c1"
    if raw and case in by_case:
        target(f"{case}: Signet CPU/msg vs raw RSA-2048 signature ({raw:.3f} ms)",
               by_case[case]["signet"]["cpu_ms_per_msg"] / raw, 1.3, "x")
    for case, res in rows:
        if "no-quick-ack" in case:
            target(f"p50 latency, {case}", res["signet"]["p50_ms"], 3, " ms", less_than=True)
    for k in sorted(extra):
        if k.startswith("rss ") and k.endswith(" signet"):
            target(f"50 MB message adds to VmHWM, {k[4:-7]}", extra[k], 1, " MB", less_than=True)
    target("qmail-signet adds per 4 KB message (CPU)", q["cpu_shim_ms"] - q["cpu_direct_ms"], 1, " ms", less_than=True)
    target("qmail-signet adds per 4 KB message (wall p50)", q["wall_shim_ms"] - q["wall_direct_ms"], 1, " ms",
           less_than=True)

    tlines = ["| target | this run | goal | |", "|---|---|---|---|"] + targets
    out = [f"Machine: {machine()}; load average {os.getloadavg()[0]:.2f} at the end; "
           f"{time.monotonic() - started:.0f} s in all.", "", *lines, "", *rss, "", qline, "", *tlines]
    if raw:
        out.insert(2, f"Raw EVP RSA-2048 SHA-256 signature in the same run: {raw:.3f} ms CPU.\n")
    text = "\n".join(out)
    log("\n" + text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
