#!/usr/bin/env python3
"""The Debian package on a clean system: a minimal Debian of the host's release
(`debootstrap --variant=minbase`, from the host's own mirror) is made in the
test's folder, the package made by `cpack -G DEB` is installed there with apt,
which has to fetch every package its Depends names and nothing else, and both
programs answer --help there; the service user and its private store folder
exist. Removing and purging the package runs its scripts cleanly and leaves a
store in /var/lib/rollcall in place.

The base system's packages are fetched once per build folder
(`debootstrap --make-tarball`, BUILD/debootstrap/) and unpacked from there.
Needs root (chroot) and debootstrap: skipped, saying so, without them (exit
77), unless ROLLCALL_REQUIRE_PACKAGE_TOOLS=1 (ops/test) makes a missing tool a
failure. Skipped in a build with sanitizers: the package is made from the
build without them (build/).
"""

import glob
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_package import BUILD, depends_of, make_deb, sanitized_build  # noqa: E402

SKIP = 77  # ctest's SKIP_RETURN_CODE for this test (tests/CMakeLists.txt)
DEFAULT_MIRROR = "http://deb.debian.org/debian"


def why_not():
    """Why this test cannot run here, or None."""
    if sanitized_build():
        return "a build with sanitizers: the package is made from the build without them"
    missing = [t for t in ("debootstrap", "cpack", "dpkg-deb") if not shutil.which(t)]
    if missing:
        why = "%s not installed (ops/test installs debootstrap)" % ", ".join(missing)
        if os.environ.get("ROLLCALL_REQUIRE_PACKAGE_TOOLS") == "1":
            print("FAIL: " + why, file=sys.stderr)
            sys.exit(1)
        return why
    if os.geteuid() != 0:
        return "not root: making a chroot and running programs in it needs root"
    return None


