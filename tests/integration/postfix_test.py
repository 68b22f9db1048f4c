#!/usr/bin/python3
"""signet-milter behind a real Postfix on loopback.

  postfix_test.py --milter SIGNET_MILTER --signet SIGNET [--keep]

Everything lives in one temporary directory: a Postfix configuration
directory (main.cf and master.cf written here; `postfix -c DIR check` makes
the queue directories, `postfix -c DIR start|stop` runs it), its queue and
data directories and log (maillog_file), an smtp-sink that captures each
relayed message to a file (`smtp-sink -u postfix -d DIR/%M.`), the
signet-milter daemons, an OpenDKIM verifier, keys and DNS data (an unbound
configuration with `local-zone: static` + `local-data:` lines). All of it
listens on 127.0.0.1 only, on free ports, and is stopped by the test.

Postfix (mydestination empty, relayhost = the sink, milter_protocol = 6,
milter_default_action = tempfail) has one smtpd per role:
  sign      smtpd_milters = signet (main), milter_macro_daemon_name = ORIGINATING;
            signet's `MTA ORIGINATING` makes it sign
  verify    signet (main), default {daemon_name}; InternalHosts 192.0.2.1 makes
            the loopback client external, so it verifies
  reject    signet with On-BadSignature reject
  dns       signet with Nameservers = a silent UDP port, DNSTimeout 1, On-DNSError tempfail
  down      a milter port nobody listens on
  plain     no milter (the latency baseline)

Cases:
  sign             signed at the sink: DKIM-Signature is the first field; dkimpy,
                   OpenDKIM (opendkim -f in Mode v, same unbound.conf, driven by
                   miltertest with miltertest_verify.lua) and `signet verify` pass it
  verify-pass      a message signed by `signet sign`: Authentication-Results
                   dkim=pass first, nothing signed
  verify-fail      the same, tampered: dkim=fail, delivered (On-BadSignature accept)
  verify-unsigned  an unsigned message through the verify port: dkim=none, not signed
  authres-removal  a forged Authentication-Results with our authserv-id is gone at the sink,
                   another authserv-id's stays
  reject           On-BadSignature reject: swaks sees 550 5.7.1 at the end of DATA; not delivered
  dns-tempfail     On-DNSError tempfail: 451 4.7.5 at the end of DATA, within a few seconds
  milter-down      no milter listening: 451 (milter_default_action = tempfail); not delivered
  latency          20 messages each through plain, sign and verify on one SMTP session;
                   prints ms per message (never asserted), passes when all are accepted
  clean-stop       Postfix, smtp-sink and the daemons all stop

The last line is `postfix: N passed, M failed`; the exit status is non-zero
if any case failed. Needs root (Postfix's master), the postfix user, swaks,
smtp-sink, miltertest, opendkim, and /usr/bin/python3 with python3-dkim.
"""

import argparse
import glob
import os
import re
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import miltertest_fixtures as fx  # noqa: E402

POSTFIX = "/usr/sbin/postfix"
SMTP_SINK = "/usr/sbin/smtp-sink"
SWAKS = "/usr/bin/swaks"
OPENDKIM = "/usr/sbin/opendkim"
MILTERTEST = "/usr/bin/miltertest"
HOSTNAME = "mx.signet.test"
OPENDKIM_AUTHSERV_ID = "opendkim.test"
LATENCY_MESSAGES = 20
SINK_HEADERS = (b"x-client-addr", b"x-client-proto", b"x-helo-args", b"x-mail-args", b"x-rcpt-args")

