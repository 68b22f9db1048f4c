#!/usr/bin/python3
"""signet-milter at the milter protocol level, driven by miltertest(8).

  miltertest_driver.py --milter SIGNET_MILTER --signet SIGNET [--keep]

Each daemon configuration below runs as its own `signet-milter -c FILE -f` on
a free 127.0.0.1 port (Syslog no, keys from `signet keygen`, DNS from an
unbound configuration file with `local-zone: "example.com." static` and
`local-data:` lines) and is stopped by its pid. The cases play messages
through it with the miltertest_*.lua scripts, which check the replies and
header edits; the signatures the milter inserts are then verified here with
`signet verify` and with dkimpy.

Cases (one line each; a case passes when all its checks pass):
  sign-internal        client 127.0.0.1 (default InternalHosts): one DKIM-Signature at index 0,
                       verified by dkimpy and `signet verify`
  sign-auth            external client with {auth_authen}: signed
  sign-mta             external client whose {daemon_name} is listed in MTA: signed
  sign-dual            MultipleSignatures + KeyTable/SigningTable: RSA and Ed25519 signatures, both verify
  verify-other-daemon  external client, {daemon_name} not in MTA: verified, not signed
  verify-pass          external client, valid signature: Authentication-Results dkim=pass at index 0
  bad-reject           On-BadSignature reject: SMFIR_REPLYCODE 550 5.7.1
  bad-tempfail         On-BadSignature tempfail: 451 4.7.5
  bad-discard          On-BadSignature discard: SMFIR_DISCARD
  bad-quarantine       On-BadSignature quarantine: SMFIR_QUARANTINE, message goes on
  bad-default          no On-* keys: a bad signature is accepted with dkim=fail
  nosig-reject         On-NoSignature reject: 550, dkim=none
  nosig-default        no On-* keys: an unsigned message is accepted with dkim=none
  nokey-reject         On-KeyNotFound reject: 550, dkim=permerror
  nokey-tempfail       On-KeyNotFound tempfail: 451
  dns-timeout          Nameservers = a silent UDP port, DNSTimeout 1, On-DNSError tempfail:
                       451 with dkim=temperror, within a few seconds
  max-signatures-5     two signatures (bad on top, good below), default limit: both checked, pass
  max-signatures-1     MaximumSignaturesToVerify 1: only the bad one is checked: 550
  authres-removal      Authentication-Results claiming our AuthservID removed, the others kept
  foreground-pidfile   -f stays the same process: PidFile holds the pid the test started
  clean-stop           every daemon above exits 0 on SIGTERM
  sigterm-inflight     SIGTERM in the middle of a message: the message still gets its
                       end-of-message reply, and the daemon exits soon after the MTA leaves
  sigterm-idle         SIGTERM while an MTA connection is open: the daemon exits within
                       15 s once the MTA has disconnected
  config-good          -n on a good configuration: exit 0
  config-unknown-key   -n with an unknown key: non-zero, the message names file:line and the key
  config-bad-value     -n with a bad On-BadSignature value: non-zero, names the line
  config-missing-key   -n with a KeyFile that does not exist: non-zero, names the file

The last line is `miltertest: N passed, M failed`; the exit status is
non-zero if any case failed. Needs /usr/bin/python3 with python3-dkim and
/usr/bin/miltertest.
"""

import argparse
import concurrent.futures
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import miltertest_fixtures as fx  # noqa: E402

MILTERTEST = "/usr/bin/miltertest"
LIB = os.path.join(HERE, "miltertest_lib.lua")
INTERNAL = ("localhost", "127.0.0.1")
EXTERNAL = ("mail.example.org", "192.0.2.1")

# The SMTP replies policy.cpp gives (miltertest compares a reply only whole).
BAD_TEXT = "DKIM signature of example.com did not verify"
NOSIG_TEXT = "message is not signed"
NOKEY_TEXT = "DKIM key not found for example.com"
DNS_TEXT = "DKIM key could not be retrieved; try again later"


