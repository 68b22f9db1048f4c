#!/usr/bin/python3
"""signet-milter at the milter protocol level, driven by miltertest(8).

  miltertest_driver.py --milter SIGNET_MILTER --signet SIGNET [--keep]

Each daemon configuration below runs as its own `signet-milter -c FILE -f` on
a free 127.0.0.1 port (Syslog no, keys from `signet keygen`, DNS from an
unbound configuration file with `local-zone: "example.com." static` and
`local-data:` lines) and is stopped by its pid. The cases play messages
through it with the miltertest_*.lua scripts, which check the replies and
header edits; the signatures the milter inserts are then verified here with
`signet verify` and with dkimpy. Where miltertest cannot show what matters
(the order of header inserts across field names, a connection kept open over
a reload, reply timing with a client that delays its ACKs) the Python milter
client of miltertest_client.py speaks the protocol instead.

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
  authres-removal      Authentication-Results claiming our AuthservID removed, the others kept;
                       X-Authentication-Results are not touched (XAuthenticationResults off)
  x-authres-removal    XAuthenticationResults yes: X-Authentication-Results claiming our AuthservID
                       removed too, the others kept
  dk-sign-nofws        DomainKeysSign yes: a DKIM-Signature and a DomainKey-Signature (c=nofws) at
                       index 0, the DomainKey-Signature below the DKIM one (the order of the inserts,
                       seen by the Python client); `signet verify`: dkim=pass, domainkeys=pass
  dk-sign-simple       the same with DomainKeysCanonicalization simple (c=simple)
  dk-sign-dual         DomainKeysSign + RSA and Ed25519 keys: two DKIM-Signatures, one
                       DomainKey-Signature (RSA only) below them; all three verify
  dk-sign-other-sender DomainKeysSign yes, From: in example.com, Sender: in example.org (DomainKeys'
                       identity outside d=): still signed with DKIM and passed on, no DomainKey-Signature
  dk-verify-pass       a message signed by `signet sign --domainkeys --no-dkim`: domainkeys=pass,
                       DomainKey-Status: good
  dk-verify-both       signed with DKIM and DomainKeys: dkim=pass and domainkeys=pass, status good
  dk-verify-bad        DomainKeys-signed, body changed: domainkeys=fail, DomainKey-Status: bad
  dk-status-off        DomainKeyStatus no: domainkeys=pass, no DomainKey-Status
  dk-on-policies       On-NoSignature/On-BadSignature reject: a passing DomainKeys signature is
                       accepted, a failing one rejected (550, On-BadSignature's text)
  dkverify-C           DKVERIFY C: an unsigned message gets 554 5.7.1 (SMFIR_REPLYCODE),
                       DomainKey-Status: no signature; a signed one is accepted
  dkverify-c           DKVERIFY c: an unsigned message gets 451 4.7.5
  dkverify-B-dkim      DKVERIFY B: a DKIM signature that fails is letter B: 554
  dkverify-DEGIJKfh    qmail-dk's conservative set: unsigned and bad messages are accepted
  dkverify-macro       {signet_dkverify} at MAIL overrides the configuration: C on a DEGIJKfh
                       daemon rejects, DEGIJKfh on a C daemon accepts
  logwhy-external      LogWhy yes: the log line says why a message was signed or verified; an external
                       client sending as a signing domain is noted, except from ExternalIgnoreList hosts
  x-authres            XAuthenticationResults yes: X-Authentication-Results with the same value,
                       below Authentication-Results and above DomainKey-Status
  foreground-pidfile   -f stays the same process: PidFile holds the pid the test started
  latency-control      the latency check can see a Nagle stall: a stub milter without TCP_NODELAY
                       answering with two writes takes >= 30 ms (p50) for the delayed-ACK client
  latency-sign         30 signed messages, TCP_QUICKACK off at the client after every recv: p50 of
                       end of body -> final reply < 30 ms (a delayed-ACK stall is ~40 ms)
  latency-verify       the same for 30 verified messages (A-R + continue)
  latency-verify-dk    the same for 30 DKIM + DomainKeys messages (A-R, DomainKey-Status, continue)
  clean-stop           every daemon above exits 0 on SIGTERM
  sigterm-inflight     SIGTERM in the middle of a message: the message still gets its
                       end-of-message reply, and the daemon exits soon after the MTA leaves
  sigterm-idle         SIGTERM while an MTA connection is open: the daemon exits within
                       15 s once the MTA has disconnected
  sighup-reload        On-NoSignature accept, then the file says reject + SIGHUP: "configuration
                       and keys reloaded", unsigned mail rejected; a message begun before the
                       reload finishes under the old configuration on a connection kept open, the
                       next one on it is rejected; then a file with an unknown key + SIGHUP:
                       "reload refused" naming file:line, reject still in force
  privdrop-key-nobody  (root only) UserID nobody, key owned by nobody, mode 0600: every thread runs
                       with nobody's uid and gid; signs; SIGHUP reloads; still signs
  privdrop-key-root    (root only) UserID nobody, key owned by root, mode 0600: starts and signs;
                       SIGHUP is refused naming the key file (nobody cannot read it), still signs
  config-good          -n on a good configuration: exit 0
  config-unknown-key   -n with an unknown key: non-zero, the message names file:line and the key
  config-bad-value     -n with a bad On-BadSignature value: non-zero, names the line
  config-missing-key   -n with a KeyFile that does not exist: non-zero, names the file

The privdrop cases need root and a user "nobody"; otherwise they are listed
as `skip` and counted neither way. The latency cases print p50/p99 (always,
as `note:` lines); they check protocol behaviour (a reply held back by
Nagle's algorithm), not speed.

The last line is `miltertest: N passed, M failed`; the exit status is
non-zero if any case failed. Needs /usr/bin/python3 with python3-dkim and
/usr/bin/miltertest.
"""

