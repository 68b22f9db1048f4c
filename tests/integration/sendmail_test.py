#!/usr/bin/python3
"""signet-milter behind a real Sendmail (Debian's sendmail-bin), on loopback.

  sendmail_test.py SIGNET_MILTER SIGNET [--cache-dir DIR] [--work-dir DIR] [--keep]

Sendmail conflicts with Postfix as an installed package, so it is fetched
with `apt-get download` into --cache-dir (reused when present) and unpacked
there with `dpkg -x`; nothing is installed. Each case starts its own
signet-milter in the foreground on a free 127.0.0.1 port, builds a .cf for
it with the unpacked m4 and cf tree, and talks SMTP to `sendmail -bs -odq`
on stdin/stdout (no listener). Queue-only delivery leaves each accepted
message in a private queue as qf/df files, which the case reads back.

Sendmail waits 60 s at start when the host name is unqualified, so it runs
in `unshare --uts --mount` with the host name mx.example.test and a private
/etc/hosts bind-mounted. In -bs mode its CONNECT carries no client address,
which signet-milter (like OpenDKIM) takes as 127.0.0.1: internal, so it
signs; the verify cases set InternalHosts to 192.0.2.1 to make it external.

Cases:
  sign               a message is signed; the queued copy verifies with dkimpy
                     and with `signet verify`; the signature is the first header
  sign-large         a 300 KB body (several body chunks) is signed and verifies
  sign-minimal       a message without Date and Message-ID, which sendmail adds
                     itself, is signed; the copy as delivered verifies
  sign-simple        c=simple/simple, headers with odd spacing: the milter must see
                     each header byte for byte as sendmail keeps it
  sign-twice         two messages on one SMTP connection are both signed
  mta-name           an external client, but {daemon_name} is listed in MTA: signed
  verify-pass        a message signed by `signet sign` gets dkim=pass
  verify-fail        the same, tampered: dkim=fail, still accepted
  forged-results     an Authentication-Results claiming our AuthservID is removed,
                     another host's is kept
  reject-bad         On-BadSignature reject: 5xx at the end of DATA, nothing queued
  milter-down        no milter, F=T: 451 at MAIL FROM, nothing queued

One line per case; the last line is `sendmail: N passed, M failed`; the exit
status is non-zero if any failed. A step this sandbox cannot do (download,
namespaces) fails every case with the reason; nothing is skipped silently.
Needs root, /usr/bin/python3 with python3-dkim, apt-get, dpkg, unshare and mount.
"""

import argparse
import fcntl
import glob
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import dkim

PACKAGES = ["sendmail-bin", "sendmail-cf", "sendmail-base", "m4", "libwrap0"]
HOSTNAME = "mx.example.test"
DOMAIN = "example.com"
SELECTOR = "sm1"
AUTHSERV_ID = "signet.test"
MTA_NAME = "signet-MSA"
EXTERNAL_ONLY = "192.0.2.1"       # InternalHosts that the -bs client (127.0.0.1) is not in
ESMTP_MAILER_FLAGS = set("mDFMuXa")  # Debian's esmtp mailer: which ?x? headers it writes
SMTP_TIMEOUT = 60.0
MILTER_START_TIMEOUT = 15.0
MILTER_STOP_TIMEOUT = 15.0


class SetupError(Exception):
    """A step outside signet (download, namespaces, keys) that did not work."""


class CaseFailure(Exception):
    pass


def run(cmd, timeout=120, **kwargs):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, **kwargs)


# ---------------------------------------------------------------- Sendmail itself