class Context:
    def __init__(self, milter_bin: str, signet: str, workdir: str):
        self.milter_bin = milter_bin
        self.signet = signet
        self.dir = workdir
        self.counter = 0
        keydir = os.path.join(workdir, "keys")
        self.sel1 = fx.keygen(signet, keydir, "sel1", "rsa")
        self.ed1 = fx.keygen(signet, keydir, "ed1", "ed25519")
        # "wrong": the published key is not the one that signs, so its signatures fail.
        self.wrong_published = fx.keygen(signet, os.path.join(workdir, "keys-published"), "wrong", "rsa")
        self.wrong = fx.keygen(signet, os.path.join(workdir, "keys-unpublished"), "wrong", "rsa")
        self.nokey = fx.keygen(signet, os.path.join(workdir, "keys-unpublished"), "nokey", "rsa")
        self.published = [self.sel1, self.ed1, self.wrong_published]
        self.resolver_conf = os.path.join(workdir, "unbound.conf")
        fx.write_unbound_conf(self.resolver_conf, self.published)

        plain = fx.message("plain message")
        self.plain = plain
        self.good = fx.sign_with_signet(signet, plain, self.sel1)
        head, body = fx.split(self.good)
        self.tampered = head + b"\r\n" + body.replace(b"Hello Bob", b"Hello Eve")
        self.nokey_signed = fx.sign_with_signet(signet, plain, self.nokey)
        self.two_signatures = fx.sign_with_signet(signet, self.good, self.wrong)  # bad on top, good below
        self.with_results = fx.sign_with_signet(signet, fx.message("forged results", extra=[
            "Authentication-Results: mx.signet.test; dkim=pass header.d=example.com",
            "Authentication-Results: other.example.net; dkim=fail header.d=example.com",
            "Authentication-Results: mx.signet.test.example.net; spf=pass smtp.mailfrom=example.com",
            "Authentication-Results: MX.Signet.Test 1;\r\n\tdkim=pass header.d=example.com",
            "Authentication-Results: (forged) mx.signet.test; dkim=pass header.d=example.com",
            'Authentication-Results: "mx.signet.test"; dkim=pass header.d=example.com',
        ]), self.sel1)

    def play(self, script: str, case: str, milter: fx.Milter, msg: bytes, client=EXTERNAL,
             **globals_: str) -> tuple[list[str], list[str], dict, float]:
        """Runs one miltertest script; returns (passes, failures, values, seconds)."""
        self.counter += 1
        base = os.path.join(self.dir, f"msg{self.counter}")
        head, body = fx.split(msg)
        with open(base + ".headers", "wb") as f:
            for name, value in fx.header_fields(head):
                f.write(name + b"\0" + value + b"\0")
        with open(base + ".body", "wb") as f:
            f.write(body)
        argv = [MILTERTEST, "-s", os.path.join(HERE, script), "-D", f"lib={LIB}", "-D", f"case={case}",
                "-D", f"socket={milter.socket}", "-D", f"client_host={client[0]}",
                "-D", f"client_ip={client[1]}", "-D", f"headerfile={base}.headers",
                "-D", f"bodyfile={base}.body", "-D", f"authserv_id={fx.AUTHSERV_ID}"]
        for k, v in globals_.items():
            argv += ["-D", f"{k}={v}"]
        started = time.monotonic()
        p = fx.run(argv, timeout=60)
        took = time.monotonic() - started
        out = p.stdout.decode("utf-8", "replace").splitlines()
        passes = [line[5:] for line in out if line.startswith("PASS ")]
        failures = [line[5:] for line in out if line.startswith("FAIL ")]
        failures += [line[6:] for line in out if line.startswith("ERROR ")]
        if p.returncode != 0 or f"DONE {case}" not in out:
            failures.append(f"{case}: miltertest exited {p.returncode}: {fx.text(p.stderr)} "
                            f"{fx.text(p.stdout, 300)}; milter log: {milter.log_text()[-800:]}")
        values: dict = {}
        for line in out:
            if line.startswith("VALUE "):
                parts = line.split(" ")
                values.setdefault(parts[2], []).append(bytes.fromhex(parts[4]) if len(parts) > 4 else b"")
        return passes, failures, values, took


def rebuild(inserted: list[bytes], msg: bytes) -> bytes:
    """The message as the MTA stores it after the milter inserted `inserted` at the top."""
    top = b""
    for value in inserted:
        sep = b":" if value[:1] in (b" ", b"\t") else b": "
        top += b"DKIM-Signature" + sep + value.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + b"\r\n"
    return top + msg


