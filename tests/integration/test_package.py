#!/usr/bin/env python3
"""The Debian package: `cpack -G DEB` into a temporary folder, then its
contents list (`dpkg-deb -c`) holds the two programs, the systemd units, the
example configuration in /etc/rollcall/examples (as conffiles), the man pages
and the documentation; its control data names the libraries it needs and the
maintainer script that creates the rollcall user. Unpacked (`dpkg-deb -x`),
its units run /usr/bin's programs, its man pages are well-formed, and its
programs answer --help and read its example configuration.

Skipped, saying so, where cpack or dpkg-deb is absent.
"""

import os
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
    "./usr/share/man/man1/rollcall-agg.1",
    "./usr/share/man/man1/rollcall-school.1",
    "./usr/share/doc/rollcall/README.md",
    "./usr/share/doc/rollcall/RUNBOOK.md",
    "./usr/share/doc/rollcall/SECURITY.md",
]


def tool(name):
    return shutil.which(name)


class Package(rh.RollcallTestCase):
    harness_name = "package"

    @classmethod
    def build(cls):
        cls.deb = None
        if not (tool("cpack") and tool("dpkg-deb")):
            return
        out = cls.h.path("pkg")
        p = subprocess.run(["cpack", "-G", "DEB", "-B", out, "--config",
                            os.path.join(BUILD, "CPackConfig.cmake")],
                           capture_output=True, text=True, timeout=150)
        if p.returncode != 0:
            raise AssertionError("cpack -G DEB failed:\n%s%s" % (p.stdout, p.stderr))
        debs = [n for n in os.listdir(out) if n.endswith(".deb")]
        if len(debs) != 1:
            raise AssertionError("cpack should make one .deb in %s, made %s" % (out, debs))
        cls.deb = os.path.join(out, debs[0])

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
        info = self.dpkg_deb("-f", self.deb, "Package", "Depends")
        self.assertIn("Package: rollcall", info)
        for lib in ("libzmq5", "libsodium23", "libprotobuf-c1", "libsqlite3-0", "adduser"):
            self.assertIn(lib, info)
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
            for page in ("rollcall-agg.1", "rollcall-school.1"):
                path = os.path.join(root, "usr", "share", "man", "man1", page)
                p = subprocess.run(["man", "--warnings", "-l", path], capture_output=True,
                                   text=True, timeout=60, env=dict(os.environ, MANPAGER="cat",
                                                                   MANWIDTH="80"))
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stderr.strip(), "", "%s: groff warnings" % page)
                self.assertIn("--config", p.stdout.replace("‐", "-"))


if __name__ == "__main__":
    rh.main()
