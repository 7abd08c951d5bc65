#!/usr/bin/env python3
"""Stores written by earlier versions of both programs, opened by this one.

The fixtures in tests/fixtures/upgrade/ were written by the commits their
README names (a county 411381 with one synced school, and that school, holding
the students of students.csv), among them the pre-merge numbering of the
aggregator's migrations. Each is copied and opened by this build:

- it migrates, and its figures read back as the CSV says (the school's report,
  the county's report and its students);
- its schema is then the one a store made today has, table for table;
- the store as it was is copied beside it, named by its old version, and the
  migration is logged;
- a store newer than the program is refused with exit code 4 and a message
  naming both versions, and is left as it was;
- a migration that cannot finish (killed before its commit, or no room for the
  copy) leaves the store byte for byte as it was, and says where to look.
"""

import json
import os
import shutil
import signal
import sqlite3
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

FIXTURES = os.path.join(rh.REPO, "tests", "fixtures", "upgrade")
SCHOOL_ID, COUNTY = "4113810001", "411381"
# The commits whose programs wrote the fixtures (README.md beside them).
WRITERS = ("365cd60", "e331ab9", "7ab7a5d")
EXIT_NEWER_STORE = 4


def query(path, sql):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def user_version(path):
    return query(path, "PRAGMA user_version")[0][0]


