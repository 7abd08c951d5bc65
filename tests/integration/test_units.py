#!/usr/bin/env python3
"""The systemd units as installed, and the configuration files of both programs.

- `cmake --install` (with DESTDIR, into the test's folder) lays the units out;
  with their ExecStart paths moved into that folder, `systemd-analyze verify`
  accepts each without a single warning (a misspelt key, which verify merely
  warns about, fails a control unit), and each carries the hardening the
  runbook promises. Skipped, saying so, where systemd-analyze is absent.
- `--config FILE` with the real programs: an aggregator made and run from its
  file alone, a school initialised and synced from its file alone, the
  county's report counting the school's students; options on the command
  line win over the file; the default file (ROLLCALL_AGG_CONFIG /
  ROLLCALL_SCHOOL_CONFIG standing in for /etc/rollcall) is read without
  --config; log-level in the file sets the level, ROLLCALL_LOG wins.
- Every mistake in a file is refused with FILE:LINE: reason and exit 2.
"""

import gzip
import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

BUILD = os.path.dirname(os.path.abspath(rh.BIN))
UNITS = ("rollcall-agg@.service", "rollcall-agg-backup@.service", "rollcall-agg-backup@.timer",
         "rollcall-school-watch.service", "rollcall-school-sync.service",
         "rollcall-school-sync.timer")
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
             "User": "rollcall", "StateDirectory": "rollcall", "ProtectHome": "yes",
             "UMask": "0077", "CapabilityBoundingSet": ""}