class Case:
    def __init__(self, name: str):
        self.name = name
        self.passes: list[str] = []
        self.failures: list[str] = []
        self.seconds = 0.0

    def add(self, result) -> dict:
        passes, failures, values, _ = result
        self.passes += passes
        self.failures += failures
        return values

    def check(self, ok: bool, what: str, got: object = None) -> bool:
        if ok:
            self.passes.append(f"{self.name}: {what}")
        else:
            self.failures.append(f"{self.name}: {what}" + (f" (got {got})" if got is not None else ""))
        return ok


def check_signatures(c: Case, ctx: Context, values: dict, msg: bytes, want: int, algorithms: set[str]) -> None:
    sigs = values.get("DKIM-Signature", [])
    if len(sigs) != want:
        return  # the script reported it
    signed = rebuild(sigs, msg)
    results = fx.signet_verify(ctx.signet, ctx.resolver_conf, signed)
    c.check([r.get("result") for r in results] == ["pass"] * want,
            f"`signet verify` passes all {want} inserted signature(s)",
            [(r.get("result"), r.get("reason")) for r in results])
    c.check({r.get("algorithm") for r in results} == algorithms, f"algorithms {sorted(algorithms)}",
            sorted({str(r.get("algorithm")) for r in results}))
    try:
        verdicts = fx.dkimpy_verify(signed, ctx.published)
    except Exception as e:  # dkimpy raises on what it cannot parse
        verdicts = [f"{type(e).__name__}: {e}"]
    c.check(verdicts == [True] * want, f"dkimpy verifies all {want} inserted signature(s)", verdicts)


