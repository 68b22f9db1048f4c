"""The implementations the interop cases run: signet (under test), dkimpy and OpenDKIM (peers).

Each has `sign(message, SignOpts) -> signed message` and
`verify(message, **kw) -> list[Verdict]` (one verdict per signature). Anything
that goes wrong in a way the case did not ask for raises `CaseError`, which
fails the case with the reason.
"""

import json
import logging
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

import dkim  # dkimpy, from python3-dkim

import messages
from keys import DOMAIN, Key

RESULT_WORDS = {"pass", "fail", "neutral", "policy", "temperror", "permerror", "none"}
JSON_KEYS = {"method", "result", "domain", "selector", "algorithm", "bits", "reason"}  # the CLI contract
AUTHSERV_ID = "interop.test"
TIMEOUT = 30
# Plays a message through a milter as an MTA would (milter_message.lua uses it).
MILTERTEST_LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                              "miltertest_lib.lua")


class CaseError(Exception):
    """The case failed for a reason other than a wrong verdict."""


class SignRefused(CaseError):
    """The signer declined to sign (non-zero exit); some negative cases accept that."""


@dataclass(frozen=True)
class SignOpts:
    key: Key
    algorithm: str = "rsa-sha256"
    canon: str = "relaxed/relaxed"
    body_length: bool = False
    headers: tuple[str, ...] | None = None   # None: the signer's default set
    identity: str | None = None
    expire: int | None = None                # x= is t= plus this many seconds
    backdate: int = 0                        # dkimpy only: sign as if this many seconds ago


@dataclass
class Verdict:
    result: str
    reason: str = ""
    info: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.result}" + (f" ({self.reason})" if self.reason else "")


