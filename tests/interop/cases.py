"""The interop case table: what is signed, by whom, how it is changed, and what each verifier must say.

Every case runs in both directions: the peer signs and the implementation
under test verifies, then the other way round. The implementation under test
(signet) must give exactly the expected RFC 8601 result; a peer must pass
what should pass and must not pass what should not.
"""

from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable

import messages
from keys import Key
from peers import SignOpts

CANONICALIZATIONS = ("simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed")
NOT_PASS = frozenset({"fail", "permerror", "neutral", "policy"})


@dataclass(frozen=True)
class Expect:
    subject: frozenset[str]        # results acceptable from the implementation under test
    peer_pass: bool                # a peer must pass (True) / must not pass (False)
    signatures: int = 1            # verdicts the verifier must report
    refuse_ok: bool = False        # the signer may decline to sign instead


PASS = Expect(frozenset({"pass"}), True)


@dataclass
class Case:
    name: str
    message: messages.Message
    sign: list[SignOpts]                             # one signature each, applied in order
    expect: Expect = PASS
    mutate: Callable[[bytes], bytes] | None = None   # applied to the signed message
    needs: frozenset[str] = frozenset()              # signer capabilities the case needs
    needs_both: frozenset[str] = frozenset()         # capabilities signer and verifier need
    expiry: bool = False                             # needs x= in the past when verified
    ar_output: bool = False                          # verify signet's default (A-R) output