MASTER_CF_FIXED = """\
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


# --------------------------------------------------------------------------- processes

def wait_listening(port: int, what: str, proc: subprocess.Popen | None = None, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise fx.Failure(f"{what} exited {proc.returncode} at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise fx.Failure(f"{what} is not listening on 127.0.0.1:{port} after {timeout:.0f}s")


class Sink:
    """smtp-sink capturing each message to DIR/<minute>.<random>."""

    def __init__(self, workdir: str):
        self.dir = os.path.join(workdir, "sink")
        os.makedirs(self.dir)
        shutil.chown(self.dir, "postfix")
        self.port = fx.free_port()
        self.log = os.path.join(workdir, "smtp-sink.log")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                fx.pdeathsig([SMTP_SINK, "-u", "postfix", "-h", "sink.signet.test",
                              "-d", os.path.join(self.dir, "%M."), f"127.0.0.1:{self.port}", "100"]),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        wait_listening(self.port, "smtp-sink", self.proc)

    def find(self, token: bytes) -> bytes | None:
        for path in glob.glob(os.path.join(self.dir, "*")):
            with open(path, "rb") as f:
                data = f.read()
            if token in data:
                return data
        return None

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def message_from_dump(dump: bytes) -> bytes:
    """The message as Postfix relayed it, without smtp-sink's own fields, CRLF line ends."""
    lines = dump.split(b"\n")
    i = 0
    while i < len(lines) and lines[i].split(b":", 1)[0].lower() in SINK_HEADERS:
        i += 1
    if i < len(lines) and lines[i].lower().startswith(b"received:") and b"(smtp-sink)" in b"".join(lines[i:i + 3]):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    rest = lines[i:]
    if rest and rest[-1] == b"":
        rest = rest[:-1]  # the dump ends each message with a newline and an empty line
    if rest and rest[-1] == b"":
        rest = rest[:-1]
    return b"\r\n".join(rest) + b"\r\n"


