"""The Debian packages as their users meet them (issue #17), in minimal Debian 12
roots copied from the fresh_root fixture's untouched debootstrap root
(tests/demo/fresh_root.py), so nothing of this machine's image hides a
missing Build-Depends or Depends.

  packaging_test.py build   --root DIR --source TOP --work W
      in a copy of the root with the source tree: the README's command,
      `bash scripts/package.sh` (Build-Depends from apt, dpkg-buildpackage
      with the unit tests, apt-get install of the packages); what the .debs
      hold and depend on; lintian on the .changes (no error, no warning,
      every override with its reason); `systemd-analyze verify` and
      `security` on the unit; then a rebuild with a higher version. The
      .debs are kept in W/debs-1 and W/debs-2.
  packaging_test.py install --root DIR --source TOP --work W
      in another copy of the root: apt-get install ./signet*.deb (pulling the
      dependencies), the system user and keys directory, a service that stays
      stopped without a key, packaging/README's key block as written, the
      daemon run from the unit's own lines as user signet (systemctl_standin.sh
      plays systemd for the maintainer scripts), a message signed through
      /run/signet/signet.sock and verified with the packaged `signet verify`,
      a reload, the upgrade to debs-2 (edited conffile and keys kept), remove
      and purge (the keys kept, said on the terminal), and the file list
      against the one before the install.
  packaging_test.py clean   --work W

Exit 77 (skipped, with the reason) when the fixture could not make its root.
"""

import argparse
import hashlib
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "demo"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import demo_run  # noqa: E402
import fresh_root as fr  # noqa: E402
import miltertest_client as mc  # noqa: E402
import miltertest_fixtures as fx  # noqa: E402

PACKAGES = ["signet", "signet-milter", "qmail-signet"]
STAGING = "/src/signet/build/package"  # where scripts/package.sh builds, inside the root
MESSAGE = (b"From: Alice <alice@example.com>\r\nTo: Bob <bob@example.net>\r\nSubject: packaged\r\n"
           b"Date: Tue, 2 Jan 2024 10:00:00 +0000\r\nMessage-ID: <packaging.1@example.com>\r\n\r\n"
           b"Hello Bob,\r\n\r\nsigned by the packaged signet-milter.\r\n")
NOTIFY = "/run/standin-notify.sock"
STANDIN_LOG = "/var/log/systemctl-standin.log"


class Failure(Exception):
    pass


def log(*words: object) -> None:
    print("packaging:", *words, flush=True)


def sh(root: str, command: str, timeout: float = 900, check: bool = True, env: dict | None = None) -> str:
    """`bash -c command` in the root; its output (stdout and stderr)."""
    p = subprocess.run(fr.in_root(root, ["bash", "-c", command], env=env), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout)
    out = p.stdout.decode(errors="replace")
    if check and p.returncode != 0:
        raise Failure(f"`{command}` exited {p.returncode}:\n{out[-3000:]}")
    return out


def apt(root: str, args: str, timeout: float = 900) -> str:
    return sh(root, f"DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends {args}", timeout)


def install_debs(root: str, directory: str) -> str:
    """`apt-get install ./signet*.deb ./qmail-signet*.deb` in `directory` of the root."""
    return sh(root, f"cd {directory} && DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends "
                    "install ./signet*.deb ./qmail-signet*.deb")


def copy_root(root: str, dest: str) -> None:
    if os.path.lexists(dest):
        remove_root(dest)
    pristine = fr.pristine(root)
    if not os.path.isdir(pristine):
        raise Failure(f"no untouched root at {pristine} (the fresh_root fixture did not keep one)")
    subprocess.run(["cp", "-a", pristine, dest], check=True)


