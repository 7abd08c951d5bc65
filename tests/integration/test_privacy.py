#!/usr/bin/env python3
"""The privacy boundary of DESIGN.md: a province (or city) store never holds a
student id or name; a county store never holds a student id (names are
allowed there: the county organises the help).

province 41 ── city 4101 ── county 410102 ── 2 schools. After a full sync the
stores' raw bytes (main file and any -wal) and a dump of every table are
searched for every student number (and the 18-digit ID number inside it) and
every student name from the CSVs; and for where some of them are now (a village) and
the phone numbers of their guardians and helpers, which only the school and its county
may hold, and no process may log.
"""

import glob
import os
import sqlite3
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402


def raw_files(db):
    return [p for p in [db] + glob.glob(db + "-wal") if os.path.exists(p)]


def dump(db):
    """Every value of every table (TEXT as UTF-8, BLOBs as they are), as one byte string."""
    out = []
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            for row in con.execute('SELECT * FROM "%s"' % t.replace('"', '""')):
                for v in row:
                    if isinstance(v, bytes):
                        out.append(v)
                    elif v is not None:
                        out.append(str(v).encode("utf-8"))
        out.extend(r[0].encode("utf-8") for r in con.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"))
    finally:
        con.close()
    return b"\x00".join(out)


class Privacy(rh.RollcallTestCase):
    harness_name = "privacy"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.city = rh.Aggregator(h, "4101", "city", upstream=cls.prov)
        cls.county = rh.Aggregator(h, "410102", "county", upstream=cls.city)
        cls.prov.enroll(cls.city)
        cls.city.enroll(cls.county)
        cls.schools = [rh.School(h, "2141010220", "410102", cls.county, name="中原区一号学校"),
                       rh.School(h, "3141010220", "410102", cls.county, name="中原区二号学校")]
        for s in cls.schools:
            cls.county.enroll(s)
        for agg in (cls.prov, cls.city, cls.county):
            agg.start()
        for i, s in enumerate(cls.schools):
            s.generate(200, 31 + i)
        # Where a few students are now and who to call: county and school only.
        cls.places, cls.contacts = set(), set()
        for i, s in enumerate(cls.schools):
            for k, row in enumerate(s.rows[:5]):
                place, guardian = "张庄村%d组" % (10 * i + k), "138 0010 %04d" % (10 * i + k)
                helper = "+86 139-0020-%04d" % (10 * i + k)
                h.run([rh.SCHOOL, "student", "update", "--db", s.db, "--id", row["student_id"],
                       "--place-county", "411381", "--place", place,
                       "--guardian-contact", guardian])
                h.run([rh.SCHOOL, "measure", "add", "--db", s.db, "--id", row["student_id"],
                       "--kind", "one_to_one", "--role", "班主任", "--contact", helper])
                cls.places.add(place)
                cls.contacts.update([guardian, helper])
        for s in cls.schools:
            s.sync()
        cls.ids, cls.names = set(), set()
        for s in cls.schools:
            for r in s.rows:
                cls.ids.add(r["student_id"])
                cls.ids.add(r["student_id"][1:])  # the ID number the student number embeds
                cls.names.add(r["name"])
        # A name that is part of a school or unit name could match without being a leak.
        others = " ".join([s.name for s in cls.schools] + ["中原区", "郑州市"])
        cls.names = {n for n in cls.names if n not in others}
        total = sum(len(s.rows) for s in cls.schools)

        def arrived():
            r = cls.prov.report()
            return (r["totals"]["students"] == total and r["completeness"]["reported"] == 2
                    and r["totals"]["measures"]["one_to_one"] >= 10)

        rh.wait_until(arrived, 30, "the province to count every student")

    def find(self, blob, words):
        return sorted(w for w in words if w.encode("utf-8") in blob)

    def scan_raw(self, agg, words, what):
        for path in raw_files(agg.db):
            with open(path, "rb") as f:
                blob = f.read()
            found = self.find(blob, words)
            self.assertEqual(found[:10], [], "%s found in %s (raw bytes): %d of them"
                             % (what, os.path.basename(path), len(found)))

    def scan_dump(self, agg, words, what):
        found = self.find(dump(agg.db), words)
        self.assertEqual(found[:10], [], "%s found in a dump of %s: %d of them"
                         % (what, os.path.basename(agg.db), len(found)))

    def test_1_sanity_the_county_holds_the_students(self):
        # The scan would pass vacuously if the data never arrived; it did, names included.
        r = self.county.report()
        self.assertEqual(r["totals"]["students"], sum(len(s.rows) for s in self.schools))
        self.county.stop()
        blob = dump(self.county.db)
        found = self.find(blob, self.names)
        self.assertGreater(len(found), 0, "the county store should hold the students' names")
        self.assertEqual(self.find(blob, self.places), sorted(self.places),
                         "the county finds the children where they are")
        self.assertEqual(self.find(blob, self.contacts), sorted(self.contacts),
                         "the county holds whom to call")
        self.county.start()

    def test_2_running_stores_hold_no_ids_or_names(self):
        for agg in (self.prov, self.city):
            self.scan_raw(agg, self.ids, "student ids (%s running)" % agg.id)
            self.scan_raw(agg, self.names, "student names (%s running)" % agg.id)
            self.scan_raw(agg, self.places, "places (%s running)" % agg.id)
            self.scan_raw(agg, self.contacts, "phone numbers (%s running)" % agg.id)
        self.scan_raw(self.county, self.ids, "student ids (county running)")

    def test_3_stopped_stores_hold_no_ids_or_names(self):
        for agg in (self.county, self.city, self.prov):
            agg.stop()
        for agg in (self.prov, self.city):
            self.scan_raw(agg, self.ids, "student ids (%s)" % agg.id)
            self.scan_raw(agg, self.names, "student names (%s)" % agg.id)
            self.scan_dump(agg, self.ids, "student ids (%s)" % agg.id)
            self.scan_dump(agg, self.names, "student names (%s)" % agg.id)
            self.scan_dump(agg, self.places, "places (%s)" % agg.id)
            self.scan_dump(agg, self.contacts, "phone numbers (%s)" % agg.id)
        self.scan_raw(self.county, self.ids, "student ids (county)")
        self.scan_dump(self.county, self.ids, "student ids (county)")

    def test_4_no_log_holds_a_phone_number(self):
        logs = [p for p in glob.glob(self.h.path("*.log")) + glob.glob(self.h.path("*.last"))]
        self.assertGreater(len(logs), 0)
        for path in logs:
            with open(path, "rb") as f:
                found = self.find(f.read(), self.contacts)
            self.assertEqual(found, [], "phone numbers in %s" % os.path.basename(path))


if __name__ == "__main__":
    rh.main()
