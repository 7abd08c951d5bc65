#!/usr/bin/env python3
"""`rollcall-agg backup` while `run` runs, and the restore procedure of ops/RUNBOOK.md.

province 41 ── county 410102 ── schools A and B.

- Backups are taken while the county is applying a large sync: each is a
  private file (0600: it holds the secret key) that passes PRAGMA
  integrity_check, and an existing file is never overwritten without --force.
- The last backup holds exactly the students the county had acknowledged when
  it was taken (counted in the copy itself).
- More syncs; then the county stops and its store is replaced by the backup
  (the runbook's steps: the -wal and -shm files go, the copy comes in with mode
  0600). The restored county is behind the truth. Once it runs again, the
  schools' next syncs find what it lost (the mechanism test_restore.py covers)
  and county and province come back to the truth this test computes from its
  CSVs; every chain passes `audit` and every store its integrity check.
"""

import os
import sqlite3
import stat
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def students_in(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return con.execute("SELECT count(*) FROM students").fetchone()[0]
    finally:
        con.close()


class BackupRestore(rh.RollcallTestCase):
    harness_name = "backup"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov, cls.county, (cls.a, cls.b) = rh.province_with_county(
            h, "410102", ["2141010201", "2141010202"])
        cls.b.generate(150, 62)
        cls.b.sync()

    def backup(self, out, expect=rh.EXIT_OK, force=False):
        args = [rh.AGG, "backup", "--db", self.county.db, "--out", out]
        return self.h.run(args + (["--force"] if force else []), expect=expect)

    def assert_sound_backup(self, path):
        self.assertEqual(mode_of(path), 0o600, "%s should be readable by its owner only" % path)
        self.assertEqual(rh.integrity_check(path), ["ok"], "PRAGMA integrity_check of %s" % path)
        for side in ("-wal", "-shm", "-journal"):
            self.assertFalse(os.path.exists(path + side), "a backup is one file: %s%s" % (path, side))

    def test_1_backups_while_the_county_applies_a_large_sync(self):
        path = self.h.gen_students(self.a.id, self.a.county, 4000, 61)
        self.a.import_csv(path)
        sync = self.h.start("sync-a", [rh.SCHOOL, "sync", "--db", self.a.db, "--timeout", "60"])
        taken = []
        while sync.poll() is None or not taken:
            out = self.h.path("during-%d.db" % len(taken))
            self.backup(out)
            taken.append(out)
        self.assertEqual(self.h.stop(sync), 0, "the sync running beside the backups failed:\n%s"
                         % rh.tail(self.h.path("sync-a.log")))
        for out in taken:
            self.assert_sound_backup(out)
        print("backup: %d backups taken while the county applied a sync of 4,000 students; "
              "students in them: %s" % (len(taken), [students_in(t) for t in taken]))
        # Each copy is one moment of the county: never more than it was ever sent.
        for out in taken:
            self.assertLessEqual(students_in(out), len(self.a.rows) + len(self.b.rows))
        rh.wait_for_truth(self.h, (self.a, self.b), (self.county, self.prov), 60)

    def test_2_the_backup_holds_what_the_county_held_and_is_never_overwritten(self):
        bak = self.county.db + ".bak"
        self.backup(bak)
        self.assert_sound_backup(bak)
        self.assertEqual(students_in(bak), len(self.a.rows) + len(self.b.rows),
                         "the backup should hold every student the county had acknowledged")
        before = os.stat(bak)
        p = self.backup(bak, expect=rh.EXIT_DATA)
        self.assertIn("already exists", p.stderr)
        self.assertIn("--force", p.stderr)
        after = os.stat(bak)
        self.assertEqual((before.st_ino, before.st_mtime_ns), (after.st_ino, after.st_mtime_ns),
                         "a refused backup must leave the existing file as it was")
        leftovers = [n for n in os.listdir(self.h.dir) if ".tmp-" in n]
        self.assertEqual(leftovers, [], "a refused backup leaves no temporary file")
        # --force replaces it (still private, still sound), e.g. the nightly copy.
        os.chmod(bak, 0o644)
        self.backup(bak, force=True)
        self.assert_sound_backup(bak)

    def test_3_more_syncs_after_the_backup(self):
        rh.add_students(self.h, self.a, 40, 71, "a-after-backup.csv")
        rh.add_students(self.h, self.b, 25, 72, "b-after-backup.csv")
        self.a.sync()
        self.b.sync()
        rh.wait_for_truth(self.h, (self.a, self.b), (self.county, self.prov), 40)

    def test_4_the_county_restored_from_the_backup_gets_everything_back(self):
        county = self.county
        truth = len(self.a.rows) + len(self.b.rows)
        county.stop()
        # The runbook's restore, as the harness does it: the stopped store's -wal and -shm
        # files go, the backup (written to county.db + ".bak" above) comes in with mode 0600.
        rh.restore(county.db)
        county.start()
        behind = county.report()["totals"]["students"]
        self.assertLess(behind, truth, "the restored county should be behind the schools")
        print("restore: the restored county held %d of %d students" % (behind, truth))
        self.assertEqual(behind, students_in(county.db + ".bak"))
        # Nothing is pending at the schools; their next syncs find what the county lost.
        rh.sync_until_acked(self.h, (self.a, self.b))
        rh.wait_for_truth(self.h, (self.a, self.b), (county, self.prov), 60)
        self.assertEqual(students_in(county.db), truth)

        # Syncing goes on as before.
        rh.add_students(self.h, self.b, 10, 73, "b-after-restore.csv")
        self.b.sync()
        rh.wait_for_truth(self.h, (self.a, self.b), (county, self.prov), 40)

    def test_5_every_chain_and_store_is_sound(self):
        self.county.stop()
        self.prov.stop()
        for agg in (self.county, self.prov):
            self.assertIn("0 breaks", agg.audit())
        for path in (self.a.db, self.b.db, self.county.db, self.prov.db):
            self.assertEqual(rh.integrity_check(path), ["ok"], "PRAGMA integrity_check of %s" % path)


if __name__ == "__main__":
    rh.main()
