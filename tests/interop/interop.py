#!/usr/bin/python3
"""Signet interop tests against real peers, both ways.

  interop.py --peer dkimpy   --signet build/core/signet
  interop.py --peer opendkim --signet build/core/signet
  interop.py --peer dkimpy   --against opendkim     # check the peers (and this harness) first

Every case in cases.py runs twice: the peer signs and signet verifies, then
signet signs and the peer verifies. One line per case; the last line is
`interop: N passed, M failed`; the exit status is non-zero if any failed.
Failing messages are kept under --artifacts (default: a temporary directory
that is kept, and named, when something failed).

Needs /usr/bin/python3 with python3-dkim (dkimpy), openssl, and for the
OpenDKIM peer /usr/sbin/opendkim and /usr/bin/miltertest. No network: keys are
served from an unbound configuration file (local-zone/local-data) that signet
and OpenDKIM read through libunbound in-process, and from a table for dkimpy.
"""

import argparse
import concurrent.futures
import dataclasses
import os
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cases as case_table  # noqa: E402
import keys as keymod  # noqa: E402
from peers import CaseError, Dkimpy, OpenDKIM, Signet, SignRefused, Verdict  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXPIRY_SETTLE = 4.0         # seconds between signing with x = t + 1 and verifying (OpenDKIM: ClockDrift 1)
DKIMPY_EXPIRY_SLOP = 36000  # dkimpy accepts x= up to 10 hours late; verify as if later than that


class Run:
    """One case in one direction."""

    def __init__(self, case: case_table.Case, signer, verifier):
        self.case, self.signer, self.verifier = case, signer, verifier
        self.label = f"{signer.name} -> {verifier.name}: {case.name}"
        self.signed: bytes | None = None
        self.verify_kwargs: dict = {}
        self.signed_at = 0.0
        self.settle = 0.0
        self.outcome: tuple[bool, str] | None = None

    def applicable(self) -> bool:
        c = self.case
        if c.ar_output and not isinstance(self.verifier, Signet):
            return False
        return (c.needs <= self.signer.supports and c.needs_both <= self.signer.supports
                and c.needs_both <= self.verifier.supports)

    def prepare(self) -> None:
        """Signs (and mutates); decides how verification must wait for an expiry."""
        opts = list(self.case.sign)
        if self.case.expiry:
            if "backdate" in self.signer.supports:
                opts = [dataclasses.replace(o, backdate=3600) for o in opts]
            elif "clock" in self.verifier.supports:
                self.verify_kwargs = {"clock_offset": DKIMPY_EXPIRY_SLOP + 3600}
            else:
                self.settle = EXPIRY_SETTLE
        data = self.case.message.data
        for o in opts:
            try:
                signed = self.signer.sign(data, o)
            except SignRefused as e:
                if self.case.expect.refuse_ok and self.signer.under_test:
                    self.outcome = (True, f"signer declined, as allowed: {e}")
                else:
                    self.outcome = (False, str(e))
                return
            problem = case_table.check_new_signature(data, signed, o)
            data = signed
            if problem:
                self.signed = data
                self.outcome = (False, f"{self.signer.name} sign: {problem}")
                return
        self.signed_at = time.monotonic()
        self.signed = self.case.mutate(data) if self.case.mutate else data

    def finish(self) -> None:
        if self.outcome is not None:
            return
        wait = self.signed_at + self.settle - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        if self.case.ar_output:
            self.outcome = self._check_ar()
            return
        verdicts = self.verifier.verify(self.signed, **self.verify_kwargs)
        self.outcome = self._judge(verdicts)

    def _check_ar(self) -> tuple[bool, str]:
        code, out = self.verifier.verify_ar(self.signed)
        first = out.splitlines()[0] if out else ""
        flat = " ".join(out.split())
        ok = (code == 0 and first.startswith("Authentication-Results:") and "dkim=pass" in flat
              and "header.d=example.com" in flat)
        return ok, f"exit {code}: {flat[:300]}"

    def _judge(self, verdicts: list[Verdict]) -> tuple[bool, str]:
        e = self.case.expect
        said = "; ".join(str(v) for v in verdicts) or "no verdict"
        if len(verdicts) != e.signatures:
            return False, f"{len(verdicts)} verdicts, expected {e.signatures}: {said}"
        if self.verifier.under_test:
            wrong = [v for v in verdicts if v.result not in e.subject]
            if wrong:
                return False, f"expected {'|'.join(sorted(e.subject))}, got {said}"
            if e.subject == frozenset({"pass"}):
                problem = self._check_pass_fields(verdicts)
                if problem:
                    return False, problem
        else:
            passes = [v.result == "pass" for v in verdicts]
            if e.peer_pass and not all(passes):
                return False, f"expected pass, got {said}"
            if not e.peer_pass and any(passes):
                return False, f"expected not pass, got {said}"
        return True, said

    def _check_pass_fields(self, verdicts: list[Verdict]) -> str | None:
        """signet's JSON names the right domain, selector, algorithm and key size, once per signature."""
        if not isinstance(self.verifier, Signet):
            return None
        for o in self.case.sign:
            mine = [v for v in verdicts if v.info.get("selector") == o.key.selector]
            if len(mine) != 1:
                return f"{len(mine)} JSON objects with selector={o.key.selector!r}, expected 1: " \
                       f"{[v.info for v in verdicts]}"
            v = mine[0]
            want = {"method": "dkim", "domain": keymod.DOMAIN, "algorithm": o.algorithm}
            for k, w in want.items():
                if v.info.get(k) != w:
                    return f"JSON {k}={v.info.get(k)!r}, expected {w!r}: {v.info}"
            bits = v.info.get("bits")
            ok_bits = {o.key.bits} if o.key.kind == "rsa" else {255, 256}
            if bits not in ok_bits:
                return f"JSON bits={bits!r}, expected {sorted(ok_bits)}: {v.info}"
        return None