def host_release():
    """The host's release codename and the mirror its apt reads that release from."""
    codename = None
    with open("/etc/os-release", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VERSION_CODENAME="):
                codename = line.split("=", 1)[1].strip().strip('"')
    if not codename:
        raise AssertionError("/etc/os-release names no VERSION_CODENAME")
    # deb822 sources (URIs:/Suites: stanzas), then one-line ones: deb URI SUITE COMPONENTS.
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        with open(path, encoding="utf-8") as f:
            for stanza in f.read().split("\n\n"):
                fields = {}
                for line in stanza.splitlines():
                    if ":" in line and not line.startswith(("#", " ")):
                        key, value = line.split(":", 1)
                        fields[key.strip().lower()] = value.split()
                if "deb" in fields.get("types", []) and codename in fields.get("suites", []):
                    return codename, fields["uris"][0]
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for line in lines:
            words = [w for w in line.split() if not w.startswith("[")]
            if len(words) >= 3 and words[0] == "deb" and words[2] == codename:
                return codename, words[1]
    return codename, DEFAULT_MIRROR


def mounts_under(root):
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        points = [line.split()[4] for line in f]
    return [m for m in points if m == root or m.startswith(root + "/")]


class PackageOnCleanSystem(rh.RollcallTestCase):
    harness_name = "package-chroot"

    @classmethod
    def build(cls):
        cls.deb = make_deb(cls.h.path("pkg"))
        cls.codename, cls.mirror = host_release()
        cls.root = cls.h.path("root")
        cls.debootstrap(cls.base_tarball())

    @classmethod
    def run_logged(cls, args, timeout, env=None):
        p = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, **(env or {})))
        if p.returncode != 0:
            raise AssertionError("exit %d: %s\n--- stdout ---\n%s\n--- stderr ---\n%s"
                                 % (p.returncode, " ".join(args), p.stdout[-4000:],
                                    p.stderr[-4000:]))
        return p

    @classmethod
    def base_tarball(cls):
        """The base system's packages, fetched once per build folder and release."""
        cache = os.path.join(BUILD, "debootstrap")
        os.makedirs(cache, exist_ok=True)
        tarball = os.path.join(cache, "%s-minbase.tgz" % cls.codename)
        if not os.path.exists(tarball):
            partial = "%s.%d.tgz" % (tarball, os.getpid())
            cls.run_logged(["debootstrap", "--variant=minbase", "--make-tarball=" + partial,
                            cls.codename, cls.h.path("fetch"), cls.mirror], timeout=300)
            os.replace(partial, tarball)  # whole, or not at all
        return tarball

    @classmethod
    def debootstrap(cls, tarball):
        try:
            cls.run_logged(["debootstrap", "--variant=minbase", "--unpack-tarball=" + tarball,
                            cls.codename, cls.root, cls.mirror], timeout=300)
        finally:
            # debootstrap mounts /proc and /sys inside while it works: none may be left
            # when the harness removes the folder.
            left = mounts_under(cls.root)
            if left:
                for m in sorted(left, reverse=True):
                    subprocess.run(["umount", "-l", m], timeout=30)
                raise AssertionError("debootstrap left mounts under %s: %s" % (cls.root, left))

    def chroot(self, *args, expect=rh.EXIT_OK, timeout=120):
        p = subprocess.run(["chroot", self.root] + list(args), capture_output=True, text=True,
                           timeout=timeout, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive",
                                                     LC_ALL="C.UTF-8"))
        if p.returncode != expect:
            raise AssertionError("exit %d (expected %d) in the chroot: %s\n--- stdout ---\n%s"
                                 "\n--- stderr ---\n%s" % (p.returncode, expect, " ".join(args),
                                                           p.stdout[-4000:], p.stderr[-4000:]))
        return p

    def installed(self):
        p = self.chroot("dpkg-query", "-W", "-f", "${Package} ${Status}\n")
        return {line.split()[0] for line in p.stdout.splitlines()
                if line.endswith("install ok installed")}

    def test_1_apt_installs_it_with_what_its_depends_name(self):
        base = self.installed()
        shutil.copy(self.deb, os.path.join(self.root, "tmp"))
        inside = "/tmp/" + os.path.basename(self.deb)
        self.chroot("apt-get", "update", "-q", timeout=300)
        p = self.chroot("apt-get", "install", "-y", "-q", "--no-install-recommends", inside,
                        timeout=300)
        self.assertNotIn("not found", p.stdout + p.stderr, "a maintainer script lacks a command")
        self.assertNotIn("Warning", p.stdout + p.stderr)
        now = self.installed()
        self.assertIn("rollcall", now)
        # Each package the Depends names is there, and some of them had to be fetched.
        self.assertEqual(depends_of(self.deb) - now, set(), "Depends not installed")
        self.assertTrue(depends_of(self.deb) - base, "the base system had every dependency already: "
                        "the test proves nothing")

    def test_2_both_programs_answer_help_there(self):
        for exe, word in (("rollcall-agg", "backup"), ("rollcall-school", "--config")):
            p = self.chroot("/usr/bin/" + exe, "--help")
            self.assertIn(word, p.stdout, exe)
            self.assertEqual(p.stderr, "", exe)

    def test_3_the_service_user_owns_a_private_store_folder(self):
        p = self.chroot("getent", "passwd", "rollcall")
        self.assertEqual(p.stdout.split(":")[5], "/var/lib/rollcall")
        st = os.stat(os.path.join(self.root, "var", "lib", "rollcall"))
        self.assertEqual(st.st_mode & 0o777, 0o700)
        uid = int(p.stdout.split(":")[2])
        self.assertEqual(st.st_uid, uid)

    def test_4_remove_and_purge_keep_the_stores(self):
        store = os.path.join(self.root, "var", "lib", "rollcall", "agg.db")
        with open(store, "wb") as f:
            f.write(b"a store")
        self.chroot("apt-get", "remove", "-y", "-q", "rollcall")
        self.assertFalse(os.path.exists(os.path.join(self.root, "usr", "bin", "rollcall-agg")))
        self.chroot("apt-get", "purge", "-y", "-q", "rollcall")
        self.assertNotIn("rollcall", self.installed())
        with open(store, "rb") as f:
            self.assertEqual(f.read(), b"a store", "purge must not touch the stores")


if __name__ == "__main__":
    reason = why_not()
    if reason:
        print("SKIP: " + reason, file=sys.stderr)
        sys.exit(SKIP)
    rh.main()