def run_cases(ctx: Context, cases: list[Case]) -> None:
    """Appends each case to `cases` as it runs, so an exception keeps the ones before it."""
    common = [("ResolverConfiguration", ctx.resolver_conf)]
    signing = [("Domain", fx.DOMAIN), ("Selector", "sel1"), ("KeyFile", ctx.sel1.private),
               ("MTA", "ORIGINATING")]
    keytable = os.path.join(ctx.dir, "KeyTable")
    signingtable = os.path.join(ctx.dir, "SigningTable")
    with open(keytable, "w") as f:
        f.write(f"rsa-key {fx.DOMAIN}:sel1:{ctx.sel1.private}\n")
        f.write(f"ed-key {fx.DOMAIN}:ed1:{ctx.ed1.private}\n")
    with open(signingtable, "w") as f:
        f.write(f"*@{fx.DOMAIN} rsa-key,ed-key\n")
    silent = fx.SilentUdpServer()
    specs = {
        "reject": common + signing + [("On-BadSignature", "reject"), ("On-NoSignature", "reject"),
                                      ("On-KeyNotFound", "reject")],
        "tempfail": common + [("On-BadSignature", "tempfail"), ("On-KeyNotFound", "tempfail")],
        "discard": common + [("On-BadSignature", "discard")],
        "quarantine": common + [("On-BadSignature", "quarantine")],
        "max1": common + [("MaximumSignaturesToVerify", "1"), ("On-BadSignature", "reject")],
        "dns": [("Nameservers", f"127.0.0.1@{silent.port}"), ("DNSTimeout", "1"), ("On-DNSError", "tempfail")],
        "dual": common + [("KeyTable", f"file:{keytable}"), ("SigningTable", f"refile:{signingtable}"),
                          ("MultipleSignatures", "yes")],
    }
    milters: dict[str, fx.Milter] = {}
    try:
        for name, settings in specs.items():
            milters[name] = fx.Milter(ctx.milter_bin, ctx.dir, name, settings).start()
        m = milters

        def case(name: str) -> Case:
            c = Case(name)
            cases.append(c)
            return c

        # --- signing
        c = case("sign-internal")
        v = c.add(ctx.play("miltertest_sign.lua", c.name, m["reject"], ctx.plain, client=INTERNAL))
        check_signatures(c, ctx, v, ctx.plain, 1, {"rsa-sha256"})

        c = case("sign-auth")
        v = c.add(ctx.play("miltertest_sign.lua", c.name, m["reject"], ctx.plain, auth_authen="alice"))
        check_signatures(c, ctx, v, ctx.plain, 1, {"rsa-sha256"})

        c = case("sign-mta")
        v = c.add(ctx.play("miltertest_sign.lua", c.name, m["reject"], ctx.plain, daemon_name="ORIGINATING"))
        check_signatures(c, ctx, v, ctx.plain, 1, {"rsa-sha256"})

        c = case("sign-dual")
        v = c.add(ctx.play("miltertest_sign.lua", c.name, m["dual"], ctx.plain, client=INTERNAL, signatures="2"))
        check_signatures(c, ctx, v, ctx.plain, 2, {"rsa-sha256", "ed25519-sha256"})

        # --- verifying, and the On-* policies
        def verify(name, milter, msg, expect, ar_result, code="", xcode="", text="", **kw):
            c = case(name)
            extra = {"reply_code": code, "reply_xcode": xcode, "reply_text": text} if code else {}
            result = ctx.play("miltertest_verify.lua", name, m[milter], msg, expect=expect,
                              ar_result=ar_result, **extra, **kw)
            c.add(result)
            c.seconds = result[3]
            return c

        verify("verify-other-daemon", "reject", ctx.good, "accept", "pass", daemon_name="MTA-IN")
        verify("verify-pass", "reject", ctx.good, "accept", "pass", ar_count="1")
        verify("bad-reject", "reject", ctx.tampered, "reject", "fail", "550", "5.7.1", BAD_TEXT)
        verify("bad-tempfail", "tempfail", ctx.tampered, "tempfail", "fail", "451", "4.7.5", BAD_TEXT)
        verify("bad-discard", "discard", ctx.tampered, "discard", "fail")
        verify("bad-quarantine", "quarantine", ctx.tampered, "quarantine", "fail")
        verify("bad-default", "dual", ctx.tampered, "accept", "fail")
        verify("nosig-reject", "reject", ctx.plain, "reject", "none", "550", "5.7.1", NOSIG_TEXT)
        verify("nosig-default", "dual", ctx.plain, "accept", "none")
        verify("nokey-reject", "reject", ctx.nokey_signed, "reject", "permerror", "550", "5.7.1", NOKEY_TEXT)
        verify("nokey-tempfail", "tempfail", ctx.nokey_signed, "tempfail", "permerror", "451", "4.7.5",
               NOKEY_TEXT)
        c = verify("dns-timeout", "dns", ctx.good, "tempfail", "temperror", "451", "4.7.5", DNS_TEXT,
                   max_seconds="3")
        c.check(c.seconds < 4, "whole miltertest run under 4 s with DNSTimeout 1", f"{c.seconds:.1f} s")
        verify("max-signatures-5", "reject", ctx.two_signatures, "accept", "pass", ar_count="2")
        verify("max-signatures-1", "max1", ctx.two_signatures, "reject", "fail", "550", "5.7.1", BAD_TEXT,
               ar_count="1", ar_absent="pass")

        c = case("authres-removal")
        c.add(ctx.play("miltertest_authres.lua", c.name, m["reject"], ctx.with_results,
                       removed="1,4,5,6",
                       removed_why="our authserv-id,our id in another case with a version,"
                                   "our id after a comment (RFC 8601 CFWS),our id as a quoted-string",
                       kept="2:another authserv-id,3:a longer name that starts with ours"))

        # --- the daemon itself
        c = case("foreground-pidfile")
        with open(m["reject"].pid_file) as f:
            written = f.read().strip()
        c.check(written == str(m["reject"].proc.pid), "-f: PidFile holds the pid of the process started",
                f"{written!r} vs {m['reject'].proc.pid}")
    finally:
        problems = fx.stop_all(list(milters.values()))
        silent.close()
    c = case_after = Case("clean-stop")
    for p in problems:
        c.check(False, p)
    if not problems:
        c.check(True, "every signet-milter stopped on SIGTERM with exit 0")
    cases.append(case_after)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        cases += list(pool.map(lambda mode: shutdown_case(ctx, common, mode), ["inflight", "idle"]))
    cases += config_cases(ctx)


