"""`cmake --install` with this build's prefix, into a DESTDIR: every program, the
manual pages, the example configuration, signet.conf and the systemd unit land
in their FHS places, the unit names this build's paths, and a second install
keeps an edited signet.conf.

  install_rules_test.py --build-dir BUILD --prefix PREFIX --sysconfdir DIR --work W
"""

import argparse
import os
import shutil
import subprocess
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--sysconfdir", required=True)
    ap.add_argument("--unit-dir", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    dest = os.path.abspath(args.work)
    shutil.rmtree(dest, ignore_errors=True)
    env = {**os.environ, "DESTDIR": dest}

    def install() -> str:
        p = subprocess.run(["cmake", "--install", args.build_dir], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            raise SystemExit(f"install rules: FAILED: cmake --install exited {p.returncode}:\n{p.stdout[-2000:]}")
        return p.stdout

    install()
    pre, etc = args.prefix, args.sysconfdir
    want = [f"{pre}/bin/signet", f"{pre}/bin/qmail-signet", f"{pre}/sbin/signet-milter",
            f"{pre}/share/man/man1/signet.1", f"{pre}/share/man/man5/signet.conf.5",
            f"{pre}/share/man/man8/signet-milter.8", f"{pre}/share/man/man8/qmail-signet.8",
            f"{pre}/share/doc/signet/examples/signet.conf.example", f"{etc}/signet/signet.conf",
            f"{args.unit_dir}/signet-milter.service"]
    missing = [w for w in want if not os.path.isfile(dest + w)]
    if missing:
        print(f"install rules: FAILED: cmake --install did not install {missing}")
        return 1
    for line in want:
        print("ok: installed", line)
    with open(dest + f"{args.unit_dir}/signet-milter.service") as f:
        unit = f.read()
    for line in (f"ExecStart={pre}/sbin/signet-milter -f -c {etc}/signet/signet.conf",
                 f"ExecStartPre={pre}/sbin/signet-milter -n -c {etc}/signet/signet.conf",
                 f"ConditionPathExistsGlob={etc}/signet/keys/*", "User=signet", "Type=notify"):
        if line not in unit.splitlines():
            print(f"install rules: FAILED: the installed unit lacks {line!r}")
            return 1
    print("ok: the unit names this build's paths, runs -f as User=signet, Type=notify")
    conf = dest + f"{etc}/signet/signet.conf"
    with open(conf, "a") as f:
        f.write("Domain example.com\n")
    edited = open(conf).read()
    out = install()
    if open(conf).read() != edited or "Kept:" not in out:
        print("install rules: FAILED: a second install overwrote the edited signet.conf")
        return 1
    print("ok: a second install keeps the edited signet.conf and says so")
    shutil.rmtree(dest, ignore_errors=True)
    print("install rules: 4 checks held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
