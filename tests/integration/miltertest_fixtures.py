"""What the integration tests share: keys, DNS data, messages, a signet-milter
process, and the verifiers the results are checked with.

Used by miltertest_driver.py and postfix_test.py. Everything runs on
127.0.0.1; every process is started here and stopped by its pid.

Keys come from `signet keygen` (its S.txt line is the record); the records
are served to signet-milter and `signet verify` by an unbound configuration
file (`local-zone: static` + `local-data:` lines, read by libunbound in
process) and to dkimpy by a dnsfunc over the same table.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time

import dkim  # python3-dkim (dkimpy): use /usr/bin/python3

DOMAIN = "example.com"
AUTHSERV_ID = "mx.signet.test"
TIMEOUT = 30


class Failure(Exception):
    """A check failed; the message says what was expected and what came instead."""


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(argv: list[str], stdin: bytes = b"", timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def text(b: bytes, limit: int = 600) -> str:
    s = b.decode("utf-8", "replace").strip()
    return s if len(s) <= limit else s[:limit] + "..."


def pdeathsig(argv: list[str]) -> list[str]:
    """If the test is killed (a CTest timeout), the child goes with it."""
    if os.access("/usr/bin/setpriv", os.X_OK):
        return ["/usr/bin/setpriv", "--pdeathsig", "TERM", *argv]
    return argv


# --------------------------------------------------------------------------- keys and DNS

class Key:
    def __init__(self, selector: str, private: str, record_line: str):
        self.selector = selector
        self.private = private          # PEM file
        self.record_line = record_line  # "sel._domainkey.example.com. 3600 IN TXT \"v=DKIM1; ...\""

    @property
    def fqdn(self) -> str:
        return f"{self.selector}._domainkey.{DOMAIN}."

    @property
    def record(self) -> str:
        """The TXT data: the quoted strings of the record line, joined."""
        return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', self.record_line))


def keygen(signet: str, out_dir: str, selector: str, algorithm: str = "rsa") -> Key:
    os.makedirs(out_dir, exist_ok=True)
    p = run([signet, "keygen", "--domain", DOMAIN, "--selector", selector, "--algorithm", algorithm,
             "--out-dir", out_dir])
    if p.returncode != 0:
        raise Failure(f"signet keygen {selector} exited {p.returncode}: {text(p.stderr)}")
    with open(os.path.join(out_dir, f"{selector}.txt")) as f:
        lines = [line.strip() for line in f if line.strip()]
    if len(lines) != 1:
        raise Failure(f"{selector}.txt holds {len(lines)} lines, expected one record")
    return Key(selector, os.path.join(out_dir, f"{selector}.private"), lines[0])


def write_unbound_conf(path: str, published: list[Key]) -> None:
    """A static zone for example.com: the published keys exist, every other name is NXDOMAIN."""
    with open(path, "w") as f:
        f.write("server:\n")
        f.write(f'  local-zone: "{DOMAIN}." static\n')
        for k in published:
            if "'" in k.record_line:
                raise Failure(f"record line of {k.selector} has a single quote")
            f.write(f"  local-data: '{k.record_line}'\n")


class SilentUdpServer:
    """A UDP port on 127.0.0.1 that takes DNS queries and never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


# --------------------------------------------------------------------------- messages

def message(subject: str = "integration test", body: bytes | None = None, extra: list[str] = (),
            message_id: str | None = None) -> bytes:
    headers = ["From: Alice <alice@example.com>", "To: Bob <bob@example.net>",
               f"Subject: {subject}", "Date: Tue, 2 Jan 2024 10:00:00 +0000",
               f"Message-ID: <{message_id or re.sub(r'[^a-z0-9]+', '-', subject.lower())}@example.com>",
               *extra]
    if body is None:
        body = b"Hello Bob,\r\n\r\nThis message goes through signet-milter.\r\n-- \r\nAlice\r\n"
    return "\r\n".join(headers).encode() + b"\r\n\r\n" + body


def split(msg: bytes) -> tuple[bytes, bytes]:
    """Header block (with its final CRLF) and body."""
    head, sep, body = msg.partition(b"\r\n\r\n")
    if not sep:
        raise Failure("message without a header/body separator")
    return head + b"\r\n", body


def header_fields(head: bytes) -> list[tuple[bytes, bytes]]:
    """(name, raw value after the colon, folds kept as CRLF) for each field."""
    fields: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b"\r\n" + line)
        else:
            name, _, value = line.partition(b":")
            fields.append((name, value))
    return fields


def sign_with_signet(signet: str, msg: bytes, key: Key, algorithm: str = "rsa-sha256",
                     extra: list[str] = ()) -> bytes:
    """`signet sign`; `extra` adds options, e.g. ["--domainkeys", "--no-dkim"]."""
    p = run([signet, "sign", "--domain", DOMAIN, "--selector", key.selector, "--key", key.private,
             "--algorithm", algorithm, *extra], msg)
    if p.returncode != 0 or not p.stdout.endswith(msg):
        raise Failure(f"signet sign exited {p.returncode}: {text(p.stderr)}")
    return p.stdout