def shutdown_case(ctx: Context, settings: list[tuple[str, str]], mode: str) -> Case:
    """SIGTERM while miltertest holds a connection (miltertest_shutdown.lua)."""
    c = Case(f"sigterm-{mode}")
    grace = 15  # libmilter notices a stop request within about 5 s
    m = fx.Milter(ctx.milter_bin, ctx.dir, f"sigterm-{mode}", settings).start()
    headers = os.path.join(ctx.dir, "unused.headers")
    open(headers, "wb").close()
    argv = [MILTERTEST, "-s", os.path.join(HERE, "miltertest_shutdown.lua"), "-D", f"lib={LIB}",
            "-D", f"case={c.name}", "-D", f"socket={m.socket}", "-D", f"client_host={EXTERNAL[0]}",
            "-D", f"client_ip={EXTERNAL[1]}", "-D", f"headerfile={headers}", "-D", f"bodyfile={headers}",
            "-D", f"mode={mode}", "-D", "wait_reply=10"]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out: list[str] = []
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 0.1)
            if ready:
                line = p.stdout.readline().decode("utf-8", "replace").rstrip("\n")
                if not line:
                    break
                out.append(line)
                if line == "READY":
                    break
        if "READY" not in out:
            c.check(False, "miltertest opened a connection and started a message", out)
            return c
        term_at = time.monotonic()
        m.signal_stop()
        rest, _ = p.communicate(timeout=60)
        out += rest.decode("utf-8", "replace").splitlines()
        gone_at = time.monotonic()
        c.passes += [line[5:] for line in out if line.startswith("PASS ")]
        c.failures += [line[5:] for line in out if line.startswith("FAIL ")]
        c.failures += [line[6:] for line in out if line.startswith("ERROR ")]
        if f"DONE {c.name}" not in out:
            c.failures.append(f"miltertest did not finish: {out[-5:]}")
        try:
            rc = m.proc.wait(timeout=grace)
            c.check(True, f"exited {time.monotonic() - gone_at:.1f} s after the MTA disconnected "
                          f"({time.monotonic() - term_at:.1f} s after SIGTERM)")
            c.check(rc == 0, "exit status 0", rc)
        except subprocess.TimeoutExpired:
            m.proc.kill()
            m.proc.wait()
            c.check(False, f"exits within {grace} s once the MTA has disconnected",
                    f"still running {time.monotonic() - gone_at:.0f} s after, "
                    f"{time.monotonic() - term_at:.0f} s after SIGTERM; killed. Log: {m.log_text()[-300:]}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if m.proc.poll() is None:
            m.proc.kill()
            m.proc.wait()
    return c


def config_cases(ctx: Context) -> list[Case]:
    cases = []
    base = ["Syslog no", f"Domain {fx.DOMAIN}", "Selector sel1", f"KeyFile {ctx.sel1.private}",
            f"ResolverConfiguration {ctx.resolver_conf}"]

    def check_n(name: str, lines: list[str], ok: bool, mentions: list[str]) -> None:
        c = Case(name)
        cases.append(c)
        path = os.path.join(ctx.dir, f"{name}.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = fx.run([ctx.milter_bin, "-c", path, "-n"])
        said = (p.stdout + p.stderr).decode("utf-8", "replace")
        if ok:
            c.check(p.returncode == 0, "-n exits 0", f"{p.returncode}: {said.strip()}")
        else:
            c.check(p.returncode != 0, "-n exits non-zero", p.returncode)
        for m in mentions:
            c.check(m in said, f"the message names {m!r}", said.strip())

    check_n("config-good", base, True, [])
    check_n("config-unknown-key", base + ["# a comment", "Frobnicate yes"], False,
            [f"config-unknown-key.conf:{len(base) + 2}", "Frobnicate"])
    check_n("config-bad-value", base + ["On-BadSignature maybe"], False,
            [f"config-bad-value.conf:{len(base) + 1}", "On-BadSignature"])
    check_n("config-missing-key", base[:3] + ["KeyFile /nonexistent/signet/sel1.private"], False,
            ["/nonexistent/signet/sel1.private"])
    return cases


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--milter", required=True, help="the signet-milter binary")
    ap.add_argument("--signet", required=True, help="the signet CLI binary")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every check that passed")
    a = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="signet-miltertest-")
    cases: list[Case] = []
    try:
        ctx = Context(os.path.abspath(a.milter), os.path.abspath(a.signet), workdir)
        run_cases(ctx, cases)
    except Exception as e:
        broken = Case("setup")
        broken.check(False, f"{type(e).__name__}: {e}")
        traceback.print_exc()
        cases.append(broken)
    finally:
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
    print(f"miltertest: {passed} passed, {failed} failed")
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
