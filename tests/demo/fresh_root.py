"""A minimal Debian 12 root, made with debootstrap from this machine's own
package sources, in which the README's commands run as on a fresh machine:
nothing there comes from this machine's image but what debootstrap's minbase
variant installs, so a package that install-deps.sh forgets shows.

  fresh_root.py create --root DIR --source TOP   debootstrap DIR, keep a copy of it
                                                 untouched in DIR-pristine, then a
                                                 clean copy of the source tree in
                                                 DIR/src/signet
  fresh_root.py demo-and-build --root DIR        in DIR: `bash scripts/demo.sh` up to
                                                 its verified self-check, stopped by
                                                 SIGTERM; then the test suite's
                                                 targets built as scripts/test.sh
                                                 builds them, and clang's libFuzzer
  fresh_root.py remove --root DIR                removes DIR and DIR-pristine

Each command inside the root runs in a mount namespace of its own (unshare),
with /proc and /dev mounted there only: nothing is ever mounted under DIR
in this machine's namespace, and the mounts end with the command. The root
shares this machine's network (loopback included), as a fresh machine on
the same network would; the demonstration listens on 127.0.0.1 only.

When this machine cannot make such a root (not root, no debootstrap, no
mount namespaces, chroot refused), `create` writes the reason to DIR.skip
and exits 77, and every test that needs the root prints that reason and
exits 77 too (CTest's "skipped"): skipped, never passed.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import demo_run  # noqa: E402
import miltertest_fixtures as fx  # noqa: E402

SKIP = 77
SUITE = "bookworm"
SOURCE_IN_ROOT = "/src/signet"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEMO_TIMEOUT = 3600  # install-deps downloads and installs a few hundred packages, then the build


class Failure(Exception):
    pass


def log(*words: object) -> None:
    print("fresh:", *words, flush=True)


def skip_file(root: str) -> str:
    return root.rstrip("/") + ".skip"


def pristine(root: str) -> str:
    """A copy of the root as debootstrap made it (with this machine's package
    sources), kept untouched for the tests that need a Debian with nothing
    installed (tests/packaging): they copy it again, in a second."""
    return root.rstrip("/") + "-pristine"


def skip(root: str, reason: str) -> int:
    with open(skip_file(root), "w") as f:
        f.write(reason + "\n")
    print(f"fresh: skipped: {reason}")
    return SKIP


def in_root(root: str, argv: list[str], env: dict[str, str] | None = None, private_net: bool = False) -> list[str]:
    """argv run as root of DIR, in a mount namespace of its own, with a clean environment.
    Every step execs the next, so the pid of the returned command is argv's own. With
    private_net, also in a network namespace of its own with only a loopback: servers on
    the usual ports (DNS on 53, the milter on 8891) meet nothing of this machine's."""
    clean = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", "CI": os.environ.get("CI", "true"),
             **(env or {})}
    mount = ('r=$1; shift; mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" && '
             'exec chroot "$r" "$@"')
    if private_net:
        mount = "ip link set lo up && " + mount
    return ["unshare", "--mount", "--propagation", "private", *(["--net"] if private_net else []),
            "sh", "-c", mount, "sh", root, "/usr/bin/env", "-i", *[f"{k}={v}" for k, v in clean.items()], *argv]


def machine_mirror() -> str:
    """The URI this machine takes Debian 12's main archive from (its apt sources)."""
    candidates: list[tuple[str, list[str]]] = []
    sources = "/etc/apt/sources.list.d"
    for name in sorted(os.listdir(sources)) if os.path.isdir(sources) else []:
        if name.endswith(".sources"):
            with open(os.path.join(sources, name)) as f:
                for stanza in re.split(r"\n\s*\n", f.read()):
                    keys = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
                    if "deb" in keys.get("Types", "").split() and keys.get("Enabled", "yes") != "no":
                        candidates += [(uri, keys.get("Suites", "").split()) for uri in keys.get("URIs", "").split()]
    for path in ["/etc/apt/sources.list"] + [os.path.join(sources, n) for n in
                                             (sorted(os.listdir(sources)) if os.path.isdir(sources) else [])
                                             if n.endswith(".list")]:
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    m = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", line)
                    if m:
                        candidates.append((m.group(1), [m.group(2)]))
    for uri, suites in candidates:
        if SUITE in suites:
            return uri
    raise Failure(f"this machine's apt sources name no {SUITE} archive: {candidates}")