class Postfix:
    def __init__(self, workdir: str, sink_port: int, main_milter: str, services: dict[str, list[str]]):
        self.top = os.path.join(workdir, "postfix")
        self.etc = os.path.join(self.top, "etc")
        self.spool = os.path.join(self.top, "spool")
        self.data = os.path.join(self.top, "data")
        self.maillog = os.path.join(self.top, "maillog")
        for d in (self.etc, self.spool, self.data):
            os.makedirs(d)
        shutil.chown(self.data, "postfix")
        self.ports = {name: fx.free_port() for name in services}
        main_cf = {
            "compatibility_level": "3.6",
            "queue_directory": self.spool,
            "data_directory": self.data,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": HOSTNAME,
            "mydomain": "signet.test",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "relayhost": f"[127.0.0.1]:{sink_port}",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "smtpd_tls_security_level": "none",
            "smtp_tls_security_level": "none",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.top,
            "smtpd_milters": main_milter,
            "non_smtpd_milters": "",
            "milter_protocol": "6",
            "milter_default_action": "tempfail",
        }
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for k, v in main_cf.items():
                f.write(f"{k} = {v}\n")
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            for name, options in services.items():
                f.write(f"127.0.0.1:{self.ports[name]} inet n - n - - smtpd -o syslog_name=postfix/{name}"
                        + "".join(f" -o {o}" for o in options) + "\n")
            f.write(MASTER_CF_FIXED)
        self.master_pid: int | None = None
        self.watchdog: subprocess.Popen | None = None

    def command(self, *args: str) -> subprocess.CompletedProcess:
        return fx.run([POSTFIX, "-c", self.etc, *args], timeout=60)

    def log_tail(self, n: int = 15) -> str:
        try:
            with open(self.maillog, "rb") as f:
                return fx.text(b"\n".join(f.read().splitlines()[-n:]), 3000)
        except FileNotFoundError:
            return "(no maillog)"

    def start(self) -> None:
        if os.geteuid() != 0:
            raise fx.Failure("Postfix's master must be started as root; run this test as root")
        p = self.command("check")  # also makes the queue directories
        if p.returncode != 0:
            raise fx.Failure(f"postfix check exited {p.returncode}: {fx.text(p.stderr)} {self.log_tail()}")
        p = self.command("start")
        if p.returncode != 0:
            raise fx.Failure(f"postfix start exited {p.returncode}: {fx.text(p.stderr)} {self.log_tail()}")
        pid_file = os.path.join(self.spool, "pid", "master.pid")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.master_pid is None:
            try:
                with open(pid_file) as f:
                    self.master_pid = int(f.read().strip())
            except (FileNotFoundError, ValueError):
                time.sleep(0.05)
        self.start_watchdog()
        for name, port in self.ports.items():
            wait_listening(port, f"postfix smtpd '{name}'")

    def start_watchdog(self) -> None:
        """Postfix's master outlives a killed test (a CTest timeout sends SIGKILL): a
        detached shell waits for this process to end and then stops Postfix."""
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                  f"{POSTFIX} -c {self.etc} stop >/dev/null 2>&1")
        self.watchdog = subprocess.Popen(["/bin/sh", "-c", script], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)

    def stop(self) -> list[str]:
        problems = []
        if self.watchdog is not None:
            self.watchdog.kill()
            self.watchdog.wait()
        p = self.command("stop")
        if p.returncode != 0:
            problems.append(f"postfix stop exited {p.returncode}: {fx.text(p.stderr)}")
        if self.master_pid:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    os.kill(self.master_pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                os.kill(self.master_pid, signal.SIGKILL)
                problems.append(f"postfix master {self.master_pid} still ran 15 s after postfix stop; killed")
        return problems

    def delivered(self, queue_id: str) -> bool:
        with open(self.maillog, "rb") as f:
            log = f.read().decode("utf-8", "replace")
        return re.search(rf"\b{re.escape(queue_id)}: to=<[^>]*>.*status=sent", log) is not None


class OpenDkimVerifier:
    """/usr/sbin/opendkim -f in verify mode, keys from the test's unbound.conf."""

    def __init__(self, workdir: str, resolver_conf: str):
        self.dir = os.path.join(workdir, "opendkim")
        os.makedirs(self.dir)
        self.port = fx.free_port()
        self.conf = os.path.join(self.dir, "opendkim.conf")
        self.log = os.path.join(self.dir, "opendkim.log")
        with open(self.conf, "w") as f:
            for k, v in [("Socket", f"inet:{self.port}@127.0.0.1"), ("Mode", "v"), ("Syslog", "no"),
                         ("PidFile", os.path.join(self.dir, "opendkim.pid")), ("AuthservID", OPENDKIM_AUTHSERV_ID),
                         ("AlwaysAddARHeader", "yes"), ("On-Default", "accept"), ("MinimumKeyBits", "1024"),
                         ("InternalHosts", "192.0.2.1"), ("DNSTimeout", "5"),
                         ("ResolverConfiguration", resolver_conf)]:
                f.write(f"{k} {v}\n")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(fx.pdeathsig([OPENDKIM, "-f", "-x", self.conf]), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        wait_listening(self.port, "opendkim", self.proc)

    def log_text(self) -> str:
        with open(self.log, "rb") as f:
            return fx.text(f.read(), 1500)

    def verify(self, workdir: str, msg: bytes, name: str) -> tuple[list[str], list[str]]:
        """Plays the delivered message through OpenDKIM with miltertest_verify.lua."""
        head, body = fx.split(msg)
        hfile, bfile = os.path.join(workdir, f"{name}.headers"), os.path.join(workdir, f"{name}.body")
        with open(hfile, "wb") as f:
            for field_name, value in fx.header_fields(head):
                f.write(field_name + b"\0" + value + b"\0")
        with open(bfile, "wb") as f:
            f.write(body)
        p = fx.run([MILTERTEST, "-s", os.path.join(HERE, "miltertest_verify.lua"),
                    "-D", f"lib={os.path.join(HERE, 'miltertest_lib.lua')}", "-D", f"case={name}",
                    "-D", f"socket=inet:{self.port}@127.0.0.1", "-D", "client_host=mail.example.org",
                    "-D", "client_ip=198.51.100.1", "-D", f"headerfile={hfile}", "-D", f"bodyfile={bfile}",
                    "-D", f"authserv_id={OPENDKIM_AUTHSERV_ID}", "-D", "expect=accept", "-D", "ar_result=pass",
                    "-D", "ar_anywhere=1", "-D", "ar_count=1"], timeout=60)
        out = p.stdout.decode("utf-8", "replace").splitlines()
        passes = [line[5:] for line in out if line.startswith("PASS ")]
        failures = [line[5:] for line in out if line.startswith("FAIL ")] + \
                   [line[6:] for line in out if line.startswith("ERROR ")]
        if p.returncode != 0 or f"DONE {name}" not in out:
            failures.append(f"miltertest with OpenDKIM exited {p.returncode}: {fx.text(p.stderr)}; "
                            f"opendkim log: {self.log_text()}")
        return passes, failures

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


# --------------------------------------------------------------------------- SMTP

class Swaks:
    def __init__(self, p: subprocess.CompletedProcess, seconds: float):
        self.rc = p.returncode
        self.out = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
        self.seconds = seconds
        m = re.search(r"queued as ([0-9A-Za-z]+)", self.out)
        self.queue_id = m.group(1) if m else None

    def reply_after_data(self) -> str:
        """The server's reply to the end of DATA (the line after ' -> .')."""
        lines = self.out.splitlines()
        for i, line in enumerate(lines):
            if line.strip() == "-> ." or line.endswith(" -> ."):
                for later in lines[i + 1:]:
                    m = re.match(r"\s*<[-*~]*\s+(\d{3}[ -].*)", later)
                    if m:
                        return m.group(1)
        return ""

    def first_error(self) -> str:
        m = re.search(r"^\s*<\*\*\s+(\d{3}.*)$", self.out, re.M)
        return m.group(1) if m else ""


def swaks(port: int, msg_path: str) -> Swaks:
    started = time.monotonic()
    p = fx.run([SWAKS, "--server", "127.0.0.1", "--port", str(port), "--helo", "client.example.org",
                "--from", "alice@example.com", "--to", "bob@example.net", "--timeout", "60",
                "--data", "@" + msg_path], timeout=90)
    return Swaks(p, time.monotonic() - started)


class Case:
    def __init__(self, name: str):
        self.name = name
        self.passes: list[str] = []
        self.failures: list[str] = []
        self.notes: list[str] = []

    def check(self, ok: bool, what: str, got: object = None) -> bool:
        if ok:
            self.passes.append(what)
        else:
            self.failures.append(what + (f" (got {got})" if got is not None else ""))
        return ok


class Test:
    def __init__(self, milter_bin: str, signet: str, workdir: str):
        self.signet = signet
        self.dir = workdir
        self.msgdir = os.path.join(workdir, "messages")
        os.makedirs(self.msgdir)
        self.sel1 = fx.keygen(signet, os.path.join(workdir, "keys"), "sel1", "rsa")
        self.published = [self.sel1]
        self.resolver_conf = os.path.join(workdir, "unbound.conf")
        fx.write_unbound_conf(self.resolver_conf, self.published)
        self.silent = fx.SilentUdpServer()
        common = [("InternalHosts", "192.0.2.1"), ("ResolverConfiguration", self.resolver_conf)]
        self.milters = {
            "main": fx.Milter(milter_bin, workdir, "main", common + [
                ("Domain", fx.DOMAIN), ("Selector", "sel1"), ("KeyFile", self.sel1.private),
                ("MTA", "ORIGINATING")]),
            "reject": fx.Milter(milter_bin, workdir, "reject", common + [("On-BadSignature", "reject")]),
            "dns": fx.Milter(milter_bin, workdir, "dns", [
                ("InternalHosts", "192.0.2.1"), ("Nameservers", f"127.0.0.1@{self.silent.port}"),
                ("DNSTimeout", "1"), ("On-DNSError", "tempfail")]),
        }
        self.sink: Sink | None = None
        self.postfix: Postfix | None = None
        self.opendkim: OpenDkimVerifier | None = None
        self.counter = 0

    def start(self) -> None:
        for m in self.milters.values():
            m.start()
        self.sink = Sink(self.dir)
        self.opendkim = OpenDkimVerifier(self.dir, self.resolver_conf)
        down = fx.free_port()  # nobody listens here
        milter = lambda name: f"inet:127.0.0.1:{self.milters[name].port}"  # noqa: E731
        self.postfix = Postfix(self.dir, self.sink.port, milter("main"), {
            "sign": [f"smtpd_milters={milter('main')}", "milter_macro_daemon_name=ORIGINATING"],
            "verify": [f"smtpd_milters={milter('main')}"],
            "reject": [f"smtpd_milters={milter('reject')}"],
            "dns": [f"smtpd_milters={milter('dns')}"],
            "down": [f"smtpd_milters=inet:127.0.0.1:{down}"],
            "plain": ["smtpd_milters="],
        })
        self.postfix.start()

    def stop(self) -> list[str]:
        problems = []
        if self.postfix:
            problems += self.postfix.stop()
        if self.sink:
            rc = self.sink.stop()
            if rc not in (0, -signal.SIGTERM):
                problems.append(f"smtp-sink exited {rc}")
        if self.opendkim:
            self.opendkim.stop()
        problems += fx.stop_all(list(self.milters.values()))
        self.silent.close()
        return problems

    # ---- helpers

    def new_message(self, label: str, signed_by_signet: bool = False, tamper: bool = False,
                    extra: list[str] = ()) -> tuple[bytes, bytes, str]:
        """A message with a unique token; returns (message, token, path)."""
        self.counter += 1
        token = f"pf-{label}-{self.counter}-{os.getpid()}".encode()
        msg = fx.message(f"postfix {label}", message_id=token.decode(), extra=list(extra))
        if signed_by_signet:
            msg = fx.sign_with_signet(self.signet, msg, self.sel1)
        if tamper:
            head, body = fx.split(msg)
            msg = head + b"\r\n" + body.replace(b"Hello Bob", b"Hello Eve")
        path = os.path.join(self.msgdir, token.decode() + ".eml")
        with open(path, "wb") as f:
            f.write(msg)
        return msg, token, path

    def delivered(self, c: Case, result: Swaks, token: bytes) -> bytes | None:
        """Waits for the message to reach the sink; returns it as relayed, without the sink's fields."""
        if not c.check(result.rc == 0 and result.queue_id is not None, "Postfix accepted the message (250)",
                       f"swaks exit {result.rc}: {result.first_error() or result.reply_after_data()}"):
            return None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.postfix.delivered(result.queue_id):
                dump = self.sink.find(token)
                if dump is not None:
                    c.check(True, f"relayed to the sink ({result.queue_id})")
                    return message_from_dump(dump)
            time.sleep(0.05)
        c.check(False, f"relayed to the sink within 20 s ({result.queue_id})", self.postfix.log_tail(6))
        return None

    def not_delivered(self, c: Case, token: bytes) -> None:
        time.sleep(0.3)
        c.check(self.sink.find(token) is None, "nothing reached the sink")


def fields_of(msg: bytes) -> list[tuple[str, str]]:
    head, _ = fx.split(msg)
    return [(n.decode().strip(), " ".join(v.decode("utf-8", "replace").split()))
            for n, v in fx.header_fields(head)]


# --------------------------------------------------------------------------- cases

def case_sign(t: Test) -> Case:
    c = Case("sign")
    msg, token, path = t.new_message("sign")
    r = swaks(t.postfix.ports["sign"], path)
    got = t.delivered(c, r, token)
    if got is None:
        return c
    fields = fields_of(got)
    c.check(fields[0][0].lower() == "dkim-signature", "DKIM-Signature is the first field", fields[0][0])
    sigs = [v for n, v in fields if n.lower() == "dkim-signature"]
    c.check(len(sigs) == 1, "one DKIM-Signature", len(sigs))
    c.check(not any(n.lower() == "authentication-results" for n, _ in fields), "no Authentication-Results")
    if sigs:
        c.check("d=example.com;" in sigs[0] and "s=sel1;" in sigs[0], "d=example.com s=sel1", sigs[0][:120])
    try:
        verdicts = fx.dkimpy_verify(got, t.published)
    except Exception as e:
        verdicts = [f"{type(e).__name__}: {e}"]
    c.check(verdicts == [True], "dkimpy verifies the delivered message", verdicts)
    results = fx.signet_verify(t.signet, t.resolver_conf, got)
    c.check([x.get("result") for x in results] == ["pass"], "`signet verify` passes it",
            [(x.get("result"), x.get("reason")) for x in results])
    passes, failures = t.opendkim.verify(t.dir, got, "opendkim-verifies-sign")
    c.passes += [f"OpenDKIM: {p}" for p in passes]
    c.failures += [f"OpenDKIM: {f}" for f in failures]
    return c


def case_verify(t: Test, name: str, signed: bool, tamper: bool, want: str) -> Case:
    c = Case(name)
    msg, token, path = t.new_message(name, signed_by_signet=signed, tamper=tamper)
    r = swaks(t.postfix.ports["verify"], path)
    got = t.delivered(c, r, token)
    if got is None:
        return c
    fields = fields_of(got)
    first_name, first_value = fields[0]
    c.check(first_name.lower() == "authentication-results", "Authentication-Results is the first field",
            first_name)
    ars = [v for n, v in fields if n.lower() == "authentication-results"]
    c.check(len(ars) == 1, "one Authentication-Results", len(ars))
    c.check(first_value.startswith(fx.AUTHSERV_ID + ";") and f"dkim={want}" in first_value,
            f"{fx.AUTHSERV_ID}; dkim={want}", first_value[:200])
    sigs = [v for n, v in fields if n.lower() == "dkim-signature"]
    c.check(len(sigs) == (1 if signed else 0), "the verify port signs nothing", len(sigs))
    return c


def case_authres(t: Test) -> Case:
    c = Case("authres-removal")
    forged = "Authentication-Results: mx.signet.test; dkim=pass header.d=example.com (forged)"
    other = "Authentication-Results: other.example.net; dkim=fail header.d=example.com"
    msg, token, path = t.new_message("authres", signed_by_signet=True, extra=[forged, other])
    r = swaks(t.postfix.ports["verify"], path)
    got = t.delivered(c, r, token)
    if got is None:
        return c
    ars = [v for n, v in fields_of(got) if n.lower() == "authentication-results"]
    c.check(not any("(forged)" in v for v in ars), "the forged result claiming our authserv-id is gone", ars)
    c.check(any(v.startswith("other.example.net;") for v in ars), "another authserv-id's result is kept", ars)
    ours = [v for v in ars if v.startswith(fx.AUTHSERV_ID + ";")]
    c.check(len(ours) == 1 and "dkim=pass" in ours[0], "our own result: one, dkim=pass", ours)
    return c


def case_reject(t: Test) -> Case:
    c = Case("reject")
    msg, token, path = t.new_message("reject", signed_by_signet=True, tamper=True)
    r = swaks(t.postfix.ports["reject"], path)
    reply = r.reply_after_data()
    c.check(r.rc == 26, "swaks: mail not accepted after DATA (exit 26)", r.rc)
    c.check(reply.startswith("550 5.7.1"), "550 5.7.1 at the end of DATA", reply or r.first_error())
    t.not_delivered(c, token)
    return c


def case_dns(t: Test) -> Case:
    c = Case("dns-tempfail")
    msg, token, path = t.new_message("dns", signed_by_signet=True)
    r = swaks(t.postfix.ports["dns"], path)
    reply = r.reply_after_data()
    c.check(r.rc == 26, "swaks: mail not accepted after DATA (exit 26)", r.rc)
    c.check(reply.startswith("451 4.7.5"), "451 4.7.5 at the end of DATA", reply or r.first_error())
    c.check(r.seconds < 5, "answered within a few seconds of DNSTimeout 1", f"{r.seconds:.1f} s")
    c.notes.append(f"whole SMTP session {r.seconds:.2f} s with DNSTimeout 1")
    t.not_delivered(c, token)
    return c


def case_down(t: Test) -> Case:
    c = Case("milter-down")
    msg, token, path = t.new_message("down")
    r = swaks(t.postfix.ports["down"], path)
    err = r.first_error()
    c.check(r.rc != 0, "swaks: the message is refused", r.rc)
    c.check(err.startswith("451"), "451 (milter_default_action = tempfail)", err or r.out[-300:])
    c.notes.append(f"refused with: {err} (swaks exit {r.rc})")
    t.not_delivered(c, token)
    return c


def case_latency(t: Test) -> Case:
    c = Case("latency")
    medians: dict[str, float] = {}
    for role in ("plain", "sign", "verify"):
        times = []
        msgs = []
        for i in range(LATENCY_MESSAGES):
            msg, _, _ = t.new_message(f"latency-{role}-{i}", signed_by_signet=(role == "verify"))
            msgs.append(msg)
        try:
            with smtplib.SMTP("127.0.0.1", t.postfix.ports[role], "client.example.org", timeout=60) as s:
                s.ehlo("client.example.org")
                for msg in msgs:
                    started = time.monotonic()
                    s.sendmail("alice@example.com", ["bob@example.net"], msg)
                    times.append(time.monotonic() - started)
        except smtplib.SMTPException as e:
            c.check(False, f"{role}: {LATENCY_MESSAGES} messages accepted on one SMTP session",
                    f"{type(e).__name__}: {e} after {len(times)}")
            continue
        c.check(len(times) == LATENCY_MESSAGES, f"{role}: {LATENCY_MESSAGES} messages accepted")
        ms = [x * 1000 for x in times]
        medians[role] = statistics.median(ms)
        c.notes.append(f"{role:6s}: MAIL..end of DATA per message: median {medians[role]:6.1f} ms, "
                       f"mean {statistics.mean(ms):6.1f} ms, max {max(ms):6.1f} ms over {len(ms)}")
    if len(medians) == 3:
        c.notes.append(f"milter cost (median, vs no milter): sign {medians['sign'] - medians['plain']:+.1f} ms, "
                       f"verify {medians['verify'] - medians['plain']:+.1f} ms "
                       "(a Nagle/delayed-ACK stall would show as about +40 ms)")
    return c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--milter", required=True)
    ap.add_argument("--signet", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every check that passed")
    a = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="signet-postfix-")
    os.chmod(workdir, 0o755)  # Postfix's daemons run as postfix and must reach the queue
    cases: list[Case] = []
    t = None
    try:
        t = Test(os.path.abspath(a.milter), os.path.abspath(a.signet), workdir)
        t.start()
        for run in (case_sign,
                    lambda t: case_verify(t, "verify-pass", True, False, "pass"),
                    lambda t: case_verify(t, "verify-fail", True, True, "fail"),
                    lambda t: case_verify(t, "verify-unsigned", False, False, "none"),
                    case_authres, case_reject, case_dns, case_down, case_latency):
            try:
                cases.append(run(t))
            except Exception as e:
                broken = Case(getattr(run, "__name__", "case"))
                broken.check(False, f"{type(e).__name__}: {e}")
                traceback.print_exc()
                cases.append(broken)
    except Exception as e:
        broken = Case("setup")
        broken.check(False, f"{type(e).__name__}: {e}")
        traceback.print_exc()
        cases.append(broken)
    finally:
        stop = Case("clean-stop")
        try:
            problems = t.stop() if t else []
        except Exception as e:
            problems = [f"{type(e).__name__}: {e}"]
        for p in problems:
            stop.check(False, p)
        if not problems:
            stop.check(True, "Postfix, smtp-sink, OpenDKIM and signet-milter stopped")
        cases.append(stop)
        if a.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    passed = failed = 0
    for c in cases:
        if c.failures:
            failed += 1
            print(f"FAIL {c.name}")
            for f in c.failures:
                print(f"    {f}")
        else:
            passed += 1
            print(f"ok   {c.name} ({len(c.passes)} checks)")
        if a.verbose:
            for p in c.passes:
                print(f"    passed: {p}")
        for n in c.notes:
            print(f"     {c.name}: {n}")
    print(f"postfix: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