def schema(path):
    """What the store's tables, indexes and triggers are, in no particular order."""
    return sorted(query(path, "SELECT type, name, sql FROM sqlite_master"
                              " WHERE name NOT LIKE 'sqlite_%'"))


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class Upgrade(rh.RollcallTestCase):
    harness_name = "upgrade"

    @classmethod
    def build(cls):
        h = cls.h
        cls.rows = rh.read_csv(os.path.join(FIXTURES, "students.csv"))
        cls.truth = rh.totals_of(cls.rows)
        # Stores made by this build: the schema every migrated store must end at.
        cls.fresh_county = rh.Aggregator(h, COUNTY, "county")
        cls.fresh_school = rh.School(h, SCHOOL_ID, COUNTY, cls.fresh_county)

    def copy(self, name, src=None):
        """A copy of the fixture name (or of the store src) in the test's folder (mode 0600)."""
        dst = self.h.path("copy-" + name)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(dst + suffix):
                os.unlink(dst + suffix)
        shutil.copyfile(src or os.path.join(FIXTURES, name), dst)
        os.chmod(dst, 0o600)
        return dst

    def check_backup(self, path, old, want):
        backup = "%s.v%d.bak" % (path, old)
        if old == want:
            self.assertFalse(os.path.exists(backup), "%s: nothing to migrate, no copy" % path)
            return
        self.assertTrue(os.path.exists(backup), "%s: no copy made before migrating" % path)
        self.assertEqual(os.stat(backup).st_mode & 0o777, 0o600)
        self.assertEqual(user_version(backup), old)
        self.assertEqual(query(backup, "SELECT count(*) FROM students")[0][0], len(self.rows))

    def test_1_school_stores_migrate(self):
        want = user_version(self.fresh_school.db)
        for c in WRITERS:
            with self.subTest(writer=c):
                path = self.copy("school-%s.db" % c)
                old = user_version(path)
                self.assertLessEqual(old, want)
                p = self.h.run([rh.SCHOOL, "report", "--db", path, "--format", "json"])
                self.assertTotals(json.loads(p.stdout)["totals"], self.truth, "school of " + c)
                if old < want:
                    self.assertIn("migrating store=%s from=%d to=%d backup=%s.v%d.bak"
                                  % (path, old, want, path, old), p.stderr)
                self.assertEqual(user_version(path), want)
                self.assertEqual(schema(path), schema(self.fresh_school.db))
                self.check_backup(path, old, want)
                ids = sorted(r[0] for r in query(path, "SELECT student_id FROM students"))
                self.assertEqual(ids, sorted(r["student_id"] for r in self.rows))

    def test_2_county_stores_migrate(self):
        want = user_version(self.fresh_county.db)
        for c in WRITERS:
            with self.subTest(writer=c):
                path = self.copy("county-%s.db" % c)
                old = user_version(path)
                self.assertLess(old, want)
                p = self.h.run([rh.AGG, "report", "--db", path, "--format", "json"])
                self.assertIn("migrating store=%s from=%d to=%d" % (path, old, want), p.stderr)
                self.assertIn("migrated store=%s" % path, p.stderr)
                r = json.loads(p.stdout)
                self.assertTotals(r["totals"], self.truth, "county of " + c)
                self.assertTotals(rh.child(r, SCHOOL_ID)["totals"], self.truth,
                                  "the school at the county of " + c)
                self.assertEqual(user_version(path), want)
                self.assertEqual(schema(path), schema(self.fresh_county.db))
                self.assertEqual(query(path, "SELECT count(*) FROM meta"
                                             " WHERE key = 'county_schema'")[0][0], 0)
                names = sorted(r[0] for r in query(path, "SELECT name FROM students"))
                self.assertEqual(names, sorted(r["name"] for r in self.rows))
                self.check_backup(path, old, want)
                # Opened again: nothing left to do, no second copy, nothing logged.
                os.unlink("%s.v%d.bak" % (path, old))
                p = self.h.run([rh.AGG, "status", "--db", path])
                self.assertNotIn("migrating", p.stderr)
                self.assertFalse(os.path.exists("%s.v%d.bak" % (path, old)))

    def newer(self, store):
        path = self.copy("newer-" + os.path.basename(store), store)
        have = user_version(path)
        db = sqlite3.connect(path)
        db.execute("PRAGMA user_version = %d" % (have + 1))
        db.commit()
        db.close()
        return path, have

    def test_3_a_newer_store_is_refused_with_its_own_code(self):
        cases = ((rh.AGG, self.fresh_county.db, ["status", "--db"]),
                 (rh.AGG, self.fresh_county.db, ["run", "--db"]),
                 (rh.SCHOOL, self.fresh_school.db, ["status", "--db"]),
                 (rh.SCHOOL, self.fresh_school.db, ["sync", "--timeout", "5", "--db"]))
        for prog, store, args in cases:
            with self.subTest(program=os.path.basename(prog), command=args[0]):
                path, have = self.newer(store)
                before = read_bytes(path)
                p = self.h.run([prog] + args + [path], expect=EXIT_NEWER_STORE)
                self.assertIn("%s: store version %d is newer than this program (%d)"
                              % (path, have + 1, have), p.stderr)
                self.assertEqual(read_bytes(path), before)

    def test_4_a_migration_killed_before_its_commit_leaves_the_store_as_it_was(self):
        for name in ("county-365cd60.db", "school-e331ab9.db"):
            with self.subTest(store=name):
                path = self.copy(name)
                before = read_bytes(path)
                prog = rh.AGG if name.startswith("county") else rh.SCHOOL
                self.h.env["ROLLCALL_CRASH_AT"] = "migrate-before-commit"
                try:
                    p = self.h.run([prog, "status", "--db", path], expect=None)
                finally:
                    del self.h.env["ROLLCALL_CRASH_AT"]
                self.assertEqual(p.returncode, -signal.SIGKILL, p.stderr)
                self.assertEqual(read_bytes(path), before)
                # The next open finds the old version and migrates it whole.
                self.h.run([prog, "status", "--db", path])
                self.assertEqual(schema(path),
                                 schema(self.fresh_county.db if prog == rh.AGG
                                        else self.fresh_school.db))

    def test_5_no_room_for_the_copy_leaves_the_store_and_says_so(self):
        path = self.copy("county-e331ab9.db")
        old = user_version(path)
        backup = "%s.v%d.bak" % (path, old)
        os.mkdir(backup)  # the copy cannot be written there
        try:
            before = read_bytes(path)
            p = self.h.run([rh.AGG, "report", "--db", path], expect=rh.EXIT_DATA)
            self.assertIn("%s: cannot copy the store before migrating: %s: not a regular file"
                          % (path, backup), p.stderr)
            self.assertIn("the store is unchanged (version %d)" % old, p.stderr)
            self.assertEqual(read_bytes(path), before)
            self.assertEqual(user_version(path), old)
        finally:
            os.rmdir(backup)


if __name__ == "__main__":
    rh.main()