def _run(argv: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise CaseError(f"{os.path.basename(argv[0])} {argv[1] if len(argv) > 1 else ''} "
                        f"timed out after {TIMEOUT}s")


def _text(b: bytes, limit: int = 400) -> str:
    s = b.decode("utf-8", "replace").strip()
    return s if len(s) <= limit else s[:limit] + "..."


# --------------------------------------------------------------------------- signet

class Signet:
    name = "signet"
    under_test = True
    supports = {"identity", "headers", "headers-repeat", "expire", "rsa-sha1", "exact-header-bytes",
                "ed25519-simple-headers", "sign-short-rsa"}

    def __init__(self, path: str, resolver_conf: str):
        self.path = path
        self.resolver_conf = resolver_conf

    def sign(self, msg: bytes, o: SignOpts) -> bytes:
        argv = [self.path, "sign", "--domain", DOMAIN, "--selector", o.key.selector,
                "--key", o.key.pem_path, "--algorithm", o.algorithm, "--canonicalization", o.canon]
        if o.headers:
            argv += ["--headers", ":".join(o.headers)]
        if o.identity:
            argv += ["--identity", o.identity]
        if o.expire is not None:
            argv += ["--expire", str(o.expire)]
        if o.body_length:
            argv.append("--body-length")
        if o.backdate:
            raise CaseError("signet cannot backdate a signature")
        p = _run(argv, msg)
        if p.returncode != 0:
            raise SignRefused(f"signet sign exited {p.returncode}: {_text(p.stderr)}")
        self._check_signed(msg, p.stdout)
        return p.stdout

    @staticmethod
    def _check_signed(msg: bytes, out: bytes) -> None:
        """The contract: one DKIM-Signature prepended, the input untouched, the input's line ends."""
        if not out.endswith(msg) or len(out) == len(msg):
            raise CaseError("signet sign did not output a header block followed by the input unchanged")
        added = out[:len(out) - len(msg)]
        eol = messages.eol_of(msg)
        if not added.endswith(eol):
            raise CaseError(f"added header does not end with the input's line end: {added[-20:]!r}")
        if eol == b"\n" and b"\r" in added:
            raise CaseError("added header has CR in an LF message")
        if eol == b"\r\n" and re.search(rb"(?<!\r)\n", added):
            raise CaseError("added header has a bare LF in a CRLF message")
        fields = messages.header_fields(added)
        names = [n.lower() for n, _ in fields]
        if names != [b"dkim-signature"]:
            raise CaseError(f"signet sign added {names!r}, expected exactly one DKIM-Signature")

    def verify(self, msg: bytes, **_: object) -> list[Verdict]:
        argv = [self.path, "verify", "--resolver-conf", self.resolver_conf, "--json"]
        p = _run(argv, msg)
        verdicts = []
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                raise CaseError(f"signet verify --json printed a non-JSON line: {line[:200]!r}")
            if not isinstance(obj, dict) or obj.get("result") not in RESULT_WORDS:
                raise CaseError(f"signet verify --json: bad object {line[:200]}")
            if not JSON_KEYS <= obj.keys() or obj["method"] != "dkim":
                raise CaseError(f"signet verify --json: object without {sorted(JSON_KEYS - obj.keys())} "
                                f"or not method dkim: {line[:200]}")
            verdicts.append(Verdict(obj["result"], str(obj.get("reason", "")), obj))
        self._check_exit(p, verdicts)
        return verdicts

    @staticmethod
    def _check_exit(p: subprocess.CompletedProcess, verdicts: list[Verdict]) -> None:
        results = {v.result for v in verdicts}
        if p.returncode < 0 or p.returncode > 2:
            raise CaseError(f"signet verify exited {p.returncode}: {_text(p.stderr)}")
        if verdicts and results == {"pass"}:
            allowed = {0}
        elif "temperror" in results and results & {"fail", "permerror", "neutral", "policy"}:
            allowed = {1, 2}
        elif "temperror" in results:
            allowed = {2}
        else:
            allowed = {1}
        if p.returncode not in allowed:
            raise CaseError(f"signet verify exited {p.returncode} with results {sorted(results)} "
                            f"(contract: {sorted(allowed)}); stderr: {_text(p.stderr)}")

    def verify_ar(self, msg: bytes) -> tuple[int, str]:
        p = _run([self.path, "verify", "--resolver-conf", self.resolver_conf], msg)
        return p.returncode, p.stdout.decode("utf-8", "replace")

    def keygen(self, selector: str, algorithm: str, out_dir: str) -> tuple[str, str]:
        """Runs `signet keygen`; returns the private key path and the S.txt line."""
        argv = [self.path, "keygen", "--domain", DOMAIN, "--selector", selector,
                "--algorithm", algorithm, "--out-dir", out_dir]
        if algorithm == "rsa":
            argv += ["--bits", "2048"]
        p = _run(argv)
        if p.returncode != 0:
            raise CaseError(f"signet keygen exited {p.returncode}: {_text(p.stderr)}")
        priv, txt = os.path.join(out_dir, f"{selector}.private"), os.path.join(out_dir, f"{selector}.txt")
        if (os.stat(priv).st_mode & 0o077) != 0:
            raise CaseError(f"{priv} is readable by group or others")
        with open(txt) as f:
            lines = [line for line in f.read().splitlines() if line.strip()]
        if len(lines) != 1:
            raise CaseError(f"{txt} holds {len(lines)} lines, expected one TXT record")
        return priv, lines[0]


# --------------------------------------------------------------------------- dkimpy

class _ExpiringDKIM(dkim.DKIM):
    """dkimpy signer that adds x= (dkimpy's sign() has no option for it)."""

    def __init__(self, *args, expire: int, **kwargs):
        super().__init__(*args, **kwargs)
        self._expire = expire

    def gen_header(self, fields, *args, **kwargs):
        t = int(dict(fields)[b"t"])
        i = [k for k, _ in fields].index(b"t")
        fields.insert(i + 1, (b"x", str(t + self._expire).encode()))
        return super().gen_header(fields, *args, **kwargs)


class _Clock:
    """Stands in for the time module inside dkimpy, shifted by an offset."""

    def __init__(self, offset: float):
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class Dkimpy:
    name = "dkimpy"
    under_test = False
    supports = {"identity", "headers", "headers-repeat", "expire", "backdate", "rsa-sha1", "clock",
                "exact-header-bytes", "ed25519-simple-headers", "sign-short-rsa"}
    _lock = threading.Lock()  # dkimpy is not made for threads and we swap its clock

    def __init__(self, keys: list[Key]):
        self.records = {k.fqdn + ".": k.record for k in keys if k.record is not None}
        self.logger = logging.getLogger("interop-dkimpy-verify")  # what dkimpy says, per signature
        self.logger.propagate = False
        self.logger.setLevel(logging.DEBUG)

    def dnsfunc(self, name: bytes, timeout: int = 5) -> bytes | None:
        record = self.records.get(name.decode("ascii", "replace").lower())
        return None if record is None else record.encode()

    def sign(self, msg: bytes, o: SignOpts) -> bytes:
        eol = messages.eol_of(msg)
        kwargs = dict(logger=logging.getLogger("dkimpy-sign"), linesep=eol)
        with self._lock:
            saved = dkim.time
            try:
                dkim.time = _Clock(-o.backdate)
                d = (_ExpiringDKIM(msg, expire=o.expire, **kwargs) if o.expire is not None
                     else dkim.DKIM(msg, **kwargs))
                if o.headers:
                    d.should_not_sign = set()  # an explicit list is signed as given (e.g. Received)
                header = d.sign(o.key.selector.encode(), DOMAIN.encode(), o.key.dkimpy_private,
                                signature_algorithm=o.algorithm.encode(),
                                identity=o.identity.encode() if o.identity else None,
                                canonicalize=tuple(c.encode() for c in o.canon.split("/")),
                                include_headers=[h.encode() for h in o.headers] if o.headers else None,
                                length=o.body_length)
            except dkim.DKIMException as e:
                raise SignRefused(f"dkimpy refused to sign: {e}")
            finally:
                dkim.time = saved
        return header + msg

    def verify(self, msg: bytes, clock_offset: float = 0, **_: object) -> list[Verdict]:
        verdicts = []
        with self._lock:
            saved = dkim.time
            try:
                dkim.time = _Clock(clock_offset)
                for idx in range(len(messages.signature_headers(msg))):
                    capture = _Capture()
                    self.logger.addHandler(capture)
                    try:
                        ok = dkim.DKIM(msg, logger=self.logger, minkey=1024).verify(idx=idx, dnsfunc=self.dnsfunc)
                        said = [line for line in capture.lines if not line.startswith("sig:")]
                        verdicts.append(Verdict("pass" if ok else "fail", "; ".join(said[-2:])))
                    except dkim.DKIMException as e:
                        verdicts.append(Verdict("permerror", f"{type(e).__name__}: {e}"))
                    finally:
                        self.logger.removeHandler(capture)
            finally:
                dkim.time = saved
        return verdicts


# --------------------------------------------------------------------------- OpenDKIM

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Daemon:
    """One /usr/sbin/opendkim -f with its own configuration file, on a loopback port."""

    def __init__(self, workdir: str, settings: list[tuple[str, str]]):
        self.dir = tempfile.mkdtemp(prefix="opendkim-", dir=workdir)
        self.port = free_port()
        self.busy = threading.Lock()  # one message at a time: OpenDKIM's use of libunbound is not thread-safe
        self.conf = os.path.join(self.dir, "opendkim.conf")
        self.log = os.path.join(self.dir, "opendkim.log")
        base = [("Socket", f"inet:{self.port}@127.0.0.1"),
                ("PidFile", os.path.join(self.dir, "opendkim.pid")),
                ("Syslog", "no"), ("LogWhy", "yes"), ("RequireSafeKeys", "false"),
                ("AuthservID", AUTHSERV_ID), ("On-Default", "accept"),
                ("InternalHosts", "127.0.0.1"), ("DNSTimeout", "5")]
        with open(self.conf, "w") as f:
            for k, v in base + settings:
                f.write(f"{k} {v}\n")
        argv = ["/usr/sbin/opendkim", "-f", "-x", self.conf]
        if os.access("/usr/bin/setpriv", os.X_OK):
            # If the harness is killed (a CTest timeout), the daemon goes with it.
            argv = ["/usr/bin/setpriv", "--pdeathsig", "TERM", *argv]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            self._wait_listening()
        except CaseError:
            self.stop()
            self.reap()
            raise

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CaseError(f"opendkim exited {self.proc.returncode} at start: {self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.02)
        raise CaseError(f"opendkim did not listen on port {self.port}: {self.log_text()}")

    def log_text(self) -> str:
        with open(self.log, "rb") as f:
            return _text(f.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def reap(self) -> None:
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def milter_form(msg: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The header fields and body as an MTA hands them to a milter.

    Header values lose the one space after the colon: OpenDKIM 2.11 rebuilds every
    field as "name: value" (even with SMFIP_HDR_LEADSPC negotiated), so a field
    without that space cannot reach it intact; such a message is refused here
    rather than tested wrongly. The body has CRLF line ends and ends in CRLF, as
    SMTP DATA always does; both canonicalizations treat a missing final CRLF and
    an empty body that way (RFC 6376 3.4.3, 3.4.4), so the signatures agree.
    """
    head, body = messages.split(msg)
    eol = messages.eol_of(msg)
    headers = []
    for name, value in messages.header_fields(head):
        value = value.replace(eol, b"\r\n")
        if not value.startswith(b" "):
            raise CaseError(f"header {name.decode(errors='replace')!r} has no space after the colon, "
                            "which OpenDKIM's milter cannot see")
        headers.append((name, value[1:]))
    if eol == b"\n":
        body = body.replace(b"\n", b"\r\n")
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return headers, body


class OpenDKIM:
    name = "opendkim"
    under_test = False
    supports = {"headers", "expire", "rsa-sha1"}  # OpenDKIM refuses RSA keys under 1024 bits

    def __init__(self, workdir: str, resolver_conf: str, lua_script: str):
        self.workdir = workdir
        self.resolver_conf = resolver_conf
        self.lua = lua_script
        self.daemons: dict[tuple, _Daemon] = {}
        self.lock = threading.Lock()
        self.counter = 0

    def _daemon(self, settings: list[tuple[str, str]]) -> _Daemon:
        key = tuple(settings)
        with self.lock:
            for attempt in range(3):  # the free port may be taken before opendkim binds it
                if key in self.daemons:
                    break
                try:
                    self.daemons[key] = _Daemon(self.workdir, settings)
                except CaseError:
                    if attempt == 2:
                        raise
            return self.daemons[key]

    def _signing_settings(self, o: SignOpts) -> list[tuple[str, str]]:
        if o.identity or o.backdate:
            raise CaseError("OpenDKIM adapter cannot set i= or backdate")
        s = [("Mode", "s"), ("Domain", DOMAIN), ("Selector", o.key.selector),
             ("KeyFile", o.key.pem_path), ("Canonicalization", o.canon),
             ("SignatureAlgorithm", o.algorithm)]
        if o.body_length:
            refile = os.path.join(self.workdir, "bodylength-all")
            with open(refile, "w") as f:
                f.write("*\n")
            s.append(("BodyLengthDB", f"refile:{refile}"))
        if o.headers:
            s.append(("SignHeaders", ",".join(o.headers)))
        if o.expire is not None:
            s.append(("SignatureTTL", str(o.expire)))
        return s

    def _play(self, daemon: _Daemon, msg: bytes, client: tuple[str, str], want: str) -> list[bytes]:
        """Plays the message through the milter as an MTA would; returns the values of `want` added."""
        with self.lock:
            self.counter += 1
            n = self.counter
        hfile = os.path.join(daemon.dir, f"msg{n}.headers")
        bfile = os.path.join(daemon.dir, f"msg{n}.body")
        headers, body = milter_form(msg)
        with open(hfile, "wb") as f:
            # miltertest_lib.lua's form: the bytes after the colon, space included.
            for name, value in headers:
                f.write(name + b"\0 " + value + b"\0")
        with open(bfile, "wb") as f:
            f.write(body)
        with daemon.busy:
            p = _run(["/usr/bin/miltertest", "-s", self.lua, "-D", f"lib={MILTERTEST_LIB}",
                      "-D", f"socket=inet:{daemon.port}@127.0.0.1",
                      "-D", f"client_host={client[0]}", "-D", f"client_ip={client[1]}",
                      "-D", f"queue_id=INTEROP{n}", "-D", f"headerfile={hfile}",
                      "-D", f"bodyfile={bfile}", "-D", f"want={want}"])
        out = p.stdout.decode("ascii", "replace").splitlines()
        if p.returncode != 0 or "DONE interop" not in out:
            raise CaseError(f"miltertest failed ({p.returncode}): {_text(p.stderr)} {_text(p.stdout)}; "
                            f"opendkim log: {daemon.log_text()}")
        replies = [line.split()[1] for line in out if line.startswith("REPLY ")]
        if not replies or float(replies[0]) not in (ord("a"), ord("c")):
            raise CaseError(f"opendkim replied {replies} at end of message, expected accept or continue")
        return [bytes.fromhex(line.split()[2]) if len(line.split()) > 2 else b""
                for line in out if line.startswith("ADDED ")]

    def sign(self, msg: bytes, o: SignOpts) -> bytes:
        daemon = self._daemon(self._signing_settings(o))
        added = self._play(daemon, msg, ("localhost", "127.0.0.1"), "DKIM-Signature")
        if len(added) != 1:
            raise SignRefused(f"opendkim added {len(added)} DKIM-Signature fields; log: {daemon.log_text()}")
        eol = messages.eol_of(msg)
        value = added[0].replace(b"\r\n", b"\n").replace(b"\n", eol)
        return b"DKIM-Signature:" + value + eol + msg

    def verify(self, msg: bytes, **_: object) -> list[Verdict]:
        daemon = self._daemon([("Mode", "v"), ("AlwaysAddARHeader", "yes"),
                               ("MinimumKeyBits", "1024"),
                               ("ClockDrift", "1"),  # default 300 s of grace for x=; 0 means the default
                               ("ResolverConfiguration", self.resolver_conf)])
        added = self._play(daemon, msg, ("mail.example.org", "192.0.2.1"), "Authentication-Results")
        if len(added) != 1:
            raise CaseError(f"opendkim added {len(added)} Authentication-Results fields, expected 1")
        ar = " ".join(added[0].decode("utf-8", "replace").split())
        if not ar.startswith(AUTHSERV_ID):
            raise CaseError(f"opendkim Authentication-Results from another authserv-id: {ar}")
        # Each method result: "dkim=word (comment) header.d=... header.s=..."
        parts = re.split(r";\s*(?=dkim=)", ar)
        verdicts = [Verdict(m.group(1), m.group(2) or "", {"ar": part})
                    for part in parts if (m := re.match(r"dkim=(\w+)\s*(?:\(([^)]*)\))?", part))]
        if any(v.result not in RESULT_WORDS for v in verdicts):
            raise CaseError(f"opendkim Authentication-Results with an unknown result: {ar}")
        return verdicts

    def close(self) -> None:
        for d in self.daemons.values():
            d.stop()
        for d in self.daemons.values():
            d.reap()
