#!/usr/bin/python3
"""ARC interop (RFC 8617): signet against dkimpy and Mail::DKIM::ARC, both ways.

Each case builds a chain hop by hop, each hop sealed by one of three sealers:
  signet    `signet arc-seal` (the implementation under test)
  dkimpy    dkim.ARC(...).sign(), python3-dkim, after its own arc_verify()
  maildkim  Mail::DKIM::ARC::Signer (arc_peer.pl), after its own Verifier
and after every hop all three validators judge the chain:
  signet    `signet verify --json`, its "method":"arc" object
  dkimpy    dkim.arc_verify()
  maildkim  Mail::DKIM::ARC::Verifier, Strict (arc_peer.pl)
The peers' sealers write this hop's Authentication-Results field first, with
arc= from their own validation, as an MTA does before sealing.

Every result must be the one the case expects of that validator. Where a
peer departs from RFC 8617 the case says so, with the section (PEER_NOTES),
and the test checks that the peer still does what the note says; a peer
that changes its behaviour fails the test until the note is brought up to
date. Keys are made with openssl and served from one table: an unbound
configuration file for signet, a dnsfunc for dkimpy, a zone file for
Mail::DKIM. Nothing leaves the machine.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable

import dkim  # dkimpy, python3-dkim (its ARC sealing needs python3-authres)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keys as keymod  # noqa: E402  (openssl key making)

HERE = os.path.dirname(os.path.abspath(__file__))
PERL = "/usr/bin/perl"
TIMEOUT = 60
RESULTS = "spf=pass smtp.mailfrom=example.com"

MESSAGE = (b"From: Alice <alice@example.com>\r\n"
           b"To: list@lists.example.net\r\n"
           b"Subject: ARC interop\r\n"
           b"Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n"
           b"Message-ID: <arc-interop@example.com>\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain\r\n"
           b"\r\n"
           b"Hello list,\r\n"
           b"\r\n"
           b"  a line with  inner   spaces and a trailing space \r\n"
           b"\r\n"
           b"\r\n")

# Where a peer departs from RFC 8617, and what it does instead.
PEER_NOTES = {
    "dkimpy-no-ed25519": "dkimpy 1.1.4 knows only rsa-sha256 in ARC (ARC_HASH_ALGORITHMS), so it fails any chain "
                         "with an ed25519-sha256 set; RFC 8617 sections 4.1.2 and 4.1.3 take DKIM's algorithms, "
                         "and RFC 8463 adds ed25519-sha256 to them",
    "maildkim-no-ed25519": "Mail::DKIM 1.20230212 cannot check ed25519-sha256 in ARC ('unsupported "
                           "algorithm'), calls such a set invalid and fails the chain",
    "dkimpy-header-order": "dkimpy 1.1.4 feeds the ARC-Seal hash the ARC fields as it finds them from the "
                           "bottom of the header block, as DKIM's h= does, so moving a set breaks its seals; "
                           "RFC 8617 section 5.1.1 orders the hash by instance, wherever the fields stand",
    "dkimpy-ignores-i0": "dkimpy 1.1.4 skips ARC fields whose i= is 0 and reports no chain at all; RFC 8617 "
                         "section 4.2.1 allows only 1 to 50, and section 5.2 step 2 fails a chain whose "
                         "structure is broken",
    "dns-no-temperror": "on a DNS SERVFAIL, dkimpy (a dnsfunc has no way to say 'try again') and Mail::DKIM "
                        "(its manual calls it a known flaw) both say fail; a failed look-up is a temporary "
                        "error, not a broken chain (RFC 6376 section 6.1.2, whose key retrieval RFC 8617 "
                        "section 5.2 uses), so signet says temperror",
}


class Failure(Exception):
    pass


def run(argv: list[str], stdin: bytes = b"", ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    try:
        p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"{argv[0]} {argv[1] if len(argv) > 1 else ''} timed out after {TIMEOUT}s")
    if p.returncode not in ok:
        raise Failure(f"{' '.join(argv[:3])} exited {p.returncode}: {p.stderr.decode(errors='replace')[-600:]}")
    return p


@dataclass
class SealKey:
    domain: str
    selector: str
    kind: str          # rsa | ed25519
    pem: str
    record: str        # TXT text; "@SERVFAIL" for a name whose look-up fails

    @property
    def fqdn(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def algorithm(self) -> str:
        return "ed25519-sha256" if self.kind == "ed25519" else "rsa-sha256"


class Zone:
    """The published keys, in the three forms the three implementations read."""

    def __init__(self, workdir: str, seal_keys: list[SealKey]):
        self.keys = {k.fqdn: k for k in seal_keys}
        self.unbound_conf = os.path.join(workdir, "unbound.conf")
        self.zone_file = os.path.join(workdir, "zone.txt")
        lines = ["server:"]
        for domain in sorted({k.domain for k in seal_keys}):
            broken = all(k.record == "@SERVFAIL" for k in seal_keys if k.domain == domain)
            # REFUSED comes back from libunbound as an rcode: a temporary failure.
            lines.append(f'  local-zone: "{domain}." {"always_refuse" if broken else "static"}')
        for k in seal_keys:
            if k.record != "@SERVFAIL":
                quoted = " ".join(f'"{s}"' for s in keymod.txt_strings(k.record))
                lines.append(f"  local-data: '{k.fqdn}. 3600 IN TXT {quoted}'")
        with open(self.unbound_conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(self.zone_file, "w") as f:
            for k in seal_keys:
                f.write(f"{k.fqdn}\t{k.record}\n")

    def dnsfunc(self, name: bytes, timeout: int = 5) -> bytes | None:
        key = self.keys.get(name.decode("ascii", "replace").lower().rstrip("."))
        if key is None or key.record == "@SERVFAIL":
            return None
        return key.record.encode()


# --------------------------------------------------------------------------- validators

def signet_validate(ctx, msg: bytes) -> tuple[str, str]:
    p = run([ctx.signet, "verify", "--json", "--resolver-conf", ctx.zone.unbound_conf], msg, ok=(0, 1, 2))
    arc = [json.loads(line) for line in p.stdout.decode().splitlines()
           if line.strip() and json.loads(line).get("method") == "arc"]
    if not arc:
        return "none", ""
    if len(arc) != 1:
        raise Failure(f"signet verify --json printed {len(arc)} arc objects")
    obj = arc[0]
    for key in ("result", "instances", "oldest_pass", "failed_instance", "reason"):
        if key not in obj:
            raise Failure(f"signet's arc object lacks {key}: {obj}")
    return obj["result"], f"i={obj['instances']} failed={obj['failed_instance']} {obj['reason']}"


def dkimpy_validate(ctx, msg: bytes) -> tuple[str, str]:
    cv, _, reason = dkim.arc_verify(msg, dnsfunc=ctx.zone.dnsfunc, minkey=1024)
    # None: the newest seal says cv=fail ("the chain is terminated"), a failed chain.
    word = {b"pass": "pass", b"fail": "fail", b"none": "none", None: "fail"}.get(cv, repr(cv))
    return word, str(reason)


def maildkim_validate(ctx, msg: bytes) -> tuple[str, str]:
    p = run([PERL, os.path.join(HERE, "arc_peer.pl"), "verify", ctx.zone.zone_file], msg)
    result, _, detail = p.stdout.decode().strip().partition("\t")
    # invalid: a seal or signature could not be processed; the chain fails.
    return ("fail" if result == "invalid" else result), f"{result}: {detail}"


VALIDATORS = {"signet": signet_validate, "dkimpy": dkimpy_validate, "maildkim": maildkim_validate}


# --------------------------------------------------------------------------- sealers

def with_own_results(msg: bytes, authserv_id: str, arc_word: str) -> bytes:
    """This hop's Authentication-Results on top, after removing any that claim
    its authserv-id (RFC 8601 section 5), as a receiving MTA does: a chain
    that passes the same host twice must not carry its old results along."""
    fields, body = _fields(msg)
    own = re.compile(rb"(?i)authentication-results:\s*" + re.escape(authserv_id.encode()) + rb"\s*;")
    msg = _join([f for f in fields if not own.match(f)], body)
    ar = f"Authentication-Results: {authserv_id};\r\n\t{RESULTS}"
    if arc_word != "none":
        ar += f";\r\n\tarc={arc_word}"
    return ar.encode() + b"\r\n" + msg


def seal_signet(ctx, msg: bytes, key: SealKey, **_) -> bytes:
    p = run([ctx.signet, "arc-seal", "--domain", key.domain, "--selector", key.selector, "--key", key.pem,
             "--authserv-id", f"mx.{key.domain}", "--results", RESULTS, "--algorithm", key.algorithm,
             "--resolver-conf", ctx.zone.unbound_conf], msg)
    if not p.stdout.endswith(msg):
        raise Failure("signet arc-seal did not write the message unchanged below the new set")
    added = p.stdout[:len(p.stdout) - len(msg)]
    names = re.findall(rb"^([A-Za-z-]+):", added, re.M)
    if [n.lower() for n in names] != [b"arc-seal", b"arc-message-signature", b"arc-authentication-results"]:
        raise Failure(f"signet arc-seal added {names}")
    return p.stdout


def seal_dkimpy(ctx, msg: bytes, key: SealKey, **_) -> bytes:
    word, _ = dkimpy_validate(ctx, msg)
    srv = f"mx.{key.domain}"
    msg = with_own_results(msg, srv, word)
    with open(key.pem, "rb") as f:
        pem = f.read()
    fields = dkim.ARC(msg, signature_algorithm=key.algorithm.encode()).sign(
        key.selector.encode(), key.domain.encode(), pem, srv.encode(), timestamp=int(time.time()))
    if not fields:
        raise Failure("dkimpy added no ARC set")
    return b"".join(fields) + msg


def seal_maildkim(ctx, msg: bytes, key: SealKey, chain: str | None = None, **_) -> bytes:
    srv = f"mx.{key.domain}"
    msg = with_own_results(msg, srv, "none")
    argv = [PERL, os.path.join(HERE, "arc_peer.pl"), "seal", ctx.zone.zone_file, "--domain", key.domain,
            "--selector", key.selector, "--key", key.pem, "--srv-id", srv, "--algorithm", key.algorithm]
    if chain:
        argv += ["--chain", chain]
    return run(argv, msg).stdout


SEALERS = {"signet": seal_signet, "dkimpy": seal_dkimpy, "maildkim": seal_maildkim}


# --------------------------------------------------------------------------- changes between hops

def tamper_body(msg: bytes) -> bytes:
    return msg.replace(b"Hello list,", b"Hello LIST,")


def _fields(msg: bytes) -> tuple[list[bytes], bytes]:
    head, _, body = msg.partition(b"\r\n\r\n")
    fields: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        else:
            fields.append(line)
    return fields, body


def _join(fields: list[bytes], body: bytes) -> bytes:
    return b"\r\n".join(fields) + b"\r\n\r\n" + body


def _instance(field: bytes) -> int | None:
    if not re.match(rb"(?i)arc-", field):
        return None
    m = re.search(rb"[:;\s]i\s*=\s*(\d+)", field)
    return int(m.group(1)) if m else None


def reorder_sets(msg: bytes) -> bytes:
    """Moves the fields of instance 1 above those of every other instance."""
    fields, body = _fields(msg)
    first = [f for f in fields if _instance(f) == 1]
    rest = [f for f in fields if _instance(f) != 1]
    return _join(first + rest, body)


def duplicate_set(msg: bytes) -> bytes:
    fields, body = _fields(msg)
    return _join([f for f in fields if _instance(f) == 1] + fields, body)


def drop_aar(instance: int) -> Callable[[bytes], bytes]:
    def change(msg: bytes) -> bytes:
        fields, body = _fields(msg)
        return _join([f for f in fields if not (f.lower().startswith(b"arc-authentication-results")
                                                 and _instance(f) == instance)], body)
    return change


def renumber(to: int) -> Callable[[bytes], bytes]:
    def change(msg: bytes) -> bytes:
        fields, body = _fields(msg)
        out = []
        for f in fields:
            if _instance(f) == 1:
                f = re.sub(rb"(?<=[:;\s])i=1(?=;)", b"i=" + str(to).encode(), f, count=1)
            out.append(f)
        return _join(out, body)
    return change


def break_newest_seal(msg: bytes) -> bytes:
    fields, body = _fields(msg)
    newest = max(i for i in map(_instance, fields) if i is not None)
    out = []
    for f in fields:
        if f.lower().startswith(b"arc-seal") and _instance(f) == newest:
            at = f.rindex(b"b=") + 2
            while f[at:at + 1] in (b"\r", b"\n", b"\t", b" "):
                at += 1
            f = f[:at] + (b"B" if f[at:at + 1] == b"A" else b"A") + f[at + 1:]
        out.append(f)
    return _join(out, body)


# --------------------------------------------------------------------------- cases

@dataclass
class Hop:
    sealer: str
    key: str                               # a name in Context.keys
    chain: str | None = None               # maildkim only: force cv= (a case that needs a wrong one)
    then: Callable[[bytes], bytes] | None = None   # a change to the message after this hop


@dataclass
class Case:
    name: str
    hops: list[Hop]
    expect: str = "pass"                   # every validator, after the last hop ...
    peers: dict[str, tuple[str, str]] = field(default_factory=dict)  # ... but these: (result, PEER_NOTES key)
    each_hop: bool = True                  # judge after every hop too (all must pass until the last)
    judge_at: frozenset[int] = frozenset() # with each_hop False: the hops judged before the last


def cases() -> list[Case]:
    mixed = ["dkimpy", "signet", "maildkim"]
    key_of = {"dkimpy": "dkimpy", "signet": "signet", "maildkim": "maildkim"}
    # Mail::DKIM's ARC verifier costs about 0.15 s per set, so on the long
    # chain its sealer validates for itself only up to hop 10 and is then
    # told the status the judged hops found.
    fifty = [Hop(mixed[i % 3], key_of[mixed[i % 3]], chain="pass" if mixed[i % 3] == "maildkim" and i >= 10 else None)
             for i in range(50)]
    ed_peers = {"dkimpy": ("fail", "dkimpy-no-ed25519"), "maildkim": ("fail", "maildkim-no-ed25519")}
    dns_peers = {"dkimpy": ("fail", "dns-no-temperror"), "maildkim": ("fail", "dns-no-temperror")}
    return [
        Case("1 hop: signet", [Hop("signet", "signet")]),
        Case("1 hop: dkimpy", [Hop("dkimpy", "dkimpy")]),
        Case("1 hop: Mail::DKIM", [Hop("maildkim", "maildkim")]),
        Case("2 hops: dkimpy, signet", [Hop("dkimpy", "dkimpy"), Hop("signet", "signet")]),
        Case("2 hops: signet, Mail::DKIM", [Hop("signet", "signet"), Hop("maildkim", "maildkim")]),
        Case("3 hops: dkimpy, signet, Mail::DKIM",
             [Hop("dkimpy", "dkimpy"), Hop("signet", "signet"), Hop("maildkim", "maildkim")]),
        Case("3 hops: Mail::DKIM, dkimpy, signet",
             [Hop("maildkim", "maildkim"), Hop("dkimpy", "dkimpy"), Hop("signet", "signet")]),
        Case("3 hops: signet, signet ed25519, signet",
             [Hop("signet", "signet"), Hop("signet", "signet-ed"), Hop("signet", "signet")],
             peers=ed_peers, each_hop=False),
        Case("1 hop: signet ed25519", [Hop("signet", "signet-ed")], peers=ed_peers, each_hop=False),
        # Judged at a few hops only, for the same reason.
        Case("50 hops: dkimpy, signet, Mail::DKIM in turn", fifty, each_hop=False,
             judge_at=frozenset({1, 2, 3, 4, 10, 25})),
        Case("tampered body after hop 2", [Hop("dkimpy", "dkimpy"), Hop("signet", "signet", then=tamper_body)],
             expect="fail"),
        Case("tampered body at hop 2, then sealed (cv=fail) by Mail::DKIM",
             [Hop("dkimpy", "dkimpy"), Hop("signet", "signet", then=tamper_body), Hop("maildkim", "maildkim")],
             expect="fail"),
        Case("tampered body at hop 1, then sealed (cv=fail) by signet",
             [Hop("maildkim", "maildkim", then=tamper_body), Hop("signet", "signet")], expect="fail"),
        Case("sets reordered in the header block", [Hop("dkimpy", "dkimpy"), Hop("signet", "signet", then=reorder_sets)],
             peers={"dkimpy": ("fail", "dkimpy-header-order")}),
        Case("set 1 duplicated", [Hop("signet", "signet"), Hop("dkimpy", "dkimpy", then=duplicate_set)], expect="fail"),
        Case("AAR of instance 2 missing", [Hop("signet", "signet"), Hop("maildkim", "maildkim", then=drop_aar(2))],
             expect="fail"),
        Case("i=0", [Hop("signet", "signet", then=renumber(0))], expect="fail",
             peers={"dkimpy": ("none", "dkimpy-ignores-i0")}),
        Case("i=51", [Hop("dkimpy", "dkimpy", then=renumber(51))], expect="fail"),
        Case("cv=pass on instance 1", [Hop("maildkim", "maildkim", chain="pass")], expect="fail"),
        Case("broken ARC-Seal over a good AMS", [Hop("dkimpy", "dkimpy"), Hop("signet", "signet", then=break_newest_seal)],
             expect="fail"),
        Case("seal key look-up fails (SERVFAIL/REFUSED)", [Hop("signet", "broken")], expect="temperror",
             peers=dns_peers),
        Case("RSA key under 1024 bits", [Hop("maildkim", "short")], expect="fail"),
    ]


@dataclass
class Context:
    signet: str
    zone: Zone
    keys: dict[str, SealKey]


def judge(ctx: Context, case: Case, msg: bytes, final: bool, hop: int) -> list[str]:
    problems = []
    for name, validate in VALIDATORS.items():
        want, note = case.peers.get(name, (case.expect, "")) if final else ("pass", "")
        try:
            got, detail = validate(ctx, msg)
        except Failure as e:
            problems.append(f"{name}: {e}")
            continue
        if got != want:
            where = "after the last hop" if final else f"after hop {hop}"
            why = f" (expected because {PEER_NOTES[note]})" if note else ""
            problems.append(f"{name} says {got} {where}, expected {want}{why}; {detail}")
    return problems


def run_case(ctx: Context, case: Case) -> list[str]:
    msg = MESSAGE
    for i, hop in enumerate(case.hops, 1):
        msg = SEALERS[hop.sealer](ctx, msg, ctx.keys[hop.key], chain=hop.chain)
        if hop.then:
            msg = hop.then(msg)
        last = i == len(case.hops)
        if last or ((case.each_hop or i in case.judge_at) and not hop.then):
            problems = judge(ctx, case, msg, last, i)
            if problems:
                return problems
    return []


def check_fifty_is_the_end(ctx: Context) -> list[str]:
    """A 51st set is refused: signet writes the message unchanged, dkimpy raises."""
    msg = MESSAGE
    for i in range(50):
        msg = seal_signet(ctx, msg, ctx.keys["signet-ed"])
    p = run([ctx.signet, "arc-seal", "--domain", "signet.example", "--selector", "ed", "--key",
             ctx.keys["signet-ed"].pem, "--authserv-id", "mx.signet.example", "--resolver-conf",
             ctx.zone.unbound_conf], msg)
    problems = []
    if p.stdout != msg:
        problems.append("signet arc-seal changed a message that already had 50 sets")
    if b"50 ARC sets" not in p.stderr:
        problems.append(f"signet arc-seal did not say why it added no set: {p.stderr!r}")
    got, detail = signet_validate(ctx, msg)
    if got != "pass":
        problems.append(f"signet: 50 ed25519 sets: {got} {detail}")
    return problems


def make_keys(workdir: str) -> dict[str, SealKey]:
    def key(name: str, domain: str, selector: str, kind: str, bits: int = 2048, record: str | None = None):
        k = keymod.generate(workdir, name, kind, bits=bits)
        return SealKey(domain, selector, kind, k.pem_path, record or k.record)
    short_pem = os.path.join(HERE, "..", "data", "rsa512_pkcs1.pem")
    short_p = keymod._public_p("rsa", short_pem)
    return {
        "signet": key("signet", "signet.example", "s1", "rsa"),
        "signet-ed": key("signet-ed", "signet.example", "ed", "ed25519"),
        "dkimpy": key("dkimpy", "dkimpy.example", "d1", "rsa"),
        "maildkim": key("maildkim", "maildkim.example", "m1", "rsa"),
        "broken": key("broken", "broken.example", "b1", "rsa", record="@SERVFAIL"),
        "short": SealKey("short.example", "tiny", "rsa", short_pem, f"v=DKIM1; k=rsa; p={short_p}"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--signet", required=True, help="the signet binary")
    ap.add_argument("--filter", default="", help="run only cases whose name contains this text")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="signet-arc-interop-") as workdir:
        seal_keys = make_keys(workdir)
        ctx = Context(os.path.abspath(args.signet), Zone(workdir, list(seal_keys.values())), seal_keys)
        failed = 0
        ran = 0
        for case in cases():
            if args.filter not in case.name:
                continue
            ran += 1
            started = time.monotonic()
            try:
                problems = run_case(ctx, case)
            except Failure as e:
                problems = [str(e)]
            took = time.monotonic() - started
            status = "ok  " if not problems else "FAIL"
            print(f"{status} {case.name} ({len(case.hops)} hops, {took:.1f}s)")
            for p in problems:
                print(f"     {p}")
            failed += bool(problems)
        if not args.filter or "50" in args.filter:
            ran += 1
            problems = check_fifty_is_the_end(ctx)
            print(f"{'ok  ' if not problems else 'FAIL'} a 51st set is refused")
            for p in problems:
                print(f"     {p}")
            failed += bool(problems)
        print(f"{ran - failed} of {ran} ARC interop cases passed")
        return 1 if failed or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
