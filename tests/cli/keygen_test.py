"""`signet keygen` at its edges: the --out-dir it makes, the directory and
files it leaves alone, and the names it refuses (signet(1), KEYGEN).

  keygen_test.py --signet SIGNET
"""

import argparse
import os
import stat
import subprocess
import sys
import tempfile


def keygen(signet: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([signet, "keygen", "--algorithm", "ed25519", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)


def mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--signet", required=True)
    signet = ap.parse_args().signet
    failures, held = [], 0

    def expect(ok: bool, what: str, got: object = None) -> None:
        nonlocal held
        if ok:
            held += 1
        else:
            failures.append(what + (f" (got {got})" if got is not None else ""))

    with tempfile.TemporaryDirectory() as top:
        os.umask(0o022)
        keys = os.path.join(top, "etc", "signet", "keys")
        p = keygen(signet, "--domain", "example.com", "--selector", "s1", "--out-dir", keys)
        expect(p.returncode == 0, "keygen into a directory that does not exist exits 0", p.stderr)
        for d in (os.path.join(top, "etc"), os.path.join(top, "etc", "signet"), keys):
            expect(os.path.isdir(d) and mode(d) == 0o700, f"{d} made with mode 0700",
                   oct(mode(d)) if os.path.isdir(d) else "missing")
        expect(mode(os.path.join(keys, "s1.private")) == 0o600, "s1.private is 0600")

        shared = os.path.join(top, "shared")
        os.mkdir(shared, 0o750)
        p = keygen(signet, "--domain", "example.com", "--selector", "s2", "--out-dir", shared)
        expect(p.returncode == 0 and mode(shared) == 0o750, "an existing directory keeps its mode", oct(mode(shared)))
        p = keygen(signet, "--domain", "example.com", "--selector", "s2", "--out-dir", shared)
        expect(p.returncode == 73 and b"--force" in p.stderr, "an existing key is not replaced without --force",
               (p.returncode, p.stderr))

        plain = os.path.join(top, "file")
        open(plain, "w").close()
        p = keygen(signet, "--domain", "example.com", "--selector", "s3", "--out-dir", plain)
        expect(p.returncode == 73 and b"not a directory" in p.stderr, "a file as --out-dir is refused",
               (p.returncode, p.stderr))

        for domain, selector, why in [
                ("x..com", "s1", "empty label"), (".example.com", "s1", "empty label"),
                ("example.com.", "s1", "empty label"), ("-a.example.com", "s1", "beginning or ending with '-'"),
                ("a-.example.com", "s1", "beginning or ending with '-'"), ("a" * 64 + ".com", "s1", "over 63"),
                ("not a domain", "s1", "letters, digits"), ("example.com", "s 1", "letters, digits"),
                ("example.com", "sel..x", "empty label"), ((("a" * 60 + ".") * 5) + "com", "s1", "253")]:
            p = keygen(signet, "--domain", domain, "--selector", selector, "--out-dir", top)
            expect(p.returncode == 64 and why.encode() in p.stderr,
                   f"keygen refuses --domain {domain[:20]!r} --selector {selector!r} ({why})",
                   (p.returncode, p.stderr[:200]))
        for domain, selector in [("mail-1.example.co.uk", "s_2026.a"), ("xn--bcher-kva.example", "2026")]:
            p = keygen(signet, "--domain", domain, "--selector", selector, "--out-dir", top)
            expect(p.returncode == 0, f"keygen takes --domain {domain} --selector {selector}", p.stderr)

    for f in failures:
        print("FAIL:", f)
    print(f"keygen: {held} checks held, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