def copy_apt_sources(root: str) -> None:
    """The machine's own package sources (and the keyrings they name) into the root,
    in place of the one line debootstrap wrote."""
    if os.path.exists(f"{root}/etc/apt/sources.list"):
        os.unlink(f"{root}/etc/apt/sources.list")
    for path in ["/etc/apt/sources.list"] + sorted(
            os.path.join("/etc/apt/sources.list.d", n) for n in os.listdir("/etc/apt/sources.list.d")
            if n.endswith((".list", ".sources"))):
        if not os.path.exists(path):
            continue
        shutil.copy(path, root + path)
        with open(path) as f:
            for keyring in re.findall(r"(?:Signed-By:|signed-by=)\s*(/\S+?)(?:\]|\s|$)", f.read()):
                if os.path.exists(keyring) and not os.path.exists(root + keyring):
                    os.makedirs(os.path.dirname(root + keyring), exist_ok=True)
                    shutil.copy(keyring, root + keyring)
    for name in ("hosts", "resolv.conf"):
        if os.path.exists(f"/etc/{name}"):
            if os.path.islink(f"{root}/etc/{name}") or os.path.exists(f"{root}/etc/{name}"):
                os.unlink(f"{root}/etc/{name}")
            shutil.copy(f"/etc/{name}", f"{root}/etc/{name}")
    # As in any chroot: packages do not start their services (each test starts
    # its own servers), and nothing of the machine's runs in the root.
    with open(f"{root}/usr/sbin/policy-rc.d", "w") as f:
        f.write("#!/bin/sh\nexit 101\n")
    os.chmod(f"{root}/usr/sbin/policy-rc.d", 0o755)


