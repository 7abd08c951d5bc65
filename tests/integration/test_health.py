"""`rollcall-agg health`: exit 0 only while the aggregator does its job, else one line saying why.

County 410104 reports to province 41, which is never started, so the
county's summaries wait upstream. Each unhealthy case is made for real: a
missing store, a file that is no store, a damaged copy, a full disk (a limit
above what the disk has), `run` never started / stopped / killed / stopped
dead with SIGSTOP, and changes waiting upstream too long.
"""

import os
import signal
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

COUNTY = "410104"
EXIT_UNHEALTHY, EXIT_LAG = 1, 3


class HealthTest(rh.RollcallTestCase):
    harness_name = "health"

    @classmethod
    def build(cls):
        h = cls.h
        cls.province = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, COUNTY, "county", upstream=cls.province)
        cls.province.enroll(cls.county)
        cls.school = rh.School(h, "4101040001", COUNTY, cls.county)
        cls.county.enroll(cls.school)  # queues the school's summary upstream

    def health(self, db=None, expect=None, *extra):
        p = self.h.run([rh.AGG, "health", "--db", db or self.county.db, "--max-lag", "100000"]
                       + list(extra), expect=expect)
        out = (p.stdout + p.stderr).strip()
        self.assertEqual(len(out.splitlines()), 1, "health says one line, got:\n%s" % out)
        return p.returncode, out

    def healthy(self):
        rc, _ = self.health()
        return rc == 0

    def set_meta(self, key, value):
        con = sqlite3.connect(self.county.db, timeout=30)
        try:
            with con:
                con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, value))
        finally:
            con.close()

    def test_1_store_unreadable(self):
        rc, line = self.health(self.h.path("missing.db"), EXIT_UNHEALTHY)
        self.assertIn("missing.db cannot be read", line)
        junk = self.h.path("junk.db")
        with open(junk, "wb") as f:
            f.write(b"this is not a database, just text " * 200)
        os.chmod(junk, 0o600)
        rc, line = self.health(junk, EXIT_UNHEALTHY)
        self.assertIn("junk.db", line)
        self.assertIn("store", line)

    def test_2_store_damaged(self):
        copy = self.h.path("damaged.db")
        src = sqlite3.connect(self.county.db)
        dst = sqlite3.connect(copy)
        src.backup(dst)
        src.close()
        dst.close()
        self.assertEqual(self.health(copy, EXIT_UNHEALTHY)[1].count("has never run"), 1,
                         "an intact copy gets as far as the run check")
        size = os.path.getsize(copy)
        page = 4096
        with open(copy, "r+b") as f:  # every page after the first three: b-tree headers garbled
            for off in range(3 * page, size, page):
                f.seek(off)
                f.write(b"\xa5" * 64)
        rc, line = self.health(copy, EXIT_UNHEALTHY)
        self.assertRegex(line, r"damaged\.db (fails its integrity check|cannot be)", line)

    def test_3_run_never_started(self):
        rc, line = self.health(expect=EXIT_UNHEALTHY)
        self.assertIn("has never run", line)

    def test_4_running_is_healthy(self):
        self.county.start()
        rh.wait_until(self.healthy, 30, "health to see the running county")
        rc, line = self.health(expect=0)
        self.assertTrue(line.startswith("ok: run pid %d " % self.county.proc.pid), line)
        self.assertIn("waiting", line)

    def test_5_disk_nearly_full(self):
        rc, line = self.health(None, EXIT_UNHEALTHY, "--min-free-mb", str(1 << 40))
        self.assertIn("disk nearly full", line)
        self.assertIn(os.path.basename(self.county.db), line)

    def test_6_upstream_lag(self):
        # The county has changes waiting (the province never ran); date them two hours back.
        status = rh.agg_status(self.county)
        self.assertGreater(rh.pending_changes(status), 0)
        con = sqlite3.connect(self.county.db, timeout=30)
        try:
            with con:
                con.execute("UPDATE outbox_age SET at = at - 7200")
        finally:
            con.close()
        p = self.h.run([rh.AGG, "health", "--db", self.county.db, "--max-lag", "3600"],
                       expect=EXIT_LAG)
        self.assertRegex(p.stderr, r"upstream lag 72\d\d s exceeds 3600 s")
        self.assertIn(self.province.endpoint, p.stderr)
        # A wider limit, or the default of an hour against a fresh queue, is healthy.
        self.h.run([rh.AGG, "health", "--db", self.county.db, "--max-lag", "86400"], expect=0)

    def test_7_run_stuck(self):
        os.kill(self.county.proc.pid, signal.SIGSTOP)
        try:
            # Frozen: its heartbeat stops. Make it two minutes old rather than wait for that.
            self.set_meta("run_heartbeat_at", int(time.time()) - 120)
            rc, line = self.health(expect=EXIT_UNHEALTHY)
            self.assertRegex(line, r"has not written its heartbeat for 1[2-3]\d s")
        finally:
            os.kill(self.county.proc.pid, signal.SIGCONT)
        rh.wait_until(self.healthy, 30, "health once run beats again")

    def test_8_run_stopped_cleanly(self):
        self.county.stop()
        rc, line = self.health(expect=EXIT_UNHEALTHY)
        self.assertIn("is not running", line)
        self.assertIn("stopped cleanly", line)

    def test_9_run_killed(self):
        self.county.start()
        rh.wait_until(self.healthy, 30, "health to see the restarted county")
        proc = self.county.proc
        self.h.procs = [p for p in self.h.procs if p[1] is not proc]
        proc.kill()
        proc.wait()
        self.county.proc = None
        rc, line = self.health(expect=EXIT_UNHEALTHY)
        self.assertIn("(pid %d) is not running" % proc.pid, line)
        self.assertIn("without a clean stop", line)

    def test_usage(self):
        for args in (["--max-lag", "-1"], ["--max-lag", "x"], ["--min-free-mb", "1e3"], []):
            cmd = [rh.AGG, "health"] + (["--db", self.county.db] if args else []) + args
            self.h.run(cmd, expect=rh.EXIT_USAGE)


if __name__ == "__main__":
    rh.main()