# --------------------------------------------------------------------------- verifiers

def signet_verify(signet: str, resolver_conf: str, msg: bytes) -> list[dict]:
    """`signet verify --json`: one object per signature."""
    p = run([signet, "verify", "--resolver-conf", resolver_conf, "--json"], msg)
    out = []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                raise Failure(f"signet verify --json printed {line[:200]!r}")
    if p.returncode not in (0, 1, 2):
        raise Failure(f"signet verify exited {p.returncode}: {text(p.stderr)}")
    return out


def dkimpy_verify(msg: bytes, keys: list[Key]) -> list[bool]:
    """dkimpy's verdict for each DKIM-Signature, top first; keys answered by a dnsfunc."""
    records = {k.fqdn.lower(): k.record.encode() for k in keys}

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return records.get(name.decode("ascii", "replace").lower())

    head, _ = split(msg)
    count = sum(1 for n, _ in header_fields(head) if n.strip().lower() == b"dkim-signature")
    return [bool(dkim.DKIM(msg, minkey=1024).verify(idx=i, dnsfunc=dnsfunc)) for i in range(count)]


# --------------------------------------------------------------------------- signet-milter

class Milter:
    """One `signet-milter -c FILE -f` on a free 127.0.0.1 port, with its own configuration."""

    def __init__(self, binary: str, workdir: str, name: str, settings: list[tuple[str, str]]):
        self.binary = binary
        self.dir = os.path.join(workdir, f"milter-{name}")
        os.makedirs(self.dir, exist_ok=True)
        self.name = name
        self.conf = os.path.join(self.dir, "signet-milter.conf")
        self.log = os.path.join(self.dir, "signet-milter.log")
        self.pid_file = os.path.join(self.dir, "signet-milter.pid")
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.write_conf(settings)

    def write_conf(self, settings: list[tuple[str, str]], extra_lines: list[str] = ()) -> int:
        """(Re)writes the configuration file; returns the number of its last line."""
        lines = [f"# written by the integration test ({self.name})"]
        lines += [f"{k} {v}" for k, v in [("Syslog", "no"), ("AuthservID", AUTHSERV_ID),
                                          ("PidFile", self.pid_file), *settings]]
        lines += list(extra_lines)
        with open(self.conf + ".new", "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(self.conf + ".new", self.conf)
        return len(lines)

    @property
    def socket(self) -> str:
        return f"inet:{self.port}@127.0.0.1"

    def start(self) -> "Milter":
        for attempt in range(3):  # a free port may be taken before the daemon binds it
            self.port = free_port()
            with open(self.log, "wb") as log:
                self.proc = subprocess.Popen(
                    pdeathsig([self.binary, "-c", self.conf, "-f", "-p", self.socket]),
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if "listening on" in self.log_text():
                    return self
                time.sleep(0.02)
            if self.proc.poll() is None:
                self.stop()
                raise Failure(f"signet-milter {self.name} did not report listening: {self.log_text()}")
            if "cannot listen" not in self.log_text() or attempt == 2:
                raise Failure(f"signet-milter {self.name} exited {self.proc.returncode} at start: "
                              f"{self.log_text()}")
        raise Failure("unreachable")

    def log_text(self) -> str:
        try:
            with open(self.log, "rb") as f:
                return text(f.read(), 4000)
        except FileNotFoundError:
            return ""

    def log_lines(self) -> list[str]:
        """The whole log, one entry per line."""
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return []

    def reload(self, markers: tuple[str, ...] = ("configuration and keys reloaded", "reload refused"),
               timeout: float = 10) -> str | None:
        """Sends SIGHUP and waits for the first new log line holding one of `markers`;
        returns it, or None when none came within `timeout` seconds."""
        before = len(self.log_lines())
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_lines()[before:]:
                if any(m in line for m in markers):
                    return line
            if self.proc.poll() is not None:
                return None
            time.sleep(0.02)
        return None

    def signal_stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 20) -> int | None:
        """libmilter notices a stop request only every few seconds, hence the long wait."""
        if not self.proc:
            return None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure(f"signet-milter {self.name} ignored SIGTERM for {timeout:.0f}s; killed")

    def stop(self) -> int | None:
        self.signal_stop()
        return self.wait_stopped()


def stop_all(milters: list[Milter]) -> list[str]:
    """Stops them in parallel; returns the problems."""
    problems = []
    for m in milters:
        m.signal_stop()
    for m in milters:
        try:
            rc = m.wait_stopped()
            if rc not in (0, None):
                problems.append(f"signet-milter {m.name} exited {rc} after SIGTERM: {m.log_text()}")
        except Failure as e:
            problems.append(str(e))
    return problems