def make_keys(workdir: str, signet: Signet | None) -> tuple[dict[str, keymod.Key], list[tuple[bool, str]]]:
    kd = os.path.join(workdir, "keys")
    os.makedirs(kd)
    g = keymod.generate
    k = {
        "rsa2048": g(kd, "rsa2048", "rsa", 2048),
        "rsa1024": g(kd, "rsa1024", "rsa", 1024),
        "rsa512": g(kd, "rsa512", "rsa", 512),
        "ed25519": g(kd, "ed25519", "ed25519"),
        "revoked": g(kd, "revoked", "rsa", 2048, record="v=DKIM1; k=rsa; p="),
        "missing": g(kd, "missing", "rsa", 2048, record=None),
    }
    setup_results = []
    if signet is not None:
        for sel, alg in (("kgrsa", "rsa"), ("kged", "ed25519")):
            label = f"signet keygen --algorithm {alg}: key files and TXT record"
            try:
                priv, line = signet.keygen(sel, alg, kd)
                record = keymod.record_from_txt_line(line)
                owner = keymod.parse_txt_line(line)[0]
                if owner.lower() != f"{sel}._domainkey.{keymod.DOMAIN}.":
                    raise CaseError(f"owner name {owner!r}")
                expected_p = keymod._public_p(alg, priv)
                tags = {t.split("=", 1)[0].strip(): t.split("=", 1)[1].strip()
                        for t in record.split(";") if "=" in t}
                if tags.get("p") != expected_p or tags.get("k", "rsa") != alg:
                    raise CaseError(f"record does not publish the private key's public half: {record[:80]}")
                k[sel] = keymod.Key(sel, alg, 2048 if alg == "rsa" else 256, priv,
                                    keymod.dkimpy_private_key(alg, priv), record, txt_line=line)
                setup_results.append((True, f"ok    {label}"))
            except Exception as e:  # noqa: BLE001 - reported as a failed case
                setup_results.append((False, f"FAIL  {label}: {e}"))
    return k, setup_results


class SetupError(Exception):
    """The harness cannot run at all (a peer is not installed, a key cannot be made)."""