import argparse
import concurrent.futures
import os
import pwd
import select
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import miltertest_client as mc  # noqa: E402
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
# session.cpp letterPolicy: "DomainKeys/DKIM status <DomainKey-Status word> (<libdomainkeys name>)".
DKV_NOSIG_TEXT = "DomainKeys/DKIM status no signature (DK_STAT_NOSIG)"
DKV_BADSIG_TEXT = "DomainKeys/DKIM status bad (DK_STAT_BADSIG)"
# A Nagle/delayed-ACK stall is about 40 ms; a reply that is not held back takes 1-3 ms.
STALL_MS = 30.0
LATENCY_MESSAGES = 30


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
        # DomainKeys (RFC 4870), as `signet sign --domainkeys` writes it.
        self.dk_only = fx.sign_with_signet(signet, plain, self.sel1, extra=["--domainkeys", "--no-dkim"])
        head, body = fx.split(self.dk_only)
        self.dk_tampered = head + b"\r\n" + body.replace(b"Hello Bob", b"Hello Eve")
        self.dk_both = fx.sign_with_signet(signet, plain, self.sel1, extra=["--domainkeys"])
        # Sent on behalf of alice by someone at another domain (a list, a secretary).
        self.other_sender = fx.message("on behalf", extra=["Sender: Bob <bob@example.org>"])
        self.with_results = fx.sign_with_signet(signet, fx.message("forged results", extra=[
            "Authentication-Results: mx.signet.test; dkim=pass header.d=example.com",
            "Authentication-Results: other.example.net; dkim=fail header.d=example.com",
            "Authentication-Results: mx.signet.test.example.net; spf=pass smtp.mailfrom=example.com",
            "Authentication-Results: MX.Signet.Test 1;\r\n\tdkim=pass header.d=example.com",
            "Authentication-Results: (forged) mx.signet.test; dkim=pass header.d=example.com",
            'Authentication-Results: "mx.signet.test"; dkim=pass header.d=example.com',
            "X-Authentication-Results: other.example.net; dkim=pass header.d=example.com",
            "X-Authentication-Results: mx.signet.test; dkim=pass header.d=example.com",
        ]), self.sel1)

    def play(self, script: str, case: str, milter: fx.Milter, msg: bytes, client=EXTERNAL,
             **globals_: str | None) -> tuple[list[str], list[str], dict, float]:
        """Runs one miltertest script; returns (passes, failures, values, seconds).
        A global given as None is not passed."""
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
            if v is not None:
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