def copy_source(source: str, dest: str) -> None:
    """The files of a clean clone: those git tracks, plus new ones it does not ignore
    (without git, or outside a work tree: everything but .git and build*/)."""
    p = subprocess.run(["git", "-C", source, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) if shutil.which("git") else None
    if p is None or p.returncode != 0:
        shutil.copytree(source, dest, symlinks=True,
                        ignore=lambda d, names: [n for n in names if d == source and
                                                 (n == ".git" or n.startswith("build"))])
        return
    os.makedirs(dest)
    for name in filter(None, p.stdout.split(b"\0")):
        src = os.path.join(source.encode(), name)
        if not os.path.lexists(src):
            continue  # deleted in the work tree, not yet in the index
        target = os.path.join(dest.encode(), name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(src, target, follow_symlinks=False)


def create(root: str, source: str) -> int:
    if os.path.exists(skip_file(root)):
        os.unlink(skip_file(root))
    if os.geteuid() != 0:
        return skip(root, "debootstrap, chroot and mount need root; this test runs as uid "
                          f"{os.geteuid()}")
    if shutil.which("debootstrap") is None:
        return skip(root, "debootstrap is not installed (scripts/install-deps.sh installs it)")
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if probe.returncode != 0:
        return skip(root, "this machine cannot make a private mount namespace: "
                          + probe.stdout.decode(errors="replace").strip())
    remove(root)
    mirror = machine_mirror()
    started = time.monotonic()
    log(f"debootstrap --variant=minbase {SUITE} {root} {mirror}")
    p = subprocess.run(["debootstrap", "--variant=minbase", SUITE, root, mirror],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise Failure(f"debootstrap exited {p.returncode}:\n" + p.stdout.decode(errors="replace")[-3000:])
    log(f"minimal root made in {time.monotonic() - started:.0f} s")
    probe = subprocess.run(in_root(root, ["/bin/true"]), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if probe.returncode != 0:
        return skip(root, "this machine refuses to run a command in the root (chroot): "
                          + probe.stdout.decode(errors="replace").strip())
    copy_apt_sources(root)
    subprocess.run(["cp", "-a", root, pristine(root)], check=True)
    copy_source(source, root + SOURCE_IN_ROOT)
    present = [tool for tool in ("gcc", "g++", "cmake", "git", "python3", "pkg-config", "make")
               if os.path.exists(f"{root}/usr/bin/{tool}")]
    if present:
        raise Failure(f"the minimal root already has {present}: it would hide what install-deps.sh forgets")
    log(f"source copied to {SOURCE_IN_ROOT}; no compiler, cmake, git or python in the root")
    return 0


def needs_root(root: str) -> int | None:
    if os.path.exists(skip_file(root)):
        with open(skip_file(root)) as f:
            print(f"fresh: skipped: {f.read().strip()}")
        return SKIP
    if not os.path.isdir(os.path.join(root + SOURCE_IN_ROOT, "scripts")):
        raise Failure(f"no root at {root} (the fresh_root fixture did not run)")
    return None


def test_sh_build_options(source: str) -> list[str]:
    """The options scripts/test.sh gives scripts/build.sh, read from test.sh itself."""
    with open(os.path.join(source, "scripts", "test.sh")) as f:
        m = re.search(r'scripts/build\.sh"?((?:\s+-D\S+)+)', f.read())
    if not m:
        raise Failure("scripts/test.sh does not call scripts/build.sh with -D options")
    return m.group(1).split()


def demo_and_build(root: str) -> int:
    if (code := needs_root(root)) is not None:
        return code
    src = root + SOURCE_IN_ROOT
    port = fx.free_port()
    started = time.monotonic()
    log(f"in the root: bash scripts/demo.sh (SIGNET_DEMO_PORT={port}), install-deps first")
    run = demo_run.DemoRun(in_root(root, ["bash", "-c", f"cd {SOURCE_IN_ROOT} && exec bash scripts/demo.sh"],
                                   {"SIGNET_DEMO_PORT": str(port)}),
                           "/", dict(os.environ), os.path.join(src, "build", "demo"), port)
    run.start()
    try:
        run.wait_ready(DEMO_TIMEOUT)
        log(f"demo ready after {time.monotonic() - started:.0f} s")
        for line in run.check_output():
            log("ok:", line)
        seconds = run.stop(signal.SIGTERM)
        log(f"ok: SIGTERM ended the script, its milter and its session in {seconds:.1f} s")
    finally:
        run.kill()

    options = test_sh_build_options(src)
    started = time.monotonic()
    log("in the root: bash scripts/build.sh", " ".join(options))
    p = subprocess.run(in_root(root, ["bash", "-c", f"cd {SOURCE_IN_ROOT} && exec bash scripts/build.sh "
                                      + " ".join(options)]),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise Failure(f"building the test suite's targets in the root failed ({p.returncode}):\n"
                      + p.stdout.decode(errors="replace")[-4000:])
    built = [t for t in ("tests/signet_unit_tests", "tests/signet_unit_tests_asan", "core/signet",
                         "milter/signet-milter", "qmail-adapter/qmail-signet")
             if os.path.exists(os.path.join(src, "build", t))]
    if len(built) != 5:
        raise Failure(f"the build in the root made only {built}")
    log(f"ok: the test suite's targets built in {time.monotonic() - started:.0f} s ({', '.join(built)} ...)")

    probe = ('d=$(mktemp -d) && printf \'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, '
             'unsigned long) { return 0; }\\n\' > "$d/p.cpp" && clang++-16 -fsanitize=fuzzer,address,undefined '
             '"$d/p.cpp" -o "$d/p" && "$d/p" -runs=10 2>&1 | tail -1; rc=$?; rm -rf "$d"; exit $rc')
    p = subprocess.run(in_root(root, ["bash", "-c", probe]), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise Failure("clang++-16 cannot build a libFuzzer target in the root (the fuzz tests need it):\n"
                      + p.stdout.decode(errors="replace")[-2000:])
    log("ok: clang++-16 builds and runs a libFuzzer target in the root")
    return 0


def remove(root: str) -> int:
    with open("/proc/self/mounts") as f:
        mounted = [line.split()[1] for line in f if line.split()[1].startswith(root.rstrip("/") + "/")]
    if mounted:
        raise Failure(f"refusing to remove {root}: mounted under it: {mounted}")
    for tree in (root, pristine(root)):
        if os.path.lexists(tree):
            shutil.rmtree(tree)
            log(f"removed {tree}")
    if os.path.exists(skip_file(root)):
        os.unlink(skip_file(root))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["create", "demo-and-build", "remove"])
    ap.add_argument("--root", required=True)
    ap.add_argument("--source")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    try:
        if args.command == "create":
            return create(root, os.path.abspath(args.source))
        if args.command == "demo-and-build":
            return demo_and_build(root)
        return remove(root)
    except (Failure, demo_run.Failure, subprocess.CalledProcessError, OSError) as e:
        print(f"fresh: FAILED: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