def _replace_once(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def mutate(data: bytes) -> bytes:
        if data.count(old) != 1:
            raise ValueError(f"mutation target {old!r} not found exactly once")
        return data.replace(old, new)
    return mutate


def _append_body(data: bytes) -> bytes:
    return data + b"This line was appended after signing." + messages.eol_of(data)


def _add_from(data: bytes) -> bytes:
    eol = messages.eol_of(data)
    return b"From: Mallory <mallory@example.org>" + eol + data


def check_new_signature(before: bytes, after: bytes, o: SignOpts) -> str | None:
    """The signature just added says what the signer was asked for (a=, c=, d=, s=, l=, i=, h=, x=)."""
    old, new = messages.signature_headers(before), messages.signature_headers(after)
    if len(new) != len(old) + 1:
        return f"{len(new) - len(old)} signatures added, expected 1"
    tags = messages.tag_list(new[0])  # signers prepend: the new one is on top
    c = tags.get("c", "simple")
    c = c if "/" in c else c + "/simple"
    want = {"v": "1", "a": o.algorithm, "c": o.canon, "d": "example.com", "s": o.key.selector}
    got = {**tags, "c": c}
    wrong = [f"{k}={got.get(k)!r} (asked for {w!r})" for k, w in want.items() if got.get(k) != w]
    if o.body_length != ("l" in tags):
        wrong.append(f"l= {'missing' if o.body_length else 'present'}")
    if o.identity and tags.get("i") != o.identity:
        wrong.append(f"i={tags.get('i')!r} (asked for {o.identity!r})")
    if o.headers:
        # Every name asked for, as often as asked; extra entries only as oversigning of those names.
        signed = Counter(h.strip().lower() for h in tags.get("h", "").split(":"))
        asked = Counter(o.headers)
        if signed - asked and not set(signed - asked) <= set(asked) or asked - signed:
            wrong.append(f"h={tags.get('h')!r} (asked for {':'.join(o.headers)!r})")
    if o.expire is not None:
        if "x" not in tags or "t" not in tags:
            wrong.append("no x= or t=")
        elif int(tags["x"]) - int(tags["t"]) != o.expire:
            wrong.append(f"x= - t= is {int(tags['x']) - int(tags['t'])} (asked for {o.expire})")
    return "signature tags: " + ", ".join(wrong) if wrong else None


def build(keys: dict[str, Key]) -> list[Case]:
    rsa, ed = keys["rsa2048"], keys["ed25519"]
    algs = (("rsa-sha256", rsa), ("ed25519-sha256", ed))
    table: list[Case] = []

    for alg, key in algs:
        for canon in CANONICALIZATIONS:
            for body_length in (False, True):
                for msg in messages.shapes():
                    signer_needs = frozenset()
                    if alg == "ed25519-sha256" and canon.startswith("simple/"):
                        # OpenDKIM 2.11 hashes "...; b=" on one line, then folds b= onto the next
                        # when it inserts the field: its Ed25519 signatures with simple header
                        # canonicalization never verify (dkimpy rejects them as well).
                        signer_needs = frozenset({"ed25519-simple-headers"})
                    table.append(Case(
                        f"{alg} {canon} {'l=' if body_length else 'no-l'} {msg.name}", msg,
                        [SignOpts(key, alg, canon, body_length)],
                        needs=signer_needs,
                        needs_both=frozenset({"exact-header-bytes"}) if msg.exact_headers else frozenset()))

    plain, plain_lf = messages.plain(), messages.plain(b"\n")
    rr = SignOpts(rsa, "rsa-sha256", "relaxed/relaxed")
    er = SignOpts(ed, "ed25519-sha256", "relaxed/relaxed")
    table += [
        Case("rsa-1024 key", plain, [replace(rr, key=keys["rsa1024"])]),
        Case("rsa-sha1 (RFC 8301 deprecated, still verifies)", plain,
             [replace(rr, algorithm="rsa-sha1")], needs=frozenset({"rsa-sha1"})),
        Case("rsa-sha1 simple/simple LF", plain_lf,
             [replace(rr, algorithm="rsa-sha1", canon="simple/simple")], needs=frozenset({"rsa-sha1"})),
        Case("explicit headers from:to:subject", plain,
             [replace(rr, headers=("from", "to", "subject"))], needs=frozenset({"headers"})),
        Case("repeated headers all signed (from:to:to:subject:received:received)", messages.repeated(),
             [replace(rr, canon="simple/simple",
                      headers=("from", "to", "to", "subject", "received", "received"))],
             needs=frozenset({"headers-repeat"})),
        Case("oversigned From (from:from:to:subject)", plain,
             [replace(rr, headers=("from", "from", "to", "subject"))], needs=frozenset({"headers-repeat"})),
        Case("identity i=@sub.example.com", plain, [replace(rr, identity="@sub.example.com")],
             needs=frozenset({"identity"})),
        Case("l= then body appended after signing", plain, [replace(rr, body_length=True)],
             mutate=_append_body, expect=Expect(frozenset({"pass", "policy"}), True)),
        Case("two signatures rsa-sha256 + ed25519-sha256", plain, [rr, er],
             expect=Expect(frozenset({"pass"}), True, signatures=2)),
        Case("Authentication-Results output", plain, [rr], ar_output=True),
    ]
    for kg in ("kgrsa", "kged"):
        if kg in keys:
            alg = "rsa-sha256" if keys[kg].kind == "rsa" else "ed25519-sha256"
            table.append(Case(f"signet keygen {keys[kg].kind} key", plain,
                              [SignOpts(keys[kg], alg, "relaxed/relaxed")]))

    body_old, body_new = b"This is a test message.", b"This is a test massage."
    subj_old, subj_new = b"Subject: Interop test", b"Subject: Interop text"
    fail = Expect(frozenset({"fail"}), False)
    for alg_opts in (rr, replace(er, canon="relaxed/simple")):
        a = alg_opts.algorithm
        table += [
            Case(f"NEG {a} {alg_opts.canon} tampered body", plain, [alg_opts],
                 mutate=_replace_once(body_old, body_new), expect=fail),
            Case(f"NEG {a} {alg_opts.canon} tampered signed header (Subject)", plain, [alg_opts],
                 mutate=_replace_once(subj_old, subj_new), expect=fail),
        ]
    table += [
        Case("NEG tampered body LF simple/simple", plain_lf, [replace(rr, canon="simple/simple")],
             mutate=_replace_once(body_old, body_new), expect=fail),
        Case("NEG From added above an oversigned From", plain,
             [replace(rr, headers=("from", "from", "to", "subject"))], mutate=_add_from,
             expect=Expect(NOT_PASS, False), needs=frozenset({"headers-repeat"})),
        Case("NEG revoked key (empty p=)", plain, [replace(rr, key=keys["revoked"])],
             expect=Expect(frozenset({"permerror", "fail"}), False)),
        Case("NEG no key record (NXDOMAIN)", plain, [replace(rr, key=keys["missing"])],
             expect=Expect(frozenset({"permerror"}), False)),
        Case("NEG rsa-512 key (RFC 8301 minimum 1024)", plain, [replace(rr, key=keys["rsa512"])],
             expect=Expect(frozenset({"permerror"}), False, refuse_ok=True),
             needs=frozenset({"sign-short-rsa"})),
        Case("NEG expired x=", plain, [replace(rr, expire=1)], expiry=True,
             expect=Expect(NOT_PASS, False)),
    ]
    return table