def rebuild(inserted: list[bytes], msg: bytes, name: bytes = b"DKIM-Signature",
            below: list[tuple[bytes, bytes]] = ()) -> bytes:
    """The message as the MTA stores it after the milter inserted `inserted` (`name` fields)
    at the top, with the (name, value) fields of `below` under them."""
    top = b""
    for field_name, value in [(name, v) for v in inserted] + list(below):
        sep = b":" if value[:1] in (b" ", b"\t") else b": "
        top += field_name + sep + value.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + b"\r\n"
    return top + msg


class Case:
    def __init__(self, name: str):
        self.name = name
        self.passes: list[str] = []
        self.failures: list[str] = []
        self.seconds = 0.0
        self.notes: list[str] = []  # printed whether the case passed or not
        self.skipped = ""

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


def client_message(milter: fx.Milter, msg: bytes, client=INTERNAL,
                   macros: dict[str, str] | None = None) -> tuple[mc.Reply, bool]:
    """One message through the Python milter client on a new connection: the
    reply with its edits in order, and whether SMFIP_HDR_LEADSPC was agreed."""
    conn = mc.MilterClient(milter.port)
    try:
        first = conn.connect_info(*client)
        if first not in (b"", mc.SMFIR_CONTINUE):
            raise mc.ProtocolError(f"CONNECT answered {first!r}")
        return conn.message(msg, macros), conn.leading_space
    finally:
        conn.quit()


def field_names(msg: bytes) -> list[str]:
    head, _ = fx.split(msg)
    return [n.decode("ascii", "replace") for n, _ in fx.header_fields(head)]


def check_dk_signing(c: Case, ctx: Context, values: dict, milter: fx.Milter, msg: bytes, want_dkim: int,
                     dkim_algorithms: set[str]) -> None:
    """DKIM-Signature(s) on top, the DomainKey-Signature below them: both kinds verify."""
    sigs = values.get("DKIM-Signature", [])
    dks = values.get("DomainKey-Signature", [])
    if len(sigs) == want_dkim and len(dks) == 1:
        signed = rebuild(sigs, msg, below=[(b"DomainKey-Signature", dks[0])])
        results = fx.signet_verify(ctx.signet, ctx.resolver_conf, signed)
        got = [(r.get("method"), r.get("result"), r.get("reason")) for r in results]
        c.check([(r.get("method"), r.get("result")) for r in results] ==
                [("dkim", "pass")] * want_dkim + [("domainkeys", "pass")],
                f"`signet verify`: {want_dkim} x dkim pass, then domainkeys pass", got)
        c.check({r.get("algorithm") for r in results if r.get("method") == "dkim"} == dkim_algorithms,
                f"DKIM algorithms {sorted(dkim_algorithms)}")
        try:
            verdicts = fx.dkimpy_verify(signed, ctx.published)
        except Exception as e:  # dkimpy raises on what it cannot parse
            verdicts = [f"{type(e).__name__}: {e}"]
        c.check(verdicts == [True] * want_dkim, f"dkimpy verifies the {want_dkim} DKIM signature(s)", verdicts)
    # The order across field names, which miltertest does not show.
    reply, leading_space = client_message(milter, msg)
    order = [n.decode() for _, n, _ in reply.inserts()]
    want_order = ["DomainKey-Signature"] + ["DKIM-Signature"] * want_dkim
    c.check(reply.final == mc.SMFIR_CONTINUE and order == want_order and
            all(i == 0 for i, _, _ in reply.inserts()),
            "Python client: SMFIR_INSHEADER index 0 for DomainKey-Signature first, then the DKIM-Signature(s) "
            "(so the DomainKey-Signature ends up below them)", f"{reply.word} {reply.inserts() and order}")
    stored = reply.apply(msg, leading_space)
    names = field_names(stored)
    c.check(names[:want_dkim + 2] == ["DKIM-Signature"] * want_dkim + ["DomainKey-Signature", "From"],
            "stored message: DKIM-Signature(s), DomainKey-Signature, then the original fields", names)
    results = fx.signet_verify(ctx.signet, ctx.resolver_conf, stored)
    c.check([(r.get("method"), r.get("result")) for r in results] ==
            [("dkim", "pass")] * want_dkim + [("domainkeys", "pass")],
            "`signet verify` of the message the Python client stored: all pass",
            [(r.get("method"), r.get("result"), r.get("reason")) for r in results])


