#!/usr/bin/env python3
"""The Debian package: `cpack -G DEB` into a temporary folder, then its
contents list (`dpkg-deb -c`) holds the two programs, the systemd units, the
example configuration in /etc/rollcall/examples (as conffiles), the man pages
(gzipped), the documentation, the copyright file and the Debian changelog;
its control data names a real maintainer, the package of every library the
programs load (dpkg-shlibdeps) and the maintainer scripts, which create the
rollcall user and reach systemd through deb-systemd-helper and
deb-systemd-invoke only. Unpacked (`dpkg-deb -x`), its units run /usr/bin's
programs, its man pages are well-formed, and its programs answer --help and
read its example configuration; built without sanitizers, the programs carry
Debian's hardening (PIE, RELRO and BIND_NOW, stack protector, FORTIFY).
lintian finds no error and no warning in it.

Skipped, saying so, where cpack or dpkg-deb is absent; lintian's test where
lintian is, unless ROLLCALL_REQUIRE_PACKAGE_TOOLS=1 (ops/test) makes that a
failure. Installing it on a clean system: test_package_chroot.py.
"""

import gzip
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

BUILD = os.path.dirname(os.path.abspath(rh.BIN))

WANT = [
    "./usr/bin/rollcall-agg",
    "./usr/bin/rollcall-school",
    "./usr/lib/systemd/system/rollcall-agg@.service",
    "./usr/lib/systemd/system/rollcall-agg-backup@.service",
    "./usr/lib/systemd/system/rollcall-agg-backup@.timer",
    "./usr/lib/systemd/system/rollcall-school-watch.service",
    "./usr/lib/systemd/system/rollcall-school-sync.service",
    "./usr/lib/systemd/system/rollcall-school-sync.timer",
    "./etc/rollcall/examples/agg.conf",
    "./etc/rollcall/examples/school.conf",
    "./usr/share/man/man1/rollcall-agg.1.gz",
    "./usr/share/man/man1/rollcall-school.1.gz",
    "./usr/share/doc/rollcall/copyright",
    "./usr/share/doc/rollcall/changelog.Debian.gz",
    "./usr/share/doc/rollcall/README.md",
    "./usr/share/doc/rollcall/RUNBOOK.md",
    "./usr/share/doc/rollcall/SECURITY.md",
    "./usr/share/doc/rollcall/examples/rollcall-dashboard.conf",
    "./usr/share/doc/rollcall/examples/rollcall-rules.yml",
    "./usr/share/doc/rollcall/examples/rollcall-rules.test.yml",
]


PROGRAMS = ("rollcall-agg", "rollcall-school")


def tool(name):
    return shutil.which(name)


def sanitized_build():
    with open(os.path.join(BUILD, "CMakeCache.txt"), encoding="utf-8") as f:
        return re.search(r"^ROLLCALL_SANITIZE:BOOL=(ON|1|TRUE|YES)$", f.read(), re.M | re.I)


def readelf(*args):
    return subprocess.run(["readelf", "--wide"] + list(args), capture_output=True, text=True,
                          check=True, timeout=60).stdout


def make_deb(out):
    """`cpack -G DEB` of this build into the folder out; the path of the one .deb made."""
    p = subprocess.run(["cpack", "-G", "DEB", "-B", out, "--config",
                        os.path.join(BUILD, "CPackConfig.cmake")],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError("cpack -G DEB failed:\n%s%s" % (p.stdout, p.stderr))
    debs = [n for n in os.listdir(out) if n.endswith(".deb")]
    if len(debs) != 1:
        raise AssertionError("cpack should make one .deb in %s, made %s" % (out, debs))
    return os.path.join(out, debs[0])


def depends_of(deb):
    """The package names in a .deb's Depends, alternatives included."""
    field = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True, text=True,
                           check=True, timeout=60).stdout
    return {alt.split()[0] for dep in field.split(",") for alt in dep.split("|") if alt.strip()}