def processes_in(root: str) -> list[int]:
    """Processes whose root directory is `root` (what a test started there)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/root") == root:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def remove_root(root: str) -> None:
    for pid in processes_in(root):
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    time.sleep(0.2)
    with open("/proc/self/mounts") as f:
        if any(line.split()[1].startswith(root.rstrip("/") + "/") for line in f):
            raise Failure(f"refusing to remove {root}: something is mounted under it")
    shutil.rmtree(root, ignore_errors=True)


def readme_package_line(source: str) -> str:
    lines = [line for block in demo_run.fenced_blocks(os.path.join(source, "README.md"), "sh")
             for line in block if "scripts/package.sh" in line]
    if len(lines) != 1:
        raise Failure(f"README.md: expected one sh line running scripts/package.sh, found {lines}")
    return lines[0].split("#")[0].strip()


def deb_field(deb: str, field: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", deb, field], stdout=subprocess.PIPE, check=True,
                          text=True).stdout.strip()


def deb_files(deb: str) -> list[str]:
    out = subprocess.run(["dpkg-deb", "-c", deb], stdout=subprocess.PIPE, check=True, text=True).stdout
    return [line.split(None, 5)[5].split(" -> ")[0].lstrip(".") for line in out.splitlines()]


def version_of(staging: str) -> str:
    with open(os.path.join(staging, "debian", "changelog")) as f:
        m = re.match(r"signet \(([^)]+)\)", f.readline())
    if not m:
        raise Failure("debian/changelog does not start with a signet entry")
    return m.group(1)


def debs_in(directory: str, version: str) -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        for suffix in ("", "-dbgsym"):
            path = os.path.join(directory, f"{name}{suffix}_{version}_amd64.deb")
            if not os.path.exists(path):
                raise Failure(f"the build made no {os.path.basename(path)} (has {sorted(os.listdir(directory))})")
            found[name + suffix] = path
    return found


def check_debs(debs: dict[str, str], held: list[str]) -> None:
    want = {
        "signet": ["/usr/bin/signet", "/usr/share/man/man1/signet.1.gz"],
        "signet-milter": ["/usr/sbin/signet-milter", "/etc/signet/signet.conf",
                          "/lib/systemd/system/signet-milter.service", "/usr/share/man/man5/signet.conf.5.gz",
                          "/usr/share/man/man8/signet-milter.8.gz",
                          "/usr/share/doc/signet-milter/examples/signet.conf.example"],
        "qmail-signet": ["/usr/bin/qmail-signet", "/usr/share/man/man8/qmail-signet.8.gz"],
    }
    depends = {
        "signet": ["libc6", "libssl3", "libunbound8", "libstdc++6"],
        "signet-milter": ["adduser", "libc6", "libssl3", "libunbound8", "libmilter1.0.1", "libstdc++6"],
        "qmail-signet": ["libc6", "libstdc++6"],
    }
    for name in PACKAGES:
        files = deb_files(debs[name])
        missing = [f for f in want[name] if f not in files]
        if missing:
            raise Failure(f"{name}.deb lacks {missing}")
        got = [d.strip().split()[0] for d in deb_field(debs[name], "Depends").split(",")]
        if [d for d in depends[name] if d not in got]:
            raise Failure(f"{name}'s Depends are {got}; expected (computed by shlibs) {depends[name]}")
        held.append(f"{name}.deb: {', '.join(want[name])}; Depends {', '.join(got)}")
        if not deb_field(debs[name + "-dbgsym"], "Package").endswith("-dbgsym"):
            raise Failure(f"{name}-dbgsym is not a debug symbol package")
    held.append("signet-dbgsym, signet-milter-dbgsym, qmail-signet-dbgsym built")
    conffiles = subprocess.run(["dpkg-deb", "-I", debs["signet-milter"], "conffiles"], stdout=subprocess.PIPE,
                               text=True).stdout.split()
    if conffiles != ["/etc/signet/signet.conf"]:
        raise Failure(f"signet-milter's conffiles are {conffiles}, expected /etc/signet/signet.conf")
    held.append("signet-milter: /etc/signet/signet.conf is its one conffile")


def build(root: str, source: str, work: str) -> list[str]:
    held: list[str] = []
    os.makedirs(work, exist_ok=True)
    broot = os.path.join(work, "build-root")
    copy_root(root, broot)
    fr.copy_source(source, broot + fr.SOURCE_IN_ROOT)
    present = [t for t in ("gcc", "g++", "cmake", "dpkg-buildpackage") if os.path.exists(f"{broot}/usr/bin/{t}")]
    if present:
        raise Failure(f"the fresh root already has {present}")
    line = readme_package_line(source)
    log(f"in a fresh Debian 12 root, as the README says: {line}")
    started = time.monotonic()
    out = sh(broot, f"cd {fr.SOURCE_IN_ROOT} && {line}", timeout=3600)
    with open(os.path.join(work, "package-sh.log"), "w") as f:
        f.write(out)
    held.append(f"`{line}` exit 0 in a fresh root in {time.monotonic() - started:.0f} s (log: package-sh.log)")
    m = re.findall(r"100% tests passed, 0 tests failed out of (\d+)", out)
    if not m or "-L unit" not in out:
        raise Failure("the package build ran no unit tests (ctest -L unit), or they failed")
    held.append(f"the package build ran the unit tests: {m[-1]} passed (ctest -L unit)")
    staging = broot + STAGING
    tree = f"{STAGING}/signet-{version_of_upstream(staging)}"
    version = version_of(broot + tree)
    debs = debs_in(staging, version)
    check_debs(debs, held)
    installed = sh(broot, "dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' " + " ".join(PACKAGES))
    if any(f"{p} {version} ii" not in installed for p in PACKAGES):
        raise Failure(f"scripts/package.sh did not install the packages: {installed}")
    held.append(f"scripts/package.sh installed {', '.join(PACKAGES)} {version}")

    apt(broot, "install lintian systemd")
    lint = sh(broot, f"lintian --display-level '>=info' --show-overrides --fail-on error,warning "
                     f"{STAGING}/signet_{version}_amd64.changes", check=False, timeout=1200)
    with open(os.path.join(work, "lintian.log"), "w") as f:
        f.write(lint)
    bad = [x for x in lint.splitlines() if re.match(r"^[EW]: ", x)]
    if bad:
        raise Failure("lintian reports:\n" + "\n".join(bad))
    overridden = [x for x in lint.splitlines() if x.startswith("O: ")]
    info = [x for x in lint.splitlines() if x.startswith(("I: ", "P: ", "X: "))]
    held.append(f"lintian on the .changes: no error, no warning; {len(overridden)} overridden, "
                f"{len(info)} info/pedantic tags (lintian.log)")
    check_override_comments(broot + tree + "/debian", held)
    unit = "/lib/systemd/system/signet-milter.service"
    verify = sh(broot, f"systemd-analyze verify {unit} 2>&1", check=False)
    if verify.strip():
        raise Failure(f"systemd-analyze verify {unit} says:\n{verify}")
    held.append(f"systemd-analyze verify {unit}: no complaint")
    security = sh(broot, f"systemd-analyze security --offline=true --no-pager {unit} 2>&1", check=False)
    with open(os.path.join(work, "systemd-analyze-security.txt"), "w") as f:
        f.write(security)
    exposure = [x.strip() for x in security.splitlines() if "Overall exposure level" in x]
    if not exposure:
        raise Failure(f"systemd-analyze security printed no exposure level:\n{security[-1500:]}")
    held.append(f"systemd-analyze security: {exposure[0]} (systemd-analyze-security.txt)")

    next_version = re.sub(r"-(\d+)$", lambda m: f"-{int(m.group(1)) + 1}", version)
    with open(broot + tree + "/debian/changelog") as f:
        changelog = f.read()
    with open(broot + tree + "/debian/changelog", "w") as f:
        f.write(f"signet ({next_version}) unstable; urgency=medium\n\n"
                "  * Rebuilt by tests/packaging, to test the upgrade.\n\n"
                f" -- Signet developers <signet@example.org>  {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}"
                "\n\n" + changelog)
    sh(broot, f"cd {tree} && dpkg-buildpackage -b -us -uc -nc -j2", timeout=1800)
    debs2 = debs_in(staging, next_version)
    held.append(f"rebuilt as {next_version}")
    for name, found in (("debs-1", debs), ("debs-2", debs2)):
        dest = os.path.join(work, name)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        for package, path in found.items():
            if not package.endswith("-dbgsym"):
                shutil.copy(path, dest)
    remove_root(broot)
    return held


def version_of_upstream(staging: str) -> str:
    trees = [d for d in os.listdir(staging) if d.startswith("signet-") and os.path.isdir(os.path.join(staging, d))]
    if len(trees) != 1:
        raise Failure(f"expected one signet-VERSION tree in {STAGING}, found {trees}")
    return trees[0][len("signet-"):]


def check_override_comments(debian: str, held: list[str]) -> None:
    count = 0
    for name in sorted(os.listdir(debian)):
        if name.endswith("lintian-overrides"):
            with open(os.path.join(debian, name)) as f:
                lines = f.read().splitlines()
            for i, line in enumerate(lines):
                if line.strip() and not line.startswith("#"):
                    count += 1
                    if i == 0 or not lines[i - 1].startswith("#"):
                        raise Failure(f"debian/{name}: override {line!r} has no comment giving its reason")
    held.append(f"every lintian override ({count}) carries a comment with its reason")


# --------------------------------------------------------------------------- install


class NotifyListener:
    """The service manager's notification socket, as seen from the root: records what
    the daemon sends (READY=1, RELOADING=1, STOPPING=1)."""

    def __init__(self, path: str):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o777)  # the daemon runs as signet
        self.sock.settimeout(0.2)
        self.states: list[str] = []
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done:
            try:
                self.states.append(self.sock.recv(4096).decode(errors="replace"))
            except socket.timeout:
                continue
            except OSError:
                return

    def wait_for(self, prefix: str, after: int, limit: float = 10.0) -> bool:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if any(s.startswith(prefix) for s in self.states[after:]):
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self.done = True
        self.thread.join()
        self.sock.close()


SKIP_TREES = ("/proc", "/dev", "/sys", "/run", "/tmp", "/root", "/var/cache", "/var/lib/apt", "/var/log",
              "/var/lib/dpkg", "/var/tmp")


def file_list(root: str) -> set[str]:
    out = set()
    for top, dirs, files in os.walk(root):
        rel = top[len(root):] or "/"
        if rel.startswith(SKIP_TREES) and rel != "/":
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if not os.path.join(rel, d).startswith(SKIP_TREES)]
        for name in dirs + files:
            out.add(os.path.join(rel, name))
    return out


def sha(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def key_hashes(iroot: str) -> dict[str, str]:
    keys = iroot + "/etc/signet/keys"
    return {name: sha(os.path.join(keys, name)) for name in os.listdir(keys)}


def daemon_pid(iroot: str) -> int | None:
    try:
        with open(iroot + "/run/systemctl-standin/signet-milter.service.pid") as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    return pid if demo_run.alive(pid) else None


def uid_of(iroot: str, user: str) -> tuple[int, int]:
    for line in open(iroot + "/etc/passwd").read().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise Failure(f"no user {user} in the root")


def sign_and_verify(iroot: str, what: str, held: list[str]) -> None:
    """One message through /run/signet/signet.sock as Postfix would send it, the result
    verified by the packaged `signet verify` with the published record."""
    client = mc.MilterClient(iroot + "/run/signet/signet.sock")
    try:
        client.connect_info("localhost", "127.0.0.1")
        reply = client.message(MESSAGE)
    finally:
        client.quit()
    if reply.final not in (mc.SMFIR_ACCEPT, mc.SMFIR_CONTINUE):
        raise Failure(f"{what}: the milter answered {reply.final!r}")
    signed = reply.apply(MESSAGE, client.leading_space)
    if not reply.inserted(b"DKIM-Signature"):
        raise Failure(f"{what}: the milter added no DKIM-Signature (edits {reply.edits})")
    with open(iroot + "/etc/signet/keys/s2026.txt") as f:
        record = f.read().strip()
    key = fx.Key("s2026", "/etc/signet/keys/s2026.private", record)
    fx.write_unbound_conf(iroot + "/root/published.conf", [key])
    with open(iroot + "/root/signed.eml", "wb") as f:
        f.write(signed)
    out = sh(iroot, "signet verify --resolver-conf /root/published.conf < /root/signed.eml")
    if not re.search(r"dkim=pass .*header\.s=s2026", " ".join(out.split())):
        raise Failure(f"{what}: signet verify says {out}")
    held.append(f"{what}: signed through /run/signet/signet.sock; `signet verify` says dkim=pass header.s=s2026")


def install(root: str, source: str, work: str) -> list[str]:
    held: list[str] = []
    for name in ("debs-1", "debs-2"):
        if not os.path.isdir(os.path.join(work, name)):
            raise Failure(f"no {name} in {work} (packaging_build did not pass)")
    iroot = os.path.join(work, "install-root")
    copy_root(root, iroot)
    # systemd's place is taken by systemctl_standin.sh; maintainer scripts then
    # call it as they would call systemd (policy-rc.d would forbid them).
    os.unlink(iroot + "/usr/sbin/policy-rc.d")
    os.makedirs(iroot + "/run/systemd/system", exist_ok=True)
    shutil.copy(os.path.join(HERE, "systemctl_standin.sh"), iroot + "/usr/bin/systemctl")
    os.chmod(iroot + "/usr/bin/systemctl", 0o755)
    for name in ("debs-1", "debs-2"):
        shutil.copytree(os.path.join(work, name), f"{iroot}/root/{name}")
    notify = NotifyListener(iroot + NOTIFY)
    try:
        sh(iroot, "apt-get -q update")
        before = file_list(iroot)
        held += install_and_run(iroot, source, notify)
        held += upgrade_remove_purge(iroot, notify, before)
    finally:
        notify.close()
        for pid in processes_in(iroot):
            try:
                os.kill(pid, 15)
            except OSError:
                pass
    remove_root(iroot)
    return held


def install_and_run(iroot: str, source: str, notify: NotifyListener) -> list[str]:
    held: list[str] = []
    out = install_debs(iroot, "/root/debs-1")
    held.append("apt-get install ./signet*.deb ./qmail-signet*.deb in a fresh root: exit 0")
    pulled = sh(iroot, "dpkg-query -W -f '${Package} ${db:Status-Abbrev}\\n' libmilter1.0.1 libunbound8 libssl3 adduser")
    if pulled.count(" ii") != 4:
        raise Failure(f"the dependencies were not pulled in: {pulled}")
    held.append("apt pulled libmilter1.0.1, libunbound8, libssl3 and adduser")
    if "not started: no key in /etc/signet/keys yet" not in out:
        raise Failure(f"the first install did not say the service waits for a key:\n{out[-1500:]}")
    passwd = open(iroot + "/etc/passwd").read()
    m = re.search(r"^signet:x:(\d+):(\d+):[^:]*:/nonexistent:/usr/sbin/nologin$", passwd, re.M)
    if not m or int(m.group(1)) >= 1000:
        raise Failure("the package made no system user signet (home /nonexistent, no login)")
    uid, gid = int(m.group(1)), int(m.group(2))
    if not re.search(rf"^signet:x:{gid}:", open(iroot + "/etc/group").read(), re.M):
        raise Failure("the user signet's group is not the group signet")
    st = os.stat(iroot + "/etc/signet/keys")
    if (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) != (0o750, 0, gid):
        raise Failure(f"/etc/signet/keys is {stat.S_IMODE(st.st_mode):o} {st.st_uid}:{st.st_gid}, not 0750 root:signet")
    held.append(f"system user and group signet (uid {uid}); /etc/signet/keys 0750 root:signet")
    if not os.path.islink(iroot + "/etc/systemd/system/multi-user.target.wants/signet-milter.service"):
        raise Failure("the unit was not enabled")
    standin = open(iroot + STANDIN_LOG).read()
    if "ConditionPathExistsGlob=/etc/signet/keys/* not met" not in standin or daemon_pid(iroot):
        raise Failure(f"without a key the service should stay stopped; systemctl saw:\n{standin}")
    held.append("unit enabled; its start on a fresh install skipped (no key: ConditionPathExistsGlob), "
                "nothing secret generated")
    if os.listdir(iroot + "/etc/signet/keys"):
        raise Failure("the install put files in /etc/signet/keys")
    conf = open(iroot + "/etc/signet/signet.conf").read()
    if re.findall(r"^Socket\s+(\S+)", conf, re.M) != ["local:/run/signet/signet.sock"]:
        raise Failure("the shipped signet.conf does not listen on local:/run/signet/signet.sock")

    block = script_with_heredocs(os.path.join(source, "packaging", "README.md"))
    with open(iroot + "/root/keys.sh", "w") as f:
        f.write("set -e\n" + block + "\n")
    out = sh(iroot, "bash /root/keys.sh")
    held.append(f"packaging/README's key block, as written ({len(block.splitlines())} lines): exit 0")
    if "configuration /etc/signet/signet.conf OK" not in out:
        raise Failure(f"signet-milter -n did not pass on the shipped configuration with the key:\n{out}")
    held.append("signet-milter -n passes on the shipped configuration once the key is added")
    key = os.stat(iroot + "/etc/signet/keys/s2026.private")
    if (stat.S_IMODE(key.st_mode), key.st_uid) != (0o600, uid):
        raise Failure(f"the key is {stat.S_IMODE(key.st_mode):o} uid {key.st_uid}, not 0600 signet")
    pid = daemon_pid(iroot)
    if pid is None:
        raise Failure("systemctl start signet-milter started no daemon:\n" + open(iroot + STANDIN_LOG).read()
                      + open(iroot + "/var/log/signet-milter.service.log").read())
    uids = [line.split()[1:] for line in open(f"/proc/{pid}/status") if line.startswith(("Uid:", "Gid:"))]
    if uids != [[str(uid)] * 4, [str(gid)] * 4]:
        raise Failure(f"the daemon runs with {uids}, not as signet")
    cmdline = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
    if cmdline[:4] != [b"/usr/sbin/signet-milter", b"-f", b"-c", b"/etc/signet/signet.conf"]:
        raise Failure(f"the daemon is {cmdline}, not the unit's ExecStart")
    held.append(f"daemon (pid {pid}) runs the unit's ExecStart as signet:signet; the key is 0600 signet")
    if not notify.wait_for("READY=1", 0):
        raise Failure(f"the daemon never told the service manager READY=1: {notify.states}")
    held.append("Type=notify: READY=1 received")
    sst = os.stat(iroot + "/run/signet")
    sock = os.stat(iroot + "/run/signet/signet.sock")
    if (stat.S_IMODE(sst.st_mode), sst.st_uid, sst.st_gid) != (0o750, uid, gid) or \
            (stat.S_IMODE(sock.st_mode), sock.st_uid) != (0o770, uid):
        raise Failure(f"/run/signet {stat.S_IMODE(sst.st_mode):o} {sst.st_uid}:{sst.st_gid}, socket "
                      f"{stat.S_IMODE(sock.st_mode):o} {sock.st_uid}")
    held.append("/run/signet 0750 signet:signet, signet.sock 0770 signet")
    sign_and_verify(iroot, "installed", held)
    mark = len(notify.states)
    sh(iroot, "systemctl reload signet-milter")
    if not notify.wait_for("READY=1", mark) or not any(s.startswith("RELOADING=1") for s in notify.states[mark:]):
        raise Failure(f"reload: expected RELOADING=1 then READY=1, got {notify.states[mark:]}")
    if "configuration and keys reloaded" not in open(iroot + "/var/log/signet-milter.service.log").read():
        raise Failure("systemctl reload: the daemon did not reload its keys (as signet)")
    held.append("systemctl reload: keys re-read as signet; RELOADING=1, READY=1")
    return held


def script_with_heredocs(readme: str) -> str:
    """The sh block with `chown signet:` exactly as written, here-documents included
    (fenced_blocks leaves out lines starting with '#', which a here-document may hold)."""
    found = [block for block in re.findall(r"```sh\n(.*?)```", open(readme).read(), re.S)
             if "\nchown signet:" in "\n" + block]
    if len(found) != 1:
        raise Failure(f"packaging/README.md: expected one sh block with `chown signet:`, found {len(found)}")
    return found[0]


def upgrade_remove_purge(iroot: str, notify: NotifyListener, before: set[str]) -> list[str]:
    held: list[str] = []
    conf = iroot + "/etc/signet/signet.conf"
    keys = key_hashes(iroot)
    edited = sha(conf)
    old_pid = daemon_pid(iroot)
    install_debs(iroot, "/root/debs-2")
    versions = sh(iroot, "dpkg-query -W -f '${Version}\\n' signet signet-milter qmail-signet").split()
    if len(set(versions)) != 1 or versions[0].endswith("-1"):
        raise Failure(f"the upgrade left versions {versions}")
    if sha(conf) != edited or [f for f in os.listdir(iroot + "/etc/signet") if ".dpkg-" in f]:
        raise Failure("the upgrade changed the edited /etc/signet/signet.conf (or left a .dpkg- file)")
    if key_hashes(iroot) != keys:
        raise Failure("the upgrade changed /etc/signet/keys")
    new_pid = daemon_pid(iroot)
    if new_pid is None or new_pid == old_pid:
        raise Failure(f"the upgrade did not restart the daemon (was {old_pid}, now {new_pid})")
    held.append(f"upgrade to {versions[0]}: edited signet.conf and keys kept; daemon restarted "
                f"(pid {old_pid} -> {new_pid})")
    sign_and_verify(iroot, "after the upgrade", held)

    apt(iroot, "remove signet-milter signet qmail-signet")
    if demo_run.alive(new_pid) or "stopped signet-milter.service" not in open(iroot + STANDIN_LOG).read():
        raise Failure("apt-get remove did not stop the service")
    gone = [p for p in ("/usr/sbin/signet-milter", "/usr/bin/signet", "/usr/bin/qmail-signet", "/run/signet")
            if os.path.lexists(iroot + p)]
    if gone or not os.path.exists(conf) or sha(conf) != edited:
        raise Failure(f"after remove: left {gone}; the conffile should stay until purge")
    held.append("remove: service stopped, programs and /run/signet gone, signet.conf kept until purge")
    states = sh(iroot, "dpkg-query -W -f '${Package} ${db:Status-Abbrev}\\n' signet-milter signet qmail-signet 2>&1",
                check=False)
    if "signet-milter rc" not in states or re.search(r"^(signet|qmail-signet) (?!un)", states, re.M):
        raise Failure(f"after remove, expected signet-milter with its configuration only and the others "
                      f"gone (they have no conffiles): {states}")
    out = apt(iroot, "purge signet-milter")
    if "/etc/signet/keys and the 2 file(s) in it were kept" not in out:
        raise Failure(f"purge did not say that the keys were kept:\n{out[-1500:]}")
    if os.path.exists(conf):
        raise Failure("purge left /etc/signet/signet.conf")
    if key_hashes(iroot) != keys:
        raise Failure("purge touched the keys")
    if not re.search(r"^signet:", open(iroot + "/etc/passwd").read(), re.M):
        raise Failure("purge removed the system account (Debian keeps it)")
    held.append("purge: signet.conf gone; /etc/signet/keys and both key files kept, said on the terminal; "
                "the account stays")
    apt(iroot, "autoremove --purge")
    after = file_list(iroot)
    allowed = {"/etc/signet", "/etc/signet/keys", "/etc/signet/keys/s2026.private", "/etc/signet/keys/s2026.txt",
               "/etc/passwd-", "/etc/group-", "/etc/shadow-", "/etc/gshadow-"}
    added, removed = sorted(after - before - allowed), sorted(before - after)
    if added or removed:
        raise Failure(f"after purge and autoremove, against the root before the install: added {added}, "
                      f"removed {removed}")
    held.append("file list after purge (and autoremove of the pulled dependencies) = before the install, "
                "plus /etc/signet/keys with the keys (and adduser's /etc/passwd- backups)")
    return held


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["build", "install", "clean"])
    ap.add_argument("--root")
    ap.add_argument("--source")
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    if args.command == "clean":
        for name in ("build-root", "install-root"):
            if os.path.lexists(os.path.join(work, name)):
                remove_root(os.path.join(work, name))
        for name in ("debs-1", "debs-2"):
            shutil.rmtree(os.path.join(work, name), ignore_errors=True)
        return 0
    root = os.path.abspath(args.root)
    try:
        if (code := fr.needs_root(root)) is not None:
            return code
        if args.command == "build":
            held = build(root, os.path.abspath(args.source), work)
        else:
            held = install(root, os.path.abspath(args.source), work)
    except (Failure, fr.Failure, fx.Failure, mc.ProtocolError, OSError, subprocess.SubprocessError) as e:
        return demo_run.report(f"packaging {args.command}", [], e)
    return demo_run.report(f"packaging {args.command}", held)


if __name__ == "__main__":
    sys.exit(main())