def latency_case(name: str, milter: fx.Milter, msg: bytes, client, want_inserts: list[str]) -> Case:
    """LATENCY_MESSAGES messages on one connection whose client delays its ACKs;
    the time from SMFIC_BODYEOB to the final reply must not show a Nagle stall."""
    c = Case(name)
    conn = mc.MilterClient(milter.port, delayed_ack=True)
    times: list[float] = []
    wrong: list[str] = []
    try:
        conn.connect_info(*client)
        for i in range(LATENCY_MESSAGES):
            r = conn.message(msg, queue_id=f"LAT{i}")
            got = [n.decode() for _, n, _ in r.inserts()]
            if r.final != mc.SMFIR_CONTINUE or got != want_inserts:
                wrong.append(f"#{i}: {r.word} {got}")
            times.append(r.seconds * 1000)
    finally:
        conn.quit()
    c.check(not wrong, f"every reply: SMFIR_INSHEADER {want_inserts} (one write each), then continue", wrong[:3])
    p50, p99 = mc.percentile(times, 50), mc.percentile(times, 99)
    c.notes.append(f"end of body -> final reply over {len(times)} messages: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
                   f"(max {max(times):.1f} ms)")
    c.check(p50 < STALL_MS, f"p50 under {STALL_MS:.0f} ms with a delayed-ACK client (TCP_NODELAY effective)",
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms: the reply's later writes wait for the client's ACK")
    return c


def latency_control() -> Case:
    """The stall the latency cases look for, shown on a stub milter without TCP_NODELAY."""
    c = Case("latency-control")
    for nodelay in (False, True):
        stub = mc.StubMilter(nodelay)
        try:
            conn = mc.MilterClient(stub.port, delayed_ack=True)
            conn.connect_info(*INTERNAL)
            times = [conn.message(fx.message("stub")).seconds * 1000 for _ in range(10)]
            conn.quit()
        finally:
            stub.close()
        p50 = mc.percentile(times, 50)
        c.notes.append(f"stub milter {'with' if nodelay else 'without'} TCP_NODELAY: p50 {p50:.1f} ms")
        if nodelay:
            c.check(p50 < STALL_MS, "a stub with TCP_NODELAY is not held back", f"p50 {p50:.1f} ms")
        else:
            c.check(p50 >= STALL_MS, f"a stub without TCP_NODELAY is held back >= {STALL_MS:.0f} ms "
                                     "(so the latency check can see the stall)", f"p50 {p50:.1f} ms")
    return c


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
        "dksign": common + signing + [("DomainKeysSign", "yes")],
        "dksimple": common + signing + [("DomainKeysSign", "yes"), ("DomainKeysCanonicalization", "simple")],
        "dkdual": common + [("KeyTable", f"file:{keytable}"), ("SigningTable", f"refile:{signingtable}"),
                            ("MultipleSignatures", "yes"), ("DomainKeysSign", "yes")],
        "dkstatus-off": common + [("DomainKeyStatus", "no")],
        "xar": common + [("XAuthenticationResults", "yes")],
        "logwhy": common + signing + [("LogWhy", "yes")],
        "ignored": common + signing + [("LogWhy", "yes"), ("ExternalIgnoreList", "192.0.2.0/24")],
        "dkv-C": common + [("DKVERIFY", "C")],
        "dkv-c": common + [("DKVERIFY", "c")],
        "dkv-B": common + [("DKVERIFY", "B")],
        "dkv-conservative": common + [("DKVERIFY", "DEGIJKfh")],
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
        verify("verify-pass", "reject", ctx.good, "accept", "pass", ar_count="1", status="absent",
               ar_lacks="domainkeys=")
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
                       kept="2:another authserv-id,3:a longer name that starts with ours",
                       x_kept="1:another authserv-id,2:ours but XAuthenticationResults is off"))
        c = case("x-authres-removal")
        c.add(ctx.play("miltertest_authres.lua", c.name, m["xar"], ctx.with_results,
                       removed="1,4,5,6", kept="2,3",
                       x_removed="2", x_kept="1:another authserv-id"))

        # --- DomainKeys signing
        c = case("dk-sign-nofws")
        v = c.add(ctx.play("miltertest_sign.lua", c.name, m["dksign"], ctx.plain, client=INTERNAL,
                           dk_signatures="1", dk_canon="nofws"))
        check_dk_signing(c, ctx, v, m["dksign"], ctx.plain, 1, {"rsa-sha256"})

        c = case("dk-sign-simple")
        v = c.add(ctx.play("miltertest_sign.lua", c.name, m["dksimple"], ctx.plain, client=INTERNAL,
                           dk_signatures="1", dk_canon="simple"))
        check_dk_signing(c, ctx, v, m["dksimple"], ctx.plain, 1, {"rsa-sha256"})

        c = case("dk-sign-dual")
        v = c.add(ctx.play("miltertest_sign.lua", c.name, m["dkdual"], ctx.plain, client=INTERNAL,
                           signatures="2", dk_signatures="1", dk_canon="nofws"))
        check_dk_signing(c, ctx, v, m["dkdual"], ctx.plain, 2, {"rsa-sha256", "ed25519-sha256"})

        # DomainKeys' identity is the Sender: address; when it lies outside the key's d= no valid
        # DomainKey-Signature can be made, and the message must still be DKIM-signed and go on.
        c = case("dk-sign-other-sender")
        v = c.add(ctx.play("miltertest_sign.lua", c.name, m["dksign"], ctx.other_sender, client=INTERNAL,
                           dk_signatures="0"))
        check_signatures(c, ctx, v, ctx.other_sender, 1, {"rsa-sha256"})
        if c.failures:
            lines = [line for line in m["dksign"].log_lines() if "DomainKeys signing failed" in line]
            c.notes.append(f"log: {lines[-1][:300] if lines else 'no DomainKeys line'}")

        # --- DomainKeys verifying, DomainKey-Status
        verify("dk-verify-pass", "dual", ctx.dk_only, "accept", None, status="good",
               ar_has="domainkeys=pass,header.from=alice@example.com,header.d=example.com", ar_lacks="dkim=")
        verify("dk-verify-both", "dual", ctx.dk_both, "accept", "pass", ar_count="1", status="good",
               ar_has="domainkeys=pass")
        verify("dk-verify-bad", "dual", ctx.dk_tampered, "accept", None, status="bad",
               ar_has="domainkeys=fail", ar_lacks="domainkeys=pass,dkim=")
        verify("dk-status-off", "dkstatus-off", ctx.dk_only, "accept", None, status="absent",
               ar_has="domainkeys=pass")
        # DomainKeys results count for the On-* policies like DKIM ones (On-NoSignature reject here).
        c = verify("dk-on-policies", "reject", ctx.dk_only, "accept", None, status="good",
                   ar_has="domainkeys=pass")
        c.add(ctx.play("miltertest_verify.lua", c.name, m["reject"], ctx.dk_tampered, expect="reject",
                       reply_code="550", reply_xcode="5.7.1", reply_text=BAD_TEXT, status="bad",
                       ar_has="domainkeys=fail"))

        # --- the qmail-dk letter policy
        c = verify("dkverify-C", "dkv-C", ctx.plain, "reject", "none", "554", "5.7.1", DKV_NOSIG_TEXT,
                   status="no signature")
        c.add(ctx.play("miltertest_verify.lua", c.name, m["dkv-C"], ctx.good, expect="accept", ar_result="pass",
                       status="no signature"))
        verify("dkverify-c", "dkv-c", ctx.plain, "tempfail", "none", "451", "4.7.5", DKV_NOSIG_TEXT,
               status="no signature")
        c = verify("dkverify-B-dkim", "dkv-B", ctx.tampered, "reject", "fail", "554", "5.7.1", DKV_BADSIG_TEXT)
        c.add(ctx.play("miltertest_verify.lua", c.name, m["dkv-B"], ctx.plain, expect="accept",
                       ar_result="none"))
        c = verify("dkverify-DEGIJKfh", "dkv-conservative", ctx.plain, "accept", "none", status="no signature")
        c.add(ctx.play("miltertest_verify.lua", c.name, m["dkv-conservative"], ctx.tampered, expect="accept",
                       ar_result="fail"))
        c = verify("dkverify-macro", "dkv-conservative", ctx.plain, "reject", "none", "554", "5.7.1",
                   DKV_NOSIG_TEXT, dkverify="C")
        c.add(ctx.play("miltertest_verify.lua", c.name, m["dkv-C"], ctx.plain, expect="accept", ar_result="none",
                       dkverify="DEGIJKfh"))
        # The same override through the Python client, which sends the macro the same way.
        reply, _ = client_message(m["dkv-conservative"], ctx.plain, client=EXTERNAL,
                                  macros={"{signet_dkverify}": "C"})
        c.check(reply.final == mc.SMFIR_REPLYCODE and reply.smtp_reply == f"554 5.7.1 {DKV_NOSIG_TEXT}",
                "Python client, {signet_dkverify}=C at MAIL: 554 5.7.1", f"{reply.word} {reply.smtp_reply!r}")

        # --- X-Authentication-Results
        c = verify("x-authres", "xar", ctx.good, "accept", "pass", xar="yes", status="absent")
        reply, leading_space = client_message(m["xar"], ctx.dk_both, client=EXTERNAL)
        stored = reply.apply(ctx.dk_both, leading_space)
        names = field_names(stored)
        c.check(names[:3] == ["Authentication-Results", "X-Authentication-Results", "DomainKey-Status"],
                "Python client, DKIM + DomainKeys message: Authentication-Results, X-Authentication-Results, "
                "DomainKey-Status from the top", names[:4])
        ar, xar = reply.inserted(b"Authentication-Results"), reply.inserted(b"X-Authentication-Results")
        c.check(len(ar) == 1 and ar == xar and b"domainkeys=pass" in ar[0],
                "X-Authentication-Results = Authentication-Results, with domainkeys=pass", (ar, xar))

        # --- LogWhy and ExternalIgnoreList: what the per-message log line says
        c = case("logwhy-external")
        for name, want_note in [("logwhy", True), ("ignored", False)]:
            reply, _ = client_message(m[name], ctx.plain, client=EXTERNAL)
            c.check(reply.final in (mc.SMFIR_CONTINUE, mc.SMFIR_ACCEPT), f"{name}: accepted", reply.word)
            deadline = time.monotonic() + 5
            line = ""
            while time.monotonic() < deadline:
                with open(m[name].log, "rb") as f:
                    lines = [l for l in f.read().decode("utf-8", "replace").splitlines() if ": verified" in l]
                if lines:
                    line = lines[-1]
                    break
                time.sleep(0.05)
            c.check("(external client mail.example.org)" in line, f"{name}: LogWhy says why it verified", line)
            note = "external host mail.example.org sent mail as example.com"
            c.check((note in line) == want_note,
                    f"{name}: 'sent mail as' note {'present' if want_note else 'absent (ExternalIgnoreList)'}", line)
        reply, _ = client_message(m["logwhy"], ctx.plain, client=INTERNAL)
        with open(m["logwhy"].log, "rb") as f:
            signed = [l for l in f.read().decode("utf-8", "replace").splitlines() if ": signed" in l]
        c.check(bool(signed) and "(internal client)" in signed[-1], "logwhy: LogWhy says why it signed",
                signed[-1:] or None)

        # --- the daemon itself
        c = case("foreground-pidfile")
        with open(m["reject"].pid_file) as f:
            written = f.read().strip()
        c.check(written == str(m["reject"].proc.pid), "-f: PidFile holds the pid of the process started",
                f"{written!r} vs {m['reject'].proc.pid}")

        # --- end-of-message latency against a client that delays its ACKs
        cases.append(latency_control())
        cases.append(latency_case("latency-sign", m["reject"], ctx.plain, INTERNAL, ["DKIM-Signature"]))
        cases.append(latency_case("latency-verify", m["reject"], ctx.good, EXTERNAL, ["Authentication-Results"]))
        cases.append(latency_case("latency-verify-dk", m["dual"], ctx.dk_both, EXTERNAL,
                                  ["DomainKey-Status", "Authentication-Results"]))
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
    cases.append(reload_case(ctx, common))
    cases += privdrop_cases(ctx, common)
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


