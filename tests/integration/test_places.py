#!/usr/bin/env python3
"""Where the child is and who to call: `rollcall-agg list places` at a county.

province 41 ── county 410102 ── two schools. Some students are away from home (a county
code and a village, e.g. stuck in a home village of another county), with their
guardian's phone; some get a helper with a phone. After a sync the county lists them by
county and village (so a village committee's TV viewing can be organised), the helpers'
list carries each helper's phone, and the province has no such list. Every row is checked
against what the test set.
"""

import csv
import io
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

PLACES = [("411381", "张庄村"), ("411381", "李营村"), ("410102", "建设路社区")]


class Places(rh.RollcallTestCase):
    harness_name = "places"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov, cls.county, cls.schools = rh.province_with_county(
            h, "410102", ["2141010230", "3141010230"])
        cls.want = []   # (place_county, place, school, grade, class, name, condition, blind, phone)
        cls.helpers = {}  # name -> helper phone
        for i, s in enumerate(cls.schools):
            s.generate(40, 61 + i)
            for k, row in enumerate(s.rows[:6]):
                county, village = PLACES[(i + k) % len(PLACES)]
                phone = "138 %04d %04d" % (i, k)
                h.run([rh.SCHOOL, "student", "update", "--db", s.db, "--id", row["student_id"],
                       "--place-county", county, "--place", village,
                       "--guardian-contact", phone])
                cls.want.append((county, village, s.id, int(row["grade"]), row["class"],
                                 row["name"], rh.condition(row),
                                 "yes" if rh.is_blind_spot(row) else "no", phone))
            for k, row in enumerate(s.rows[6:8]):
                phone = "+86 139-%04d-%04d" % (i, k)
                h.run([rh.SCHOOL, "measure", "plan", "--db", s.db, "--id", row["student_id"],
                       "--kind", "tv_at_village", "--role", "村干部", "--contact", phone])
                cls.helpers[row["name"]] = phone
            s.sync()

    def list(self, agg, kind, fmt="json", extra=(), expect=rh.EXIT_OK):
        p = self.h.run([rh.AGG, "list", "--db", agg.db, kind, "--format", fmt] + list(extra),
                       expect=expect)
        return rh.json.loads(p.stdout) if fmt == "json" and expect == rh.EXIT_OK else p

    def test_1_places_by_county_and_village(self):
        rows = self.list(self.county, "places")["rows"]
        got = [(r["place_county"], r["place"], r["school_id"], r["grade"], r["class"], r["name"],
                r["condition"], r["blind_spot"], r["guardian_contact"]) for r in rows]
        want = sorted(self.want, key=lambda w: (w[0], w[1], w[2], w[3], w[4], w[5]))
        self.assertEqual(got, want)

    def test_2_one_school_and_chinese_csv(self):
        one = self.schools[1].id
        rows = self.list(self.county, "places", extra=["--school", one])["rows"]
        self.assertEqual(sorted(r["name"] for r in rows),
                         sorted(w[5] for w in self.want if w[2] == one))
        raw = subprocess.run([rh.AGG, "list", "--db", self.county.db, "places", "--format", "csv"],
                             capture_output=True, env=self.h.env, check=True).stdout
        self.assertTrue(raw.startswith(b"\xef\xbb\xbf"))
        self.assertIn(b"\r\n", raw)
        table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        self.assertEqual(table[0][:2], ["所在区县代码", "所在村（社区）"])
        self.assertIn("监护人电话", table[0])
        self.assertEqual(len(table) - 1, len(self.want))

    def test_3_helpers_carry_their_phone(self):
        rows = self.list(self.county, "helpers")["rows"]
        got = {r["name"]: r["helper_contact"] for r in rows if r["helper_role"] == "村干部"}
        self.assertEqual(got, self.helpers)
        plans = self.list(self.county, "plans")["rows"]
        self.assertEqual({r["name"]: r["helper_contact"] for r in plans
                          if r["kind"] == "tv_at_village"}, self.helpers)

    def test_4_clearing_a_place_takes_the_child_off(self):
        s = self.schools[0]
        row = s.rows[0]
        self.h.run([rh.SCHOOL, "student", "update", "--db", s.db, "--id", row["student_id"],
                    "--place-county", "", "--place", "", "--guardian-contact", ""])
        s.sync()
        names = [r["name"] for r in self.list(self.county, "places")["rows"]]
        self.assertNotIn(row["name"], names)
        self.assertEqual(len(names), len(self.want) - 1)

    def test_5_bad_input_is_refused_and_the_province_has_no_such_list(self):
        s = self.schools[0]
        row = s.rows[1]
        p = self.h.run([rh.SCHOOL, "student", "update", "--db", s.db, "--id", row["student_id"],
                        "--guardian-contact", "call 1380000"], expect=rh.EXIT_DATA)
        self.assertIn("--guardian-contact is not a phone number", p.stderr)
        self.assertNotIn("1380000", p.stderr, "a refused number is not repeated")
        p = self.h.run([rh.SCHOOL, "student", "update", "--db", s.db, "--id", row["student_id"],
                        "--place-county", "4113"], expect=rh.EXIT_DATA)
        self.assertIn("--place-county '4113' is not a 6-digit county code", p.stderr)
        p = self.list(self.prov, "places", fmt="text", expect=rh.EXIT_DATA)
        self.assertIn("province", p.stderr)


if __name__ == "__main__":
    rh.main()