def install_prefix():
    with open(os.path.join(BUILD, "CMakeCache.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("CMAKE_INSTALL_PREFIX:"):
                return line.split("=", 1)[1].strip()
    raise AssertionError("no CMAKE_INSTALL_PREFIX in %s/CMakeCache.txt" % BUILD)


def unit_settings(path):
    """{key: [values]} of a unit file's [Service] (or [Timer]) section."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "[")) and "=" in line:
                k, v = line.split("=", 1)
                out.setdefault(k, []).append(v)
    return out


def agg_status(h, args):
    return json.loads(h.run([rh.AGG, "status", "--json"] + args).stdout)


class Units(rh.RollcallTestCase):
    harness_name = "units"

    @classmethod
    def build(cls):
        h = cls.h
        # The level comes from the configuration files here, unless a test sets it.
        h.env.pop("ROLLCALL_LOG", None)
        cls.dest = h.path("destdir")
        env = dict(h.env, DESTDIR=cls.dest)
        p = subprocess.run(["cmake", "--install", BUILD], env=env, capture_output=True,
                           text=True, timeout=120)
        if p.returncode != 0:
            raise AssertionError("cmake --install failed:\n%s%s" % (p.stdout, p.stderr))
        cls.prefix = install_prefix()
        cls.root = cls.dest + cls.prefix
        cls.unitdir = os.path.join(cls.root, "lib", "systemd", "system")

    # ---- units

    def verify(self, *paths):
        exe = shutil.which("systemd-analyze")
        if exe is None:
            self.skipTest("systemd-analyze is not installed: the units were not verified")
        p = subprocess.run([exe, "verify", "--man=no"] + list(paths), capture_output=True,
                           text=True, timeout=60)
        # verify only warns about unknown keys or bad values: any word about our units fails.
        ours = [l for l in (p.stdout + p.stderr).splitlines()
                if any(os.path.basename(x).split("@")[0].split(".")[0] in l for x in paths)]
        return p.returncode, ours

    def adapted(self, name, instance=None):
        """The installed unit with its binaries' paths moved into DESTDIR, in the test folder."""
        with open(os.path.join(self.unitdir, name), encoding="utf-8") as f:
            text = f.read()
        bindir = os.path.join(self.prefix, "bin")
        if name.endswith(".service"):
            self.assertIn(bindir + "/rollcall-agg " if "agg" in name else
                          bindir + "/rollcall-school ", text,
                          "%s should run the installed binary from %s" % (name, bindir))
        text = text.replace(bindir + "/rollcall-", os.path.join(self.root, "bin") + "/rollcall-")
        folder = self.h.path("units")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, name.replace("@.", "@%s." % instance) if instance else name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_1_the_units_are_installed_and_pass_systemd_analyze_verify(self):
        for name in UNITS:
            self.assertTrue(os.path.isfile(os.path.join(self.unitdir, name)),
                            "%s is not installed in %s" % (name, self.unitdir))
        paths = [self.adapted("rollcall-agg@.service", "agg"),
                 self.adapted("rollcall-agg-backup@.service", "agg"),
                 self.adapted("rollcall-agg-backup@.timer", "agg"),
                 self.adapted("rollcall-school-watch.service"),
                 self.adapted("rollcall-school-sync.service"),
                 self.adapted("rollcall-school-sync.timer")]
        for path in paths:
            rc, ours = self.verify(path)
            self.assertEqual((rc, ours), (0, []), "systemd-analyze verify %s" % path)

    def test_2_a_misspelt_key_is_caught(self):
        # The control: the check above would see what verify only warns about.
        path = self.adapted("rollcall-school-sync.service")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace("NoNewPrivileges=", "NoNewPrivilegez="))
        rc, ours = self.verify(path)
        self.assertTrue(ours, "verify should have named the misspelt key")

    def test_3_the_services_are_hardened_and_restart_on_failure(self):
        for name in ("rollcall-agg@.service", "rollcall-agg-backup@.service",
                     "rollcall-school-watch.service", "rollcall-school-sync.service"):
            s = unit_settings(os.path.join(self.unitdir, name))
            for k, v in HARDENING.items():
                self.assertIn(v, s.get(k, []), "%s: %s=%s missing" % (name, k, v))
            with open(os.path.join(self.unitdir, name), encoding="utf-8") as f:
                self.assertIsNone(re.search(r"@[A-Z_]+@", f.read()),
                                  "%s: a placeholder was left" % name)
            exec_start = s["ExecStart"][0]
            self.assertIn("--config /etc/rollcall/", exec_start)
        agg = unit_settings(os.path.join(self.unitdir, "rollcall-agg@.service"))
        self.assertEqual(agg["Restart"], ["on-failure"])
        # Neither a usage error (2) nor a store newer than the program (4) is cured by a restart.
        self.assertEqual(agg["RestartPreventExitStatus"], ["2 4"])
        self.assertEqual(agg["ExecStart"],
                         [os.path.join(self.prefix, "bin") +
                          "/rollcall-agg run --config /etc/rollcall/%i.conf"])
        watch = unit_settings(os.path.join(self.unitdir, "rollcall-school-watch.service"))
        self.assertIn("--watch", watch["ExecStart"][0])
        self.assertEqual(watch["RestartPreventExitStatus"], ["2 4"])
        timer = unit_settings(os.path.join(self.unitdir, "rollcall-school-sync.timer"))
        self.assertIn("OnUnitInactiveSec", timer)

    def test_3b_the_nightly_backup_command_works(self):
        # The backup unit's command line, with systemd's escapes resolved as systemd does
        # (%i the instance, %% and $$ a literal % and $), the store and the backup folder
        # moved into the test's folder, run by the shell the unit names.
        h = self.h
        s = unit_settings(os.path.join(self.unitdir, "rollcall-agg-backup@.service"))
        self.assertIn("rollcall/backups", s["StateDirectory"])
        timer = unit_settings(os.path.join(self.unitdir, "rollcall-agg-backup@.timer"))
        self.assertEqual(timer["Persistent"], ["true"])
        db = h.path("nightly.db")
        h.run([rh.AGG, "init", "--db", db, "--id", "410102", "--tier", "county", "--listen",
               "tcp://127.0.0.1:%d" % h.reserve_port()])
        conf = self.write("nightly.conf", "db = %s\n" % db)
        backups = h.path("backups")
        os.makedirs(backups)
        old = os.path.join(backups, "nightly-2001-01-01.db")
        open(old, "wb").close()
        os.utime(old, (978307200, 978307200))

        def command(line):
            line = line.replace("%i", "nightly").replace("%%", "%").replace("$$", "$")
            line = line.replace("/etc/rollcall/nightly.conf", conf)
            line = line.replace("/var/lib/rollcall/backups", backups)
            return line.replace(os.path.join(self.prefix, "bin"), rh.BIN)

        start = command(s["ExecStart"][0])
        self.assertTrue(start.startswith("/bin/sh -c '") and start.endswith("'"), start)
        for _ in range(2):  # the second run the same day replaces today's copy
            h.run(["/bin/sh", "-c", start[len("/bin/sh -c '"):-1]])
        made = [n for n in os.listdir(backups) if re.match(r"nightly-\d{4}-\d\d-\d\d\.db$", n)]
        self.assertEqual(len(made), 2, "today's backup and the old one: %s" % made)
        today = [n for n in made if n != os.path.basename(old)][0]
        self.assertEqual(rh.integrity_check(os.path.join(backups, today)), ["ok"])
        h.run(command(s["ExecStartPost"][0]).split())
        self.assertEqual(os.listdir(backups), [today], "copies older than 14 days are removed")

    # ---- configuration files

    def write(self, name, text):
        path = self.h.path(name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_4_an_aggregator_and_a_school_from_their_files_alone(self):
        h = self.h
        port = h.reserve_port()
        county_db = h.path("county.db")
        agg_conf = self.write("agg.conf", (
            "# the county\n"
            "db = %s\n"
            "id = 410102   # 中原区\n"
            "tier = county\n"
            "listen = tcp://127.0.0.1:%d\n"
            "\n"
            "log_level = warn\n") % (county_db, port))
        county_key = h.run([rh.AGG, "init", "--config", agg_conf]).stdout.strip()
        self.assertEqual(agg_status(h, ["--config", agg_conf])["id"], "410102")
        self.assertEqual(h.run([rh.AGG, "pubkey", "--config", agg_conf]).stdout.strip(),
                         county_key)

        school_db = h.path("school.db")
        school_conf = self.write("school.conf", (
            "db = %s\n"
            "school = 2141010299\n"
            "county = 410102\n"
            "name = 中原区测试小学\n"
            "upstream = tcp://127.0.0.1:%d\n"
            "upstream-key = %s\n"
            "timeout = 30\n") % (school_db, port, county_key))
        school_key = h.run([rh.SCHOOL, "init", "--config", school_conf]).stdout.strip()
        h.run([rh.AGG, "enroll", "--config", agg_conf, "--source", "2141010299",
               "--key", school_key])
        proc = h.start("agg-conf", [rh.AGG, "run", "--config", agg_conf], port=port)
        csv_path = h.gen_students("2141010299", "410102", 60, 81)
        h.run([rh.SCHOOL, "import", "--config", school_conf, csv_path])
        h.run([rh.SCHOOL, "sync", "--config", school_conf])
        report = h.run([rh.AGG, "report", "--config", agg_conf])
        want = rh.totals_of(rh.read_csv(csv_path))
        self.assertEqual(rh.comparable(json.loads(report.stdout)["totals"]), rh.comparable(want))
        self.assertEqual(h.stop(proc), 0)
        # log-level = warn in the file: the run's INFO lines are gone.
        with open(h.path("agg-conf.log"), encoding="utf-8") as f:
            log = f.read()
        self.assertNotIn("INFO", log, "log-level = warn should hide INFO lines:\n" + log)
        self.__class__.agg_conf, self.__class__.county_db = agg_conf, county_db

    def test_5_the_command_line_wins_and_the_default_file_is_read(self):
        h = self.h
        other_db = h.path("other.db")
        h.run([rh.AGG, "init", "--db", other_db, "--id", "OTHER", "--tier", "province",
               "--listen", "tcp://127.0.0.1:%d" % h.reserve_port()])
        self.assertEqual(agg_status(h, ["--config", self.agg_conf, "--db", other_db])["id"],
                         "OTHER", "--db on the command line should win over the file's db")
        saved = dict(h.env)
        try:
            h.env["ROLLCALL_AGG_CONFIG"] = self.agg_conf
            self.assertEqual(agg_status(h, [])["id"], "410102",
                             "the default configuration file should be read without --config")
            # ROLLCALL_LOG wins over the file's log-level = warn.
            h.env["ROLLCALL_LOG"] = "info"
            port = int(agg_status(h, [])["listen"].rsplit(":", 1)[1])
            h.stop(h.start("agg-env", [rh.AGG, "run"], port=port))
            with open(h.path("agg-env.log"), encoding="utf-8") as f:
                self.assertIn("INFO", f.read(), "ROLLCALL_LOG=info should win over the file")
            h.env["ROLLCALL_AGG_CONFIG"] = ""
            p = h.run([rh.AGG, "status"], expect=rh.EXIT_USAGE)
            self.assertIn("missing required option --db", p.stderr)
        finally:
            h.env.clear()
            h.env.update(saved)

    def test_6_mistakes_in_a_file_name_the_file_and_line(self):
        h = self.h
        cases = [
            (rh.AGG, "status", "db = x.db\nlisen = tcp://*:7100\n", 2, "unknown key 'lisen'"),
            (rh.AGG, "init", "db = x.db\n\n# c\nlisten = tcp//x\n", 4, "not a tcp://HOST:PORT"),
            (rh.AGG, "run", "db = a.db\ndb = b.db\n", 2, "set twice (first on line 1)"),
            (rh.AGG, "status", "db x.db\n", 1, "expected 'key = value'"),
            (rh.AGG, "report", "stale-days = 0\n", 1, "from 1 to 3650"),
            (rh.AGG, "status", "log-level = loud\n", 1, "debug, info, warn or error"),
            (rh.AGG, "status", "db =\n", 1, "has no value"),
            (rh.SCHOOL, "sync", "db = s.db\ntimeout = 0\n", 2, "timeout '0' must be"),
            (rh.SCHOOL, "status", "school = 12\n", 1, "must be 10 digits"),
            (rh.SCHOOL, "status", "upstream-key = abc\n", 1, "not a public key"),
            (rh.SCHOOL, "status", "watch = yes\n", 1, "unknown key 'watch'"),
        ]
        for i, (exe, cmd, text, line, reason) in enumerate(cases):
            path = self.write("bad-%d.conf" % i, text)
            p = h.run([exe, cmd, "--config", path], expect=rh.EXIT_USAGE)
            self.assertIn("%s:%d: " % (path, line), p.stderr, "case %d: %r" % (i, text))
            self.assertIn(reason, p.stderr, "case %d: %r" % (i, text))
        p = h.run([rh.AGG, "status", "--config", h.path("missing.conf")], expect=rh.EXIT_USAGE)
        self.assertIn("missing.conf: cannot read the configuration", p.stderr)
        # A broken default file is refused as loudly as a named one.
        saved = dict(h.env)
        try:
            h.env["ROLLCALL_SCHOOL_CONFIG"] = self.write("bad-default.conf", "nme = x\n")
            p = h.run([rh.SCHOOL, "status"], expect=rh.EXIT_USAGE)
            self.assertIn("bad-default.conf:1: unknown key 'nme'", p.stderr)
        finally:
            h.env.clear()
            h.env.update(saved)

    def test_7_the_examples_parse(self):
        # The shipped examples, as installed, are files both programs accept.
        etc = "/etc" if self.prefix == "/usr" else os.path.join(self.prefix, "etc")
        examples = os.path.join(self.dest + etc, "rollcall", "examples")
        for exe, name in ((rh.AGG, "agg.conf"), (rh.SCHOOL, "school.conf")):
            path = os.path.join(examples, name)
            self.assertTrue(os.path.isfile(path), "%s is not installed" % path)
            p = self.h.run([exe, "status", "--config", path], expect=rh.EXIT_DATA)
            self.assertRegex(p.stderr, re.escape("/var/lib/rollcall/"),
                             "status should get as far as opening the example's store")

    def test_8_the_man_pages_name_every_command_and_option(self):
        # The pages are written by hand: each command of --help, and each option of each
        # command's own --help, must be in the installed page (gzipped, as Debian wants), so
        # the two cannot drift.
        mandir = os.path.join(self.root, "share", "man", "man1")
        for exe, listing in ((rh.AGG, r"^  ([a-z-]+)\s+--"),
                             (rh.SCHOOL, r"^  rollcall-school ([a-z-]+) ")):
            name = os.path.basename(exe)
            with gzip.open(os.path.join(mandir, name + ".1.gz"), "rt", encoding="utf-8") as f:
                page = f.read().replace("\\-", "-").replace("\\fB", "").replace("\\fR", "")
            usage = self.h.run([exe, "--help"]).stdout
            commands = re.findall(listing, usage, re.M)
            self.assertGreater(len(commands), 8, usage)
            for cmd in commands:
                self.assertRegex(page, r"\.B %s\b" % re.escape(cmd), "%s(1): %s" % (name, cmd))
                text = self.h.run([exe, cmd, "--help"]).stdout
                for opt in set(re.findall(r"--[a-z][a-z-]*", text)):
                    self.assertIn(opt, page, "%s(1) lacks %s of %s" % (name, opt, cmd))


if __name__ == "__main__":
    rh.main()