def reload_case(ctx: Context, settings: list[tuple[str, str]]) -> Case:
    """SIGHUP: a good new file takes effect, a bad one is refused; a connection
    kept open across both goes on working."""
    c = Case("sighup-reload")
    m = fx.Milter(ctx.milter_bin, ctx.dir, "reload", settings).start()
    nosig_reply = f"550 5.7.1 {NOSIG_TEXT}"
    try:
        kept = mc.MilterClient(m.port)
        kept.connect_info(*EXTERNAL)
        r = kept.message(ctx.plain, queue_id="KEPT1")
        c.check(r.final == mc.SMFIR_CONTINUE, "before the reload an unsigned message is accepted", r.word)
        # A message under way across the reload: MAIL and the header block now, the body after it.
        head, body = fx.split(ctx.plain)
        under_way = kept.begin(queue_id="KEPT2") == mc.SMFIR_CONTINUE and kept.headers(head) == mc.SMFIR_CONTINUE

        m.write_conf(settings + [("On-NoSignature", "reject")])
        line = m.reload()
        c.check(line is not None and "configuration and keys reloaded" in line,
                "SIGHUP with On-NoSignature reject: \"configuration and keys reloaded\" logged", line)

        if under_way and kept.body_chunks(body) == mc.SMFIR_CONTINUE:
            r = kept.end_of_message()
            c.check(r.final == mc.SMFIR_CONTINUE,
                    "kept connection: the message begun before the reload finishes under the old "
                    "configuration (accepted)", f"{r.word} {r.smtp_reply!r}")
        else:
            c.check(False, "kept connection: the message begun before the reload goes on")
        r = kept.message(ctx.plain, queue_id="KEPT3")
        c.check(r.final == mc.SMFIR_REPLYCODE and r.smtp_reply == nosig_reply,
                f"kept connection: the next message is rejected under the new configuration ({nosig_reply})",
                f"{r.word} {r.smtp_reply!r}")
        c.add(ctx.play("miltertest_verify.lua", c.name, m, ctx.plain, expect="reject", ar_result="none",
                       reply_code="550", reply_xcode="5.7.1", reply_text=NOSIG_TEXT))

        last = m.write_conf(settings + [("On-NoSignature", "reject")], ["Frobnicate yes"])
        line = m.reload()
        where = f"{m.conf}:{last}"
        c.check(line is not None and "reload refused" in line and where in line and "Frobnicate" in line,
                f"SIGHUP with an unknown key: \"reload refused\" naming {os.path.basename(where)} and Frobnicate",
                line)
        c.add(ctx.play("miltertest_verify.lua", c.name, m, ctx.plain, expect="reject", ar_result="none",
                       reply_code="550", reply_xcode="5.7.1", reply_text=NOSIG_TEXT))
        r = kept.message(ctx.plain, queue_id="KEPT4")
        c.check(r.final == mc.SMFIR_REPLYCODE and r.smtp_reply == nosig_reply,
                "kept connection, after the refused reload: still rejected (the running configuration stays)",
                f"{r.word} {r.smtp_reply!r}")
        r = kept.message(ctx.good, queue_id="KEPT5")
        c.check(r.final == mc.SMFIR_CONTINUE and len(r.inserted(b"Authentication-Results")) == 1,
                "kept connection: a signed message is still verified and accepted", r.word)
        kept.quit()
        c.check(m.proc.poll() is None, "the daemon is still running after both reloads", m.proc.poll())
    except (mc.ProtocolError, OSError) as e:
        c.check(False, f"milter conversation: {type(e).__name__}: {e}; log: {m.log_text()[-600:]}")
    finally:
        try:
            rc = m.stop()
            c.check(rc == 0, "exits 0 on SIGTERM", rc)
        except fx.Failure as e:
            c.check(False, str(e))
    return c


