"""The manual pages, read the way the README says: `man -l docs/PAGE`.

  man_pages_test.py --docs DOCS_DIR

Every program and configuration file has its page (signet(1),
signet-milter(8), qmail-signet(8), signet.conf(5)); each page renders with
man(1) without a single groff warning (`man --warnings`), at 80 columns as
on a terminal, and has the sections a reader looks for first.
"""

import argparse
import glob
import os
import subprocess
import sys

REQUIRED_PAGES = ["signet.1", "signet-milter.8", "qmail-signet.8", "signet.conf.5"]
SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", required=True)
    args = ap.parse_args()
    failures, held = [], 0
    pages = sorted(glob.glob(os.path.join(args.docs, "*.[0-9]")))
    names = [os.path.basename(p) for p in pages]
    for required in REQUIRED_PAGES:
        if required not in names:
            failures.append(f"docs/{required} is missing")
    env = dict(os.environ, MANWIDTH="80", LANG="C.UTF-8", MAN_KEEP_FORMATTING="")
    for page in pages:
        name = os.path.basename(page)
        p = subprocess.run(["man", "--warnings", "-l", page], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, timeout=60)
        text = p.stdout.decode("utf-8", "replace")
        warnings = p.stderr.decode("utf-8", "replace").strip()
        if p.returncode != 0 or len(text.splitlines()) < 20:
            failures.append(f"man -l docs/{name} exited {p.returncode} with {len(text.splitlines())} lines")
            continue
        if warnings:
            failures.append(f"man -l docs/{name} warns: {warnings[:500]}")
        lines = text.splitlines()
        missing = [s for s in SECTIONS if s not in lines]
        if name.endswith(".5"):
            missing = [s for s in missing if s != "SYNOPSIS"]  # a file format has none
        if missing:
            failures.append(f"docs/{name} has no {', '.join(missing)} section")
        else:
            held += 1
    for f in failures:
        print("FAIL:", f)
    print(f"man pages: {held} of {len(pages)} render cleanly with every section")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