def make_peer(name: str, workdir: str, conf: str, keylist: list[keymod.Key]):
    if name == "dkimpy":
        return Dkimpy(keylist)
    for tool in ("/usr/sbin/opendkim", "/usr/bin/miltertest"):
        if not os.access(tool, os.X_OK):
            raise SetupError(f"{tool} is missing (apt-get install opendkim miltertest)")
    return OpenDKIM(workdir, conf, os.path.join(HERE, "milter_message.lua"))


def save_artifact(directory: str, index: int, run: Run) -> str:
    path = os.path.join(directory, f"case{index:03d}.eml")
    with open(path, "wb") as f:
        f.write(run.signed if run.signed is not None else run.case.message.data)
    return path


def main() -> int:
    try:
        return run_all()
    except SetupError as e:
        print(f"interop: cannot run: {e}", file=sys.stderr)
    except Exception:  # noqa: BLE001 - a broken harness is a failed test, never a silent one
        traceback.print_exc()
    print("interop: 0 passed, 1 failed")
    return 1


def run_all() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peer", choices=("dkimpy", "opendkim"), required=True)
    ap.add_argument("--signet", help="the signet binary (the implementation under test)")
    ap.add_argument("--against", choices=("dkimpy", "opendkim"),
                    help="instead of signet, test the peer against this other peer (harness self-check)")
    ap.add_argument("--filter", default="", help="run only cases whose label contains this text")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--artifacts", help="directory for failing messages (default: a kept temp dir)")
    args = ap.parse_args()
    if bool(args.signet) == bool(args.against) or args.against == args.peer:
        ap.error("give exactly one of --signet or --against (a different peer)")
    if args.signet and not os.access(args.signet, os.X_OK):
        raise SetupError(f"{args.signet} is not an executable")

    workdir = tempfile.mkdtemp(prefix="signet-interop-")
    conf = os.path.join(workdir, "unbound.conf")
    signet = Signet(os.path.abspath(args.signet), conf) if args.signet else None
    keys, setup = make_keys(workdir, signet)
    keymod.write_unbound_conf(conf, list(keys.values()))
    keylist = list(keys.values())

    peer = make_peer(args.peer, workdir, conf, keylist)
    subject = signet if signet else make_peer(args.against, workdir, conf, keylist)

    runs = []
    for case in case_table.build(keys):
        for signer, verifier in ((peer, subject), (subject, peer)):
            run = Run(case, signer, verifier)
            if run.applicable() and args.filter in run.label:
                runs.append(run)

    passed = failed = 0
    for ok, line in setup:
        print(line, flush=True)
        passed, failed = passed + ok, failed + (not ok)
    artifacts = args.artifacts or os.path.join(workdir, "failed")
    os.makedirs(artifacts, exist_ok=True)
    started = time.monotonic()
    try:
        delayed = [r for r in runs if r.case.expiry]
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            list(pool.map(lambda r: _guard(r, r.prepare), delayed))
            list(pool.map(lambda r: (_guard(r, r.prepare), _guard(r, r.finish)),
                          [r for r in runs if not r.case.expiry]))
            list(pool.map(lambda r: _guard(r, r.finish), delayed))
    finally:
        if isinstance(peer, OpenDKIM):
            peer.close()
        if isinstance(subject, OpenDKIM):
            subject.close()

    for i, run in enumerate(runs):
        ok, detail = run.outcome or (False, "not run")
        if ok:
            passed += 1
            print(f"ok    {run.label} -> {detail[:160]}", flush=True)
        else:
            failed += 1
            print(f"FAIL  {run.label}: {detail} [message: {save_artifact(artifacts, i, run)}]", flush=True)
    print(f"# {len(runs)} cases against {args.peer} in {time.monotonic() - started:.1f}s")
    if failed and not args.artifacts:
        print(f"# failing messages kept in {artifacts}; keys and unbound.conf in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"interop: {passed} passed, {failed} failed")
    return 1 if failed else 0


def _guard(run: Run, step) -> None:
    if run.outcome is not None:
        return
    try:
        step()
    except CaseError as e:
        run.outcome = (False, str(e))
    except Exception as e:  # noqa: BLE001 - a harness bug fails the case, loudly
        run.outcome = (False, f"{type(e).__name__}: {e}\n{traceback.format_exc()}")


if __name__ == "__main__":
    sys.exit(main())