def proc_ids(pid: int) -> list[tuple[str, list[int], list[int], list[int]]]:
    """(task, Uid fields, Gid fields, Groups) of every thread of a process, from /proc."""
    out = []
    for task in sorted(os.listdir(f"/proc/{pid}/task")):
        uid, gid, groups = [], [], []
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        uid = [int(x) for x in line.split()[1:]]
                    elif line.startswith("Gid:"):
                        gid = [int(x) for x in line.split()[1:]]
                    elif line.startswith("Groups:"):
                        groups = [int(x) for x in line.split()[1:]]
        except FileNotFoundError:
            continue  # the thread ended meanwhile
        out.append((task, uid, gid, groups))
    return out


def privdrop_cases(ctx: Context, settings: list[tuple[str, str]]) -> list[Case]:
    """UserID nobody, with the key owned by nobody and by root."""
    names = ["privdrop-key-nobody", "privdrop-key-root"]
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        nobody = None
    if os.geteuid() != 0 or nobody is None:
        skipped = []
        for name in names:
            c = Case(name)
            c.skipped = "needs root and a user nobody"
            skipped.append(c)
        return skipped
    # nobody must reach the configuration, the resolver configuration and its key on a reload.
    os.chmod(ctx.dir, 0o711)
    keydir = os.path.join(ctx.dir, "keys-privdrop")
    os.makedirs(keydir, exist_ok=True)
    os.chmod(keydir, 0o755)
    cases = []
    for name, owner in zip(names, [nobody, None]):
        c = Case(name)
        cases.append(c)
        key_path = os.path.join(keydir, f"sel1-{'nobody' if owner else 'root'}.private")
        shutil.copyfile(ctx.sel1.private, key_path)
        os.chmod(key_path, 0o600)
        if owner:
            os.chown(key_path, owner.pw_uid, owner.pw_gid)
        m = fx.Milter(ctx.milter_bin, ctx.dir, name, settings + [
            ("Domain", fx.DOMAIN), ("Selector", "sel1"), ("KeyFile", key_path), ("UserID", "nobody")])
        try:
            m.start()
        except fx.Failure as e:
            c.check(False, f"starts with UserID nobody and a key owned by {'nobody' if owner else 'root'}", str(e))
            continue
        try:
            c.check(True, f"starts with UserID nobody and a key owned by {'nobody' if owner else 'root'}, mode 0600")
            ids = proc_ids(m.proc.pid)
            want_uid, want_gid = [nobody.pw_uid] * 4, [nobody.pw_gid] * 4
            want_groups = sorted(set(os.getgrouplist("nobody", nobody.pw_gid)))
            wrong = [(t, u, g) for t, u, g, _ in ids if u != want_uid or g != want_gid]
            c.check(bool(ids) and not wrong,
                    f"all {len(ids)} thread(s) run with uid {nobody.pw_uid} and gid {nobody.pw_gid} "
                    "(real, effective, saved, fs; /proc/PID/task/*/status)", wrong or ids)
            wrong = [(t, groups) for t, _, _, groups in ids if sorted(set(groups)) != want_groups]
            c.check(bool(ids) and not wrong, f"supplementary groups are nobody's {want_groups}, root's are gone",
                    wrong)
            v = c.add(ctx.play("miltertest_sign.lua", c.name, m, ctx.plain, client=INTERNAL))
            check_signatures(c, ctx, v, ctx.plain, 1, {"rsa-sha256"})
            line = m.reload()
            if owner:
                c.check(line is not None and "configuration and keys reloaded" in line,
                        "SIGHUP as nobody with the key owned by nobody: reloaded", line)
            else:
                c.check(line is not None and "reload refused" in line and key_path in line,
                        "SIGHUP as nobody with a root-owned 0600 key: \"reload refused\" naming the key file "
                        "(signet-milter(8) BUGS)", line)
            c.check(m.proc.poll() is None, "still running after SIGHUP", m.proc.poll())
            v = c.add(ctx.play("miltertest_sign.lua", c.name, m, ctx.plain, client=INTERNAL))
            check_signatures(c, ctx, v, ctx.plain, 1, {"rsa-sha256"})
        finally:
            try:
                rc = m.stop()
                c.check(rc == 0, "exits 0 on SIGTERM", rc)
            except fx.Failure as e:
                c.check(False, str(e))
    return cases


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
        if c.skipped and not c.failures and not c.passes:
            print(f"skip {c.name} ({c.skipped})")
            continue
        if c.failures:
            failed += 1
            print(f"FAIL {c.name}")
            for f in c.failures:
                print(f"    {f}")
        else:
            passed += 1
            print(f"ok   {c.name} ({len(c.passes)} checks)")
        for n in c.notes:
            print(f"    note: {n}")
        if a.verbose:
            for p in c.passes:
                print(f"    passed: {p}")
    print(f"miltertest: {passed} passed, {failed} failed")
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