class Sendmail:
    """The unpacked packages: binary, library path, m4 and the cf tree."""

    def __init__(self, cache_dir: str):
        self.cache = os.path.abspath(cache_dir)
        self.root = os.path.join(self.cache, "root")
        os.makedirs(self.cache, exist_ok=True)
        with open(os.path.join(self.cache, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be fetching into the same cache
            debs = self._download()
            self._unpack(debs)
        self.binary = self._find(["usr/libexec/sendmail/sendmail", "usr/lib/sm.bin/sendmail"])
        self.m4 = self._find(["usr/bin/m4"])
        self.cf_dir = self._find(["usr/share/sendmail/cf"])
        libs = [d for d in glob.glob(os.path.join(self.root, "usr/lib/*-linux-gnu")) +
                glob.glob(os.path.join(self.root, "lib/*-linux-gnu")) if os.path.isdir(d)]
        self.library_path = ":".join(libs)
        # A setgid binary runs in secure mode: the loader would ignore
        # LD_LIBRARY_PATH, and libwrap0 is only in the unpacked tree.
        mode = os.stat(self.binary).st_mode
        if mode & 0o6000:
            os.chmod(self.binary, mode & ~0o6000)

    def _debs(self):
        found = {}
        for p in PACKAGES:
            matches = sorted(glob.glob(os.path.join(self.cache, "debs", f"{p}_*.deb")))
            if matches:
                found[p] = matches[-1]
        return found

    def _download(self):
        debs_dir = os.path.join(self.cache, "debs")
        os.makedirs(debs_dir, exist_ok=True)
        missing = [p for p in PACKAGES if p not in self._debs()]
        if missing:
            r = run(["apt-get", "download", *missing], timeout=300, cwd=debs_dir)
            if r.returncode != 0:
                # Empty or stale package lists: refresh them (as scripts/install-deps.sh does) and retry.
                u = run(["apt-get", "update", "-q"], timeout=300)
                r = run(["apt-get", "download", *missing], timeout=300, cwd=debs_dir)
                if r.returncode != 0:
                    raise SetupError("apt-get download " + " ".join(missing) + " failed:\n" +
                                     u.stdout.decode(errors="replace")[-1500:] +
                                     r.stdout.decode(errors="replace")[-1500:])
        debs = self._debs()
        if len(debs) != len(PACKAGES):
            raise SetupError(f"after apt-get download, {debs_dir} lacks " +
                             ", ".join(p for p in PACKAGES if p not in debs))
        return debs

    def _unpack(self, debs):
        marker = os.path.join(self.root, ".unpacked")
        wanted = "\n".join(os.path.basename(debs[p]) for p in PACKAGES) + "\n"
        if os.path.exists(marker) and open(marker).read() == wanted:
            return
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root)
        for p in PACKAGES:
            r = run(["dpkg", "-x", debs[p], self.root])
            if r.returncode != 0:
                raise SetupError(f"dpkg -x {debs[p]} failed: " + r.stdout.decode(errors="replace"))
        with open(marker, "w") as f:
            f.write(wanted)

    def _find(self, candidates):
        for c in candidates:
            p = os.path.join(self.root, c)
            if os.path.exists(p):
                return p
        raise SetupError(f"the unpacked packages in {self.root} have none of " + ", ".join(candidates))

    def build_cf(self, work: str, milter_port: int, local_config: str = "") -> str:
        """A private configuration: queue, hosts file and service switch of its own."""
        queue = os.path.join(work, "queue")
        os.makedirs(queue, exist_ok=True)
        os.chmod(queue, 0o700)
        hosts = os.path.join(work, "hosts")
        with open(hosts, "w") as f:
            f.write(f"127.0.0.1 localhost {HOSTNAME} mx\n::1 localhost ip6-localhost\n")
        with open(os.path.join(work, "service.switch"), "w") as f:
            f.write("hosts files\naliases files\n")
        open(os.path.join(work, "aliases"), "w").close()
        mc = os.path.join(work, "test.mc")
        with open(mc, "w") as f:
            f.write(f"""divert(-1)
divert(0)dnl
VERSIONID(`signet integration test')dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `{HOSTNAME}')dnl
define(`QUEUE_DIR', `{queue}')dnl
define(`confHOSTS_FILE', `{hosts}')dnl
define(`confSERVICE_SWITCH_FILE', `{work}/service.switch')dnl
define(`ALIAS_FILE', `{work}/aliases')dnl
define(`STATUS_FILE', `{work}/statistics')dnl
define(`confPID_FILE', `{work}/sendmail.pid')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
INPUT_MAIL_FILTER(`signet', `S=inet:{milter_port}@127.0.0.1, F=T, T=S:10s;R:20s;E:60s')dnl
MAILER(`smtp')dnl
""")
            if local_config:
                f.write("LOCAL_CONFIG\n" + local_config)
        cf = os.path.join(work, "test.cf")
        env = dict(os.environ, LD_LIBRARY_PATH=self.library_path)
        with open(cf, "wb") as out:
            r = subprocess.run([self.m4, f"-D_CF_DIR_={self.cf_dir}/", os.path.join(self.cf_dir, "m4/cf.m4"), mc],
                               stdout=out, stderr=subprocess.PIPE, env=env, timeout=60)
        if r.returncode != 0:
            raise SetupError("m4 could not build the sendmail configuration: " + r.stderr.decode(errors="replace"))
        text = open(cf).read()
        if f"S=inet:{milter_port}@127.0.0.1" not in text:
            raise SetupError(f"{cf} has no milter line for port {milter_port}")
        return cf


# The script that runs inside the new namespaces: host name, /etc/hosts, then sendmail.
NAMESPACE_SCRIPT = 'hostname "$1" && mount --bind "$2" /etc/hosts && shift 2 && exec "$@"'


def namespace_prefix() -> list[str]:
    """`unshare --uts --mount`, checked by setting the host name in it.

    Needs root. A user namespace (unshare --user --map-root-user) is no way
    round that: sendmail -bs running as the mapped root calls setgroups(),
    which a user namespace denies, and answers 451 to everything."""
    prefix = ["unshare", "--uts", "--mount"]
    if os.geteuid() != 0:
        raise SetupError("must run as root: sendmail needs a host name and /etc/hosts of its own "
                         "(unshare --uts --mount), or it stalls 60 s at start")
    probe = run([*prefix, "sh", "-c", f"hostname {HOSTNAME} && hostname"], timeout=30)
    if probe.returncode != 0 or probe.stdout.decode().strip() != HOSTNAME:
        raise SetupError(f"{' '.join(prefix)} cannot set the host name {HOSTNAME} (sendmail would stall "
                         "60 s at start): " + probe.stdout.decode(errors="replace").strip()[-300:])
    return prefix


# ---------------------------------------------------------------- SMTP on a pipe

class SmtpSession:
    """`sendmail -bs`: one reply read before each command is sent."""

    def __init__(self, sendmail: Sendmail, prefix, cf: str, work: str):
        self.transcript = open(os.path.join(work, "smtp.transcript"), "ab")
        self.stderr = open(os.path.join(work, "sendmail.stderr"), "ab")
        env = dict(os.environ, LD_LIBRARY_PATH=sendmail.library_path)
        self.proc = subprocess.Popen(
            [*prefix, "sh", "-c", NAMESPACE_SCRIPT, "sh", HOSTNAME, os.path.join(work, "hosts"),
             sendmail.binary, "-C", cf, "-bs", "-odq"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=env, cwd=work)
        self.buffer = b""

    def reply(self, timeout=SMTP_TIMEOUT) -> tuple[int, str]:
        """Reads one (possibly multi-line) reply."""
        deadline = time.monotonic() + timeout
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CaseFailure(f"no SMTP reply within {timeout:.0f} s (got {lines!r})")
                ready, _, _ = select.select([self.proc.stdout], [], [], left)
                if not ready:
                    continue
                data = os.read(self.proc.stdout.fileno(), 65536)
                if not data:
                    raise CaseFailure(f"sendmail closed the connection (got {lines!r}); see sendmail.stderr")
                self.buffer += data
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            self.transcript.write(b"S: " + line + b"\n")
            lines.append(line.decode(errors="replace"))
            if len(line) < 4 or line[3:4] == b" ":
                break
        try:
            code = int(lines[-1][:3])
        except ValueError:
            raise CaseFailure(f"not an SMTP reply: {lines!r}") from None
        return code, "\n".join(lines)

    def send(self, data: bytes, log: bytes | None = None):
        self.transcript.write(b"C: " + (log if log is not None else data.rstrip(b"\r\n")) + b"\n")
        self.transcript.flush()
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def command(self, line: str) -> tuple[int, str]:
        self.send(line.encode() + b"\r\n")
        return self.reply()

    def expect(self, line: str, code_class: int) -> str:
        code, text = self.command(line)
        if code // 100 != code_class:
            raise CaseFailure(f"{line!r} got {text!r}, expected {code_class}xx")
        return text

    def data(self, message: bytes) -> tuple[int, str]:
        """DATA, the message dot-stuffed with CRLF line ends, and the final dot; returns the last reply."""
        code, text = self.command("DATA")
        if code != 354:
            raise CaseFailure(f"DATA got {text!r}")
        lines = message.replace(b"\r\n", b"\n").split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        wire = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines) + b".\r\n"
        self.send(wire, log=b"<message, %d bytes>" % len(wire))
        return self.reply()

    def quit(self):
        """QUIT, and wait until sendmail has exited (and cleaned its queue files up)."""
        self.expect("QUIT", 2)
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise CaseFailure("sendmail still running 20 s after QUIT") from None

    def close(self):
        try:
            if self.proc.poll() is None and not self.proc.stdin.closed:
                self.command("QUIT")
        except (CaseFailure, BrokenPipeError, OSError):
            pass
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.transcript.close()
        self.stderr.close()


# ---------------------------------------------------------------- the queue

def queue_id_of(reply: str) -> str:
    m = re.search(r"^250 \S+ (\S+) Message accepted", reply, re.M)
    if not m:
        raise CaseFailure(f"no queue ID in {reply!r}")
    return m.group(1)


def queued_files(work: str) -> list[str]:
    return sorted(f for f in os.listdir(os.path.join(work, "queue")) if f[:2] in ("qf", "df"))


def read_queued(work: str, queue_id: str) -> tuple[list[tuple[str, str]], bytes]:
    """The headers sendmail will write for an SMTP mailer, as (flags, "Name: value"), and the body."""
    qf = os.path.join(work, "queue", "qf" + queue_id)
    df = os.path.join(work, "queue", "df" + queue_id)
    if not (os.path.exists(qf) and os.path.exists(df)):
        raise CaseFailure(f"{queue_id} accepted but not in the queue: {queued_files(work)}")
    records = []  # qf records: a letter and its text; a line that starts with white space continues one
    for line in open(qf, "rb").read().split(b"\n"):
        if line[:1] in (b" ", b"\t") and records:
            records[-1] += b"\n" + line
        elif line:
            records.append(line)
    headers = []
    for r in records:
        if not r.startswith(b"H"):
            continue
        text = r[1:].decode("latin-1")
        flags = ""
        if text.startswith("?"):
            end = text.index("?", 1)
            flags, text = text[1:end], text[end + 1:]
        headers.append((flags, text))
    with open(df, "rb") as f:
        body = f.read()
    return headers, body


def rebuild(headers, body: bytes) -> bytes:
    """The message as an SMTP delivery of the queue files would send it (CRLF)."""
    out = b""
    for flags, text in headers:
        if set(flags) <= ESMTP_MAILER_FLAGS:
            if "\x81" in text:  # sendmail's macro-expansion byte: this header is rewritten on delivery
                raise CaseFailure(f"a header to be delivered holds an unexpanded sendmail macro: {text!r}")
            out += text.encode("latin-1").replace(b"\n", b"\r\n") + b"\r\n"
    return out + b"\r\n" + body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def header_names(message: bytes) -> list[str]:
    head = message.split(b"\r\n\r\n", 1)[0]
    return [l.split(b":", 1)[0].decode() for l in head.split(b"\r\n") if l and l[:1] not in (b" ", b"\t")]


def header_values(message: bytes, name: str) -> list[str]:
    head = message.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    fields = re.split(r"\r\n(?![ \t])", head)
    return [f.split(":", 1)[1] for f in fields if f.split(":", 1)[0].strip().lower() == name.lower()]


# ---------------------------------------------------------------- signet and its milter

class Keys:
    def __init__(self, signet: str, work: str):
        self.signet = signet
        self.dir = os.path.join(work, "keys")
        os.makedirs(self.dir, mode=0o700)
        r = run([signet, "keygen", "--domain", DOMAIN, "--selector", SELECTOR, "--out-dir", self.dir])
        if r.returncode != 0:
            raise SetupError("signet keygen failed: " + r.stdout.decode(errors="replace"))
        self.private = os.path.join(self.dir, SELECTOR + ".private")
        record = open(os.path.join(self.dir, SELECTOR + ".txt")).read().strip()
        owner = record.split()[0].rstrip(".").lower()
        if owner != f"{SELECTOR}._domainkey.{DOMAIN}":
            raise SetupError(f"signet keygen wrote a record for {owner!r}: {record!r}")
        strings = re.findall(r'"((?:[^"\\]|\\.)*)"', record)
        if not strings:
            raise SetupError(f"no TXT strings in {record!r}")
        self.txt = "".join(strings).encode()
        self.unbound_conf = os.path.join(work, "unbound.conf")
        with open(self.unbound_conf, "w") as f:
            f.write(f'server:\n  local-zone: "{DOMAIN}." static\n  local-data: \'{record}\'\n')

    def dnsfunc(self, name, timeout=5):
        n = name.decode() if isinstance(name, bytes) else name
        return self.txt if n.rstrip(".").lower() == f"{SELECTOR}._domainkey.{DOMAIN}" else None

    def sign(self, message: bytes) -> bytes:
        r = subprocess.run([self.signet, "sign", "--domain", DOMAIN, "--selector", SELECTOR, "--key", self.private],
                           input=message, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if r.returncode != 0:
            raise SetupError("signet sign failed: " + r.stderr.decode(errors="replace"))
        return r.stdout

    def signet_verify(self, message: bytes) -> tuple[int, str]:
        r = subprocess.run([self.signet, "verify", "--resolver-conf", self.unbound_conf], input=message,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return r.returncode, r.stdout.decode(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Milter:
    def __init__(self, binary: str, work: str, keys: Keys, port: int, extra: str):
        self.conf = os.path.join(work, "signet-milter.conf")
        with open(self.conf, "w") as f:
            f.write(f"""# written by sendmail_test.py
Socket                inet:{port}@127.0.0.1
Syslog                no
AuthservID            {AUTHSERV_ID}
Domain                {DOMAIN}
Selector              {SELECTOR}
KeyFile               {keys.private}
ResolverConfiguration {keys.unbound_conf}
{extra}""")
        self.log_path = os.path.join(work, "signet-milter.log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([binary, "-f", "-c", self.conf], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + MILTER_START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise CaseFailure(f"signet-milter exited with status {self.proc.returncode} at start: " +
                                  self.tail())
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise CaseFailure(f"signet-milter not listening on 127.0.0.1:{port} after "
                                  f"{MILTER_START_TIMEOUT:.0f} s: " + self.tail())
            time.sleep(0.1)

    def tail(self) -> str:
        self.log.flush()
        return open(self.log_path, errors="replace").read()[-1500:]

    def stop(self) -> str | None:
        """SIGTERM by pid; returns a problem, if any."""
        problem = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=MILTER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problem = f"signet-milter still running {MILTER_STOP_TIMEOUT:.0f} s after SIGTERM (killed)"
        if problem is None and self.proc.returncode != 0:
            problem = f"signet-milter exited with status {self.proc.returncode} after SIGTERM"
        self.log.close()
        return problem


# ---------------------------------------------------------------- messages and checks

def message(tag: str, body_extra: str = "") -> bytes:
    return (f"From: Alice <alice@{DOMAIN}>\r\n"
            "To: Bob <bob@example.net>\r\n"
            f"Subject: signet behind sendmail: {tag},\r\n"
            "\ta folded subject\r\n"
            "Date: Sat, 21 Nov 2026 03:48:20 +0000\r\n"
            f"Message-ID: <{tag}.{os.getpid()}@{DOMAIN}>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "\r\n"
            "Hello Bob,\r\n"
            ".a line that starts with a dot (stuffed on the wire, not in the message)\r\n"
            "trailing white space  \t\r\n"
            f"{body_extra}"
            "Alice\r\n").encode()


def tamper(signed: bytes) -> bytes:
    out = signed.replace(b"Hello Bob,", b"Hello Eve,")
    assert out != signed
    return out


def submit(smtp: SmtpSession, msg: bytes, greet=True) -> tuple[int, str]:
    if greet:
        code, text = smtp.reply()
        if code != 220:
            raise CaseFailure(f"greeting {text!r}")
        smtp.expect("EHLO client.example.test", 2)
    smtp.expect(f"MAIL FROM:<alice@{DOMAIN}>", 2)
    smtp.expect("RCPT TO:<bob@example.net>", 2)
    return smtp.data(msg)


def check_signed(keys: Keys, queued: bytes, label: str):
    names = header_names(queued)
    if "DKIM-Signature" not in names:
        raise CaseFailure(f"{label}: no DKIM-Signature in the queued message; headers {names}")
    if names[0] != "DKIM-Signature":
        raise CaseFailure(f"{label}: DKIM-Signature is not the first header (inserted at index 0): {names}")
    sig = header_values(queued, "DKIM-Signature")
    if len(sig) != 1:
        raise CaseFailure(f"{label}: {len(sig)} DKIM-Signature headers")
    if not re.search(rf"\bd={re.escape(DOMAIN)};", sig[0]) or not re.search(rf"\bs={SELECTOR};", sig[0]):
        raise CaseFailure(f"{label}: unexpected d= or s= in {sig[0]!r}")
    if not dkim.verify(queued, dnsfunc=keys.dnsfunc):
        raise CaseFailure(f"{label}: dkimpy does not verify the queued message")
    code, out = keys.signet_verify(queued)
    if code != 0 or "dkim=pass" not in out:
        raise CaseFailure(f"{label}: signet verify exit {code}: {out.strip()}")


def results_of(queued: bytes) -> str:
    values = header_values(queued, "Authentication-Results")
    ours = [v for v in values if v.strip().split(";")[0].strip() == AUTHSERV_ID]
    if len(ours) != 1:
        raise CaseFailure(f"expected one Authentication-Results from {AUTHSERV_ID}, found {values}")
    if header_names(queued)[0] != "Authentication-Results":
        raise CaseFailure(f"Authentication-Results is not the first header: {header_names(queued)}")
    return " ".join(ours[0].split())


class Case:
    def __init__(self, name, milter_extra, body, milter=True, cf_extra=""):
        self.name, self.milter_extra, self.body, self.milter = name, milter_extra, body, milter
        self.cf_extra = cf_extra


def case_sign(ctx, smtp):
    reply = submit(smtp, message("sign"))[1]
    headers, body = read_queued(ctx.work, queue_id_of(reply))
    queued = rebuild(headers, body)
    if b"\r\n.a line that starts" not in queued:
        raise CaseFailure("the queued body lost the dot line (dot-stuffing undone twice?)")
    check_signed(ctx.keys, queued, "queued message")


def case_sign_large(ctx, smtp):
    # Sendmail hands the body to a milter in chunks of at most 64 KB.
    line = "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ  \t\r\n"
    count = 300_000 // len(line)
    reply = submit(smtp, message("large", line * count))[1]
    headers, body = read_queued(ctx.work, queue_id_of(reply))
    if body.count(line.encode().replace(b"\r\n", b"\n")) != count:
        raise CaseFailure(f"the queued body ({len(body)} bytes) does not hold the {count} lines sent")
    check_signed(ctx.keys, rebuild(headers, body), "queued message")


def case_sign_minimal(ctx, smtp):
    # No Date and no Message-ID: sendmail adds them (?D? and ?M? headers of its .cf),
    # and writes them on delivery through an SMTP mailer, after the milter has signed.
    msg = (f"From: alice@{DOMAIN}\r\nTo: bob@example.net\r\nSubject: minimal\r\n\r\nHi.\r\n").encode()
    reply = submit(smtp, msg)[1]
    headers, body = read_queued(ctx.work, queue_id_of(reply))
    check_signed(ctx.keys, rebuild(headers, body), "queued message with the headers sendmail added")


def case_sign_simple(ctx, smtp):
    # simple header canonicalization keeps every byte: the milter must rebuild the
    # header exactly from what sendmail passes (SMFIP_HDR_LEADSPC or not).
    msg = (f"From: Alice <alice@{DOMAIN}>\r\n"
           "To:bob@example.net\r\n"
           "Subject:  two spaces after the colon,\r\n"
           " \tand a folded line  \r\n"
           "Date: Sat, 21 Nov 2026 03:48:20 +0000\r\n"
           f"Message-ID: <simple.{os.getpid()}@{DOMAIN}>\r\n"
           "\r\n"
           "Body with trailing white space \t\r\n"
           "\r\n"
           "\r\n").encode()
    reply = submit(smtp, msg)[1]
    headers, body = read_queued(ctx.work, queue_id_of(reply))
    queued = rebuild(headers, body)
    if b"\r\nTo:bob@example.net\r\n" not in queued or b"\r\nSubject:  two spaces" not in queued:
        raise CaseFailure("sendmail changed the spacing of To or Subject in the queue file")
    check_signed(ctx.keys, queued, "queued message")
    if "c=simple/simple" not in " ".join(header_values(queued, "DKIM-Signature")):
        raise CaseFailure("the signature is not c=simple/simple")


def case_sign_twice(ctx, smtp):
    first = submit(smtp, message("first"))[1]
    second = submit(smtp, message("second", "a second message on the same connection\r\n"), greet=False)[1]
    for label, reply in (("first", first), ("second", second)):
        headers, body = read_queued(ctx.work, queue_id_of(reply))
        check_signed(ctx.keys, rebuild(headers, body), label + " message")


def case_mta_name(ctx, smtp):
    reply = submit(smtp, message("mta"))[1]
    headers, body = read_queued(ctx.work, queue_id_of(reply))
    check_signed(ctx.keys, rebuild(headers, body), "message from an external client")


def verify_case(expect_result):
    def body(ctx, smtp):
        signed = ctx.keys.sign(message("verify"))
        if expect_result == "fail":
            signed = tamper(signed)
        code, reply = submit(smtp, signed)
        if code != 250:
            raise CaseFailure(f"end of DATA got {reply!r}, expected 250")
        headers, body_ = read_queued(ctx.work, queue_id_of(reply))
        queued = rebuild(headers, body_)
        ar = results_of(queued)
        if not re.search(rf"\bdkim={expect_result}\b", ar):
            raise CaseFailure(f"expected dkim={expect_result}: {ar}")
        if f"header.d={DOMAIN}" not in ar or f"header.s={SELECTOR}" not in ar:
            raise CaseFailure(f"no header.d={DOMAIN} header.s={SELECTOR}: {ar}")
        if len(header_values(queued, "DKIM-Signature")) != 1:
            raise CaseFailure("the verified message does not carry exactly its one DKIM-Signature")
    return body


def case_forged_results(ctx, smtp):
    # The forged one is the second of two: the milter deletes it by index, which sendmail
    # counts among the headers of that name; the other authserv-id's header must stay.
    other = b"Authentication-Results: relay.example.net; dkim=none (kept)\r\n"
    forged = f"Authentication-Results: {AUTHSERV_ID}; dkim=pass header.d={DOMAIN} (forged)\r\n".encode()
    signed = tamper(ctx.keys.sign(message("forged")))
    code, reply = submit(smtp, other + forged + signed)
    if code != 250:
        raise CaseFailure(f"end of DATA got {reply!r}, expected 250")
    headers, body = read_queued(ctx.work, queue_id_of(reply))
    queued = rebuild(headers, body)
    results = header_values(queued, "Authentication-Results")
    if any("(forged)" in v for v in results):
        raise CaseFailure("the forged Authentication-Results claiming our AuthservID is still there")
    if not any("(kept)" in v for v in results):
        raise CaseFailure(f"the other host's Authentication-Results was removed instead: {results}")
    ar = results_of(queued)
    if "dkim=fail" not in ar:
        raise CaseFailure(f"expected dkim=fail: {ar}")


def case_reject_bad(ctx, smtp):
    code, reply = submit(smtp, tamper(ctx.keys.sign(message("reject"))))
    if code // 100 != 5:
        raise CaseFailure(f"end of DATA got {reply!r}, expected 5xx")
    smtp.quit()
    if queued_files(ctx.work):
        raise CaseFailure(f"a rejected message left {queued_files(ctx.work)} in the queue")


def case_milter_down(ctx, smtp):
    code, text = smtp.reply()
    if code != 220:
        raise CaseFailure(f"greeting {text!r}")
    smtp.expect("EHLO client.example.test", 2)
    code, text = smtp.command(f"MAIL FROM:<alice@{DOMAIN}>")
    if code != 451:
        raise CaseFailure(f"MAIL FROM with the milter down got {text!r}, expected 451")
    smtp.quit()
    if queued_files(ctx.work):
        raise CaseFailure(f"queue not empty: {queued_files(ctx.work)}")


CASES = [
    Case("sign", "", case_sign),
    Case("sign-large", "", case_sign_large),
    Case("sign-minimal", "", case_sign_minimal),
    Case("sign-simple", "Canonicalization simple/simple\n", case_sign_simple),
    Case("sign-twice", "", case_sign_twice),
    # -bs has no daemon of its own: the .cf gives {daemon_name} the value a port's Name= would.
    Case("mta-name", f"InternalHosts {EXTERNAL_ONLY}\nMTA other-mta, {MTA_NAME}\n", case_mta_name,
         cf_extra=f"D{{daemon_name}}{MTA_NAME}\n"),
    Case("verify-pass", f"InternalHosts {EXTERNAL_ONLY}\n", verify_case("pass")),
    Case("verify-fail", f"InternalHosts {EXTERNAL_ONLY}\n", verify_case("fail")),
    Case("forged-results", f"InternalHosts {EXTERNAL_ONLY}\n", case_forged_results),
    Case("reject-bad", f"InternalHosts {EXTERNAL_ONLY}\nOn-BadSignature reject\n", case_reject_bad),
    Case("milter-down", "", case_milter_down, milter=False),
]


class Context:
    pass


def run_case(case: Case, sendmail, prefix, keys, milter_binary, root_work) -> tuple[bool, str]:
    ctx = Context()
    ctx.work = os.path.join(root_work, case.name)
    os.makedirs(ctx.work)
    ctx.keys = keys
    port = free_port()
    cf = sendmail.build_cf(ctx.work, port, case.cf_extra)
    milter = Milter(milter_binary, ctx.work, keys, port, case.milter_extra) if case.milter else None
    smtp = None
    problem = None
    try:
        smtp = SmtpSession(sendmail, prefix, cf, ctx.work)
        case.body(ctx, smtp)
    except (CaseFailure, SetupError, subprocess.TimeoutExpired) as e:
        problem = str(e)
    except Exception:  # a bug in this script: report it as the case's failure
        problem = traceback.format_exc()
    finally:
        if smtp:
            smtp.close()
        if milter:
            stopped = milter.stop()
            problem = problem or stopped
    if problem and milter:
        problem += "\n    signet-milter log: " + open(milter.log_path, errors="replace").read()[-800:].replace(
            "\n", "\n      ")
    return problem is None, problem or ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("milter", help="the signet-milter binary")
    ap.add_argument("signet", help="the signet CLI binary")
    ap.add_argument("--cache-dir", default="sendmail-cache",
                    help="where the downloaded .deb files and their unpacked tree are kept and reused")
    ap.add_argument("--work-dir", default=".", help="parent of the temporary per-run directory")
    ap.add_argument("--keep", action="store_true", help="keep the per-run directory even when all passed")
    ap.add_argument("cases", nargs="*", help="case names to run (default: all)")
    args = ap.parse_intermixed_args()
    milter_binary, signet = os.path.abspath(args.milter), os.path.abspath(args.signet)
    selected = [c for c in CASES if not args.cases or c.name in args.cases]
    if args.cases and len(selected) != len(args.cases):
        print("unknown case; cases are: " + " ".join(c.name for c in CASES), file=sys.stderr)
        return 64

    os.makedirs(args.work_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="sendmail-run.", dir=os.path.abspath(args.work_dir))
    os.chmod(work, 0o755)
    try:
        sendmail = Sendmail(args.cache_dir)
        prefix = namespace_prefix()
        keys = Keys(signet, work)
    except (SetupError, subprocess.TimeoutExpired, OSError) as e:
        for c in selected:
            print(f"FAIL {c.name}: setup: {e}")
        print(f"sendmail: 0 passed, {len(selected)} failed")
        print(f"(kept {work})")
        return 1

    passed = failed = 0
    for c in selected:
        ok, why = run_case(c, sendmail, prefix, keys, milter_binary, work)
        print(("ok   " if ok else "FAIL ") + c.name + ("" if ok else ": " + why), flush=True)
        passed, failed = passed + ok, failed + (not ok)
    print(f"sendmail: {passed} passed, {failed} failed")
    if failed or args.keep:
        print(f"(kept {work}: per case the sendmail .cf, queue, SMTP transcript and signet-milter log)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