class Package(rh.RollcallTestCase):
    harness_name = "package"

    @classmethod
    def build(cls):
        cls.deb = None
        if tool("cpack") and tool("dpkg-deb"):
            cls.deb = make_deb(cls.h.path("pkg"))

    def setUp(self):
        if self.deb is None:
            self.skipTest("cpack or dpkg-deb is not installed: the package was not built")

    def dpkg_deb(self, *args):
        return subprocess.run(["dpkg-deb"] + list(args), capture_output=True, text=True,
                              check=True, timeout=60).stdout

    def test_1_the_contents_list_holds_programs_units_examples_and_man_pages(self):
        listing = self.dpkg_deb("-c", self.deb)
        entries = {}
        for line in listing.splitlines():
            fields = line.split(None, 5)
            entries[fields[5].split(" -> ")[0]] = fields[0]
        missing = [w for w in WANT if w not in entries]
        self.assertEqual(missing, [], "missing from the package:\n" + listing)
        for exe in ("./usr/bin/rollcall-agg", "./usr/bin/rollcall-school"):
            self.assertEqual(entries[exe], "-rwxr-xr-x", exe)
        # Nothing outside the standard layout (no /usr/local, no build paths).
        stray = [e for e in entries if not e.startswith(("./usr/bin", "./usr/lib/systemd",
                                                        "./usr/share/", "./etc/rollcall"))
                 and e not in ("./usr/", "./usr/lib/", "./etc/")]
        self.assertEqual(stray, [], "unexpected entries")

    def test_2_control_data_depends_conffiles_and_the_service_user(self):
        info = self.dpkg_deb("-f", self.deb, "Package", "Depends", "Maintainer")
        self.assertIn("Package: rollcall", info)
        self.assertRegex(info, r"Maintainer: [^<\n]+ <[^@>\s]+@[^@>\s]+\.[a-z]+>")
        self.assertNotIn("localhost", info)
        # Every library the programs load comes from a package the Depends names: the host
        # package holding each NEEDED library (the one the build linked against).
        root = self.h.path("root-deps")
        self.dpkg_deb("-x", self.deb, root)
        depends = depends_of(self.deb)
        self.assertIn("adduser", depends, "postinst calls adduser")
        for exe in PROGRAMS:
            needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]",
                                readelf("-d", os.path.join(root, "usr", "bin", exe)))
            self.assertTrue(needed, exe)
            for lib in needed:
                owner = subprocess.run(["dpkg", "-S", "*/" + lib], capture_output=True,
                                       text=True, timeout=60).stdout
                packages = {line.split(":")[0] for line in owner.splitlines()}
                self.assertTrue(packages, "%s: no package holds %s" % (exe, lib))
                self.assertTrue(packages & depends, "%s needs %s (%s), Depends lacks it: %s"
                                % (exe, lib, ", ".join(sorted(packages)), sorted(depends)))
        control = self.h.path("control")
        self.dpkg_deb("-e", self.deb, control)
        with open(os.path.join(control, "conffiles"), encoding="utf-8") as f:
            self.assertEqual(f.read().split(), ["/etc/rollcall/examples/agg.conf",
                                                "/etc/rollcall/examples/school.conf"])
        with open(os.path.join(control, "postinst"), encoding="utf-8") as f:
            self.assertIn("adduser --system --group", f.read())
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(control, script)
            self.assertTrue(os.access(path, os.X_OK), "%s is not executable" % script)
            subprocess.run(["sh", "-n", path], check=True, timeout=30)
            with open(path, encoding="utf-8") as f:
                code = [line.split("#")[0] for line in f.read().splitlines()]
            # systemd only through deb-systemd-helper/-invoke, as dh_installsystemd does;
            # daemon-reload is the one systemctl call Debian's scripts make.
            for line in code:
                if re.search(r"\bsystemctl\b", line):
                    self.assertIn("daemon-reload", line, "%s: %s" % (script, line))
            self.assertRegex("\n".join(code), r"deb-systemd-(helper|invoke) ", script)
        with gzip.open(os.path.join(self.h.path("root-deps"), "usr", "share", "doc", "rollcall",
                                    "changelog.Debian.gz"), "rt", encoding="utf-8") as f:
            first = f.readline()
        version = self.dpkg_deb("-f", self.deb, "Version").strip()
        self.assertTrue(first.startswith("rollcall (%s) " % version),
                        "the changelog's first entry should be the package's version %s: %s"
                        % (version, first))

    def test_3_unpacked_it_runs_and_reads_its_own_examples(self):
        root = self.h.path("root")
        self.dpkg_deb("-x", self.deb, root)
        units = os.path.join(root, "usr", "lib", "systemd", "system")
        with open(os.path.join(units, "rollcall-agg@.service"), encoding="utf-8") as f:
            self.assertIn("ExecStart=/usr/bin/rollcall-agg run --config /etc/rollcall/%i.conf",
                          f.read())
        agg = os.path.join(root, "usr", "bin", "rollcall-agg")
        school = os.path.join(root, "usr", "bin", "rollcall-school")
        self.assertIn("backup", self.h.run([agg, "--help"]).stdout)
        self.assertIn("--config", self.h.run([school, "--help"]).stdout)
        examples = os.path.join(root, "etc", "rollcall", "examples")
        for exe, conf in ((agg, "agg.conf"), (school, "school.conf")):
            p = self.h.run([exe, "status", "--config", os.path.join(examples, conf)],
                           expect=rh.EXIT_DATA)
            self.assertIn("/var/lib/rollcall/", p.stderr, "the example's db should be used")
        if tool("man"):
            for page in ("rollcall-agg.1.gz", "rollcall-school.1.gz"):
                path = os.path.join(root, "usr", "share", "man", "man1", page)
                p = subprocess.run(["man", "--warnings", "-l", path], capture_output=True,
                                   text=True, timeout=60, env=dict(os.environ, MANPAGER="cat",
                                                                   MANWIDTH="80"))
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stderr.strip(), "", "%s: groff warnings" % page)
                self.assertIn("--config", p.stdout.replace("‐", "-"))

    def test_4_the_programs_carry_debians_hardening(self):
        if sanitized_build():
            self.skipTest("a build with sanitizers: the package is made from the build without")
        root = self.h.path("root-hardening")
        self.dpkg_deb("-x", self.deb, root)
        for exe in PROGRAMS:
            path = os.path.join(root, "usr", "bin", exe)
            dynamic = readelf("-d", path)
            self.assertRegex(dynamic, r"\(FLAGS_1\).*\bPIE\b", "%s: not PIE" % exe)
            self.assertRegex(dynamic, r"\((FLAGS\).*\bBIND_NOW|FLAGS_1\).*\bNOW)\b",
                             "%s: no BIND_NOW" % exe)
            self.assertIn("GNU_RELRO", readelf("-l", path), "%s: no RELRO" % exe)
            symbols = readelf("--dyn-syms", path)
            self.assertIn("__stack_chk_fail", symbols, "%s: no stack protector" % exe)
            self.assertRegex(symbols, r"\b__\w+_chk\b",
                             "%s: no FORTIFY function (__*_chk)" % exe)

    def test_5_lintian_finds_no_error_and_no_warning(self):
        if not tool("lintian"):
            if os.environ.get("ROLLCALL_REQUIRE_PACKAGE_TOOLS") == "1":
                self.fail("lintian is not installed (ops/test installs it)")
            self.skipTest("lintian is not installed (ops/test installs it)")
        p = subprocess.run(["lintian", "--no-tag-display-limit", self.deb], capture_output=True,
                           text=True, timeout=300)
        tags = [line for line in p.stdout.splitlines() if re.match(r"[EW]: ", line)]
        self.assertEqual(tags, [], "lintian:\n" + p.stdout + p.stderr)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    rh.main()
