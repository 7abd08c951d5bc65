#!/usr/bin/env python3
"""Everyday editing at the school, carried to the county: every editing command
of rollcall-school (student add/update/remove, measure add/plan/end, feedback,
optout file/decide, profile set) against real processes, then a sync, and the
county store's rows read with sqlite3 are compared with what this test expects
(measure roles and dates, opt-out application, profiles with platforms, the
departures record), the county's `report --format json` totals with totals this
test computes from its own model of each school's students, and the transfers
that no school of the county received.

province 41 ── county 410102 ── school A 2141010200, school B 2141010201 (a
teaching point whose parent is A).
"""

import csv
import json
import os
import sqlite3
import sys
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

COUNTY = "410102"
A, B = "2141010200", "2141010201"
NEW = rh.student_id(COUNTY, "20160301", 901)     # added by hand at A
MOVER = rh.student_id(COUNTY, "20150507", 902)   # moves from A to B
GRAD = rh.student_id(COUNTY, "20080911", 903)    # graduates from A


def query(db, sql, args=()):
    con = sqlite3.connect("file:%s?mode=ro" % urllib.request.pathname2url(db), uri=True,
                          timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def bits(names, cell):
    return sum(1 << names.index(w) for w in rh._items(cell))


def measures_list(cell):
    out = []
    for item in rh._items(cell):
        kind, _, status = item.partition(":")
        out.append([kind.strip(), status.strip() or "in_place"])
    return out


def measures_text(ms):
    return ";".join(k if s == "in_place" else "%s:%s" % (k, s) for k, s in ms)


class Editing(rh.RollcallTestCase):
    harness_name = "editing"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, COUNTY, "county", upstream=cls.prov)
        cls.prov.enroll(cls.county)
        cls.a = rh.School(h, A, COUNTY, cls.county, name="中原区实验小学")
        cls.b = rh.School(h, B, COUNTY, cls.county, name="中原区实验小学东教学点")
        for s in (cls.a, cls.b):
            cls.county.enroll(s)
        cls.prov.start()
        cls.county.start()
        cls.a.generate(30, 7)
        cls.b.generate(12, 8)
        rh.sync_until_acked(h, [cls.a, cls.b])
        cls.details = {}  # student id -> the measures' roles and dates this test set

    # -- helpers

    def edit(self, school, words, *opts, expect=rh.EXIT_OK):
        """Runs `rollcall-school WORDS --db SCHOOL OPTS...` (words: "student add", "feedback")."""
        return self.h.run([rh.SCHOOL] + words.split() + ["--db", school.db] + list(opts),
                          expect=expect)

    def row(self, school, sid):
        for r in school.rows:
            if r["student_id"] == sid:
                return r
        raise AssertionError("the test's model of %s has no student %s" % (school.id, sid))

    def county_row(self, school, sid, cols):
        rows = query(self.county.db, "SELECT %s FROM students WHERE school_id = ? AND "
                     "pseudonym = ?" % cols, (school.id, rh.pseudonym(sid)))
        return rows[0] if rows else None

    def sync_and_check_totals(self, what):
        rh.sync_until_acked(self.h, [self.a, self.b])
        want = rh.add_totals(self.a.totals(), self.b.totals())
        self.assertTotals(self.county.report()["totals"], want, "county after " + what)
        self.assertTotals(rh.child(self.county.report(), A)["totals"], self.a.totals(),
                          "school A after " + what)
        return want

    # -- the tests, in order

    def test_1_student_add_and_update(self):
        self.edit(self.a, "student add", "--id", NEW, "--name", "赵小明", "--grade", "3",
                  "--class", "3-2", "--groups", "left_behind;poverty_card")
        row = {"student_id": NEW, "name": "赵小明", "grade": "3", "class": "3-2",
               "network": "", "devices": "", "groups": "left_behind;poverty_card",
               "assistance": "", "participation": ""}
        self.a.rows.append(row)
        before = rh.totals_of(self.a.rows)["blind_spots"]
        # A student without network or device, absent: a blind spot until help is in place.
        self.edit(self.a, "student update", "--id", NEW, "--participation", "absent",
                  "--platform", "空中课堂")
        row["participation"] = "absent"
        for sid, grade in ((MOVER, "4"), (GRAD, "12")):
            self.edit(self.a, "student add", "--id", sid, "--name", "学生" + sid[-4:],
                      "--grade", grade, "--class", grade + "-1", "--network", "broadband",
                      "--devices", "computer")
            self.a.rows.append({"student_id": sid, "name": "学生" + sid[-4:], "grade": grade,
                                "class": grade + "-1", "network": "broadband",
                                "devices": "computer", "groups": "", "assistance": "",
                                "participation": ""})
        # Refused edits change nothing (exit 1, or 2 for options that do not fit).
        self.edit(self.a, "student add", "--id", NEW, "--name", "x", "--grade", "1",
                  "--class", "1", expect=rh.EXIT_DATA)
        self.edit(self.a, "student update", "--id", NEW, "--grade", "13", expect=rh.EXIT_DATA)
        self.edit(self.a, "student update", "--id", NEW, "--network", "wifi",
                  expect=rh.EXIT_DATA)
        self.edit(self.a, "student update", "--id", NEW, "--to", B, expect=rh.EXIT_USAGE)
        want = self.sync_and_check_totals("student add and update")
        self.assertEqual(rh.totals_of([row])["blind_spots"], 1)
        self.assertGreaterEqual(want["blind_spots"], before)
        got = self.county_row(self.a, NEW, "name, grade, class, network, devices, groups, "
                              "participation, platform, measures")
        self.assertEqual(got, ("赵小明", 3, "3-2", 0, 0,
                               bits(rh.GROUPS, "left_behind;poverty_card"),
                               rh.PARTICIPATION.index("absent"), "空中课堂", ""))

    def test_2_measures(self):
        row = self.row(self.a, NEW)
        blind = self.county.report()["totals"]["blind_spots"]
        self.edit(self.a, "measure add", "--id", NEW, "--kind", "loaned_device", "--role",
                  "班主任", "--start", "2026-02-10")
        self.edit(self.a, "measure plan", "--id", NEW, "--kind", "tv_at_village", "--role",
                  "village cadre")
        self.edit(self.a, "measure add", "--id", NEW, "--kind", "data_subsidy", "--start",
                  "2026-02-12")
        self.edit(self.a, "measure end", "--id", NEW, "--kind", "data_subsidy", "--end",
                  "2026-03-31")
        self.edit(self.a, "measure end", "--id", NEW, "--kind", "funding",
                  expect=rh.EXIT_DATA)
        self.edit(self.a, "measure add", "--id", NEW, "--kind", "funding", "--start",
                  "2026-02-31", expect=rh.EXIT_DATA)
        ms = [["loaned_device", "in_place"], ["tv_at_village", "planned"],
              ["data_subsidy", "ended"]]
        row["assistance"] = measures_text(ms)
        want = self.sync_and_check_totals("measures")
        self.assertEqual(want["blind_spots"], blind - 1, "help in place ends a blind spot")
        text, details = self.county_row(self.a, NEW, "measures, measure_details")
        self.assertEqual(text, "loaned_device;tv_at_village:planned;data_subsidy:ended")
        self.assertEqual(json.loads(details), [
            {"kind": "loaned_device", "status": "in_place", "helper_role": "班主任",
             "start_date": "2026-02-10", "end_date": ""},
            {"kind": "tv_at_village", "status": "planned", "helper_role": "village cadre",
             "start_date": "", "end_date": ""},
            {"kind": "data_subsidy", "status": "ended", "helper_role": "",
             "start_date": "2026-02-12", "end_date": "2026-03-31"}])

    def test_3_feedback_and_optout(self):
        sid = self.a.rows[0]["student_id"]
        row = self.row(self.a, sid)
        self.edit(self.a, "feedback", "--id", sid, "--text", "家里只有一部手机，需要流量补贴")
        self.edit(self.a, "optout decide", "--id", sid, "--status", "approved",
                  expect=rh.EXIT_DATA)  # nothing filed yet
        self.edit(self.a, "optout file", "--id", sid, "--reason", "家长在家辅导",
                  "--date", "2026-02-20")
        self.edit(self.a, "optout decide", "--id", sid, "--status", "approved",
                  "--date", "2026-02-19", expect=rh.EXIT_DATA)  # before it was filed
        self.edit(self.a, "optout decide", "--id", sid, "--status", "approved",
                  "--date", "2026-02-22")
        row["participation"] = "opted_out"
        self.sync_and_check_totals("feedback and opt-out")
        got = self.county_row(self.a, sid, "feedback, optout_status, optout_reason, "
                              "optout_filed, optout_decided, participation")
        self.assertEqual(got, ("家里只有一部手机，需要流量补贴", "approved", "家长在家辅导",
                               "2026-02-20", "2026-02-22", rh.PARTICIPATION.index("opted_out")))

    def test_3b_optout_cannot_be_skipped(self):
        """participation opted_out needs an approved application: asked for without one, a
        pending application is filed and the participation stays; leaving opted_out clears
        the approved application. The county sees each state."""
        row = next(r for r in self.a.rows[1:] if r["student_id"] not in (NEW, MOVER, GRAD)
                   and rh.participation(r) in ("active", "irregular", "absent"))
        sid, was = row["student_id"], rh.participation(row)
        p = self.edit(self.a, "student update", "--id", sid, "--participation", "opted_out")
        self.assertIn("student %s: opted_out needs an approved application: filed one, pending"
                      % sid, p.stderr)
        self.sync_and_check_totals("opted_out asked for")  # the model's row is unchanged
        today = time.strftime("%Y-%m-%d")
        self.assertEqual(self.county_row(self.a, sid, "optout_status, optout_reason, "
                                         "optout_filed, optout_decided, participation"),
                         ("pending", "修改参与情况时申请", today, "",
                          rh.PARTICIPATION.index(was)))
        p = self.edit(self.a, "student update", "--id", sid, "--participation", "opted_out")
        self.assertIn("opted_out needs an approved application: one is pending", p.stderr)
        self.edit(self.a, "optout decide", "--id", sid, "--status", "approved")
        row["participation"] = "opted_out"
        self.sync_and_check_totals("opt-out approved")
        self.assertEqual(self.county_row(self.a, sid, "optout_status, participation"),
                         ("approved", rh.PARTICIPATION.index("opted_out")))
        # Back to class: the opt-out is withdrawn, its application cleared.
        p = self.edit(self.a, "student update", "--id", sid, "--participation", "irregular")
        self.assertIn("no longer opted_out: the approved application is withdrawn", p.stderr)
        row["participation"] = "irregular"
        self.sync_and_check_totals("opt-out withdrawn")
        self.assertEqual(self.county_row(self.a, sid, "optout_status, optout_reason, "
                                         "optout_filed, optout_decided, participation"),
                         ("none", "", "", "", rh.PARTICIPATION.index("irregular")))
        # A sheet asking for opted_out files the same way, with the reason it gives.
        other = next(r for r in self.a.rows[1:] if r["student_id"] not in (NEW, MOVER, GRAD, sid)
                     and rh.participation(r) in ("active", "irregular", "absent"))
        path = self.h.path("optout-sheet.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\r\n")
            w.writerow(rh.CSV_HEADER + ["optout_reason"])
            w.writerow([other[k] for k in rh.CSV_HEADER[:-1]] + ["opted_out", "外出务工随迁"])
        p = self.h.run([rh.SCHOOL, "import", "--db", self.a.db, path])
        self.assertIn("optout-sheet.csv:2: opted_out needs an approved application: filed one, "
                      "pending", p.stderr)
        self.sync_and_check_totals("opted_out asked for by a sheet")
        self.assertEqual(self.county_row(self.a, other["student_id"], "optout_status, "
                                         "optout_reason, optout_filed, participation"),
                         ("pending", "外出务工随迁", today,
                          rh.PARTICIPATION.index(rh.participation(other))))

    def test_4_profiles(self):
        self.edit(self.a, "profile set", "--platforms", "空中课堂:tv:all;钉钉:live:3-1,3-2",
                  "--materials", "120/300", "--contact-role", "教导主任")
        self.edit(self.b, "profile set", "--parent", A, "--materials", "75%")
        self.edit(self.b, "profile set", "--parent", B, expect=rh.EXIT_DATA)
        self.edit(self.b, "profile set", "--platforms", "广播:radio", expect=rh.EXIT_DATA)
        self.sync_and_check_totals("profiles")
        self.assertEqual(
            query(self.county.db, "SELECT school_id, parent_school, contact_role, "
                  "materials_delivered, materials_total, materials_percent FROM school_profiles "
                  "ORDER BY school_id"),
            [(A, "", "教导主任", 120, 300, 40), (B, A, "", 0, 0, 75)])
        self.assertEqual(
            query(self.county.db, "SELECT school_id, idx, name, kind, classes FROM "
                  "school_platforms ORDER BY school_id, idx"),
            [(A, 0, "空中课堂", "tv", "all"), (A, 1, "钉钉", "live", "3-1,3-2")])

    def test_5_removals_reach_the_county_as_departures(self):
        removed = {}
        for sid, args in ((NEW, ["--reason", "transferred_out", "--to", B,
                                 "--date", "2026-03-02"]),
                          (MOVER, ["--reason", "transferred_out", "--to", B,
                                   "--date", "2026-03-03"]),
                          (GRAD, ["--reason", "graduated", "--date", "2026-03-04"])):
            removed[sid] = self.row(self.a, sid)
            self.edit(self.a, "student remove", "--id", sid, *args)
            self.a.rows = [r for r in self.a.rows if r["student_id"] != sid]
        self.edit(self.a, "student remove", "--id", GRAD, "--reason", "left",
                  expect=rh.EXIT_DATA)  # gone already
        # B receives the mover only; the first transfer is nowhere in the county.
        self.edit(self.b, "student add", "--id", MOVER, "--name", "学生" + MOVER[-4:],
                  "--grade", "4", "--class", "4-3", "--network", "mobile", "--devices",
                  "smartphone")
        self.b.rows.append({"student_id": MOVER, "name": "学生" + MOVER[-4:], "grade": "4",
                            "class": "4-3", "network": "mobile", "devices": "smartphone",
                            "groups": "", "assistance": "", "participation": ""})
        want = self.sync_and_check_totals("removals")
        self.assertEqual(want["students"], 30 + 12 + 1)
        for sid in removed:
            self.assertIsNone(self.county_row(self.a, sid, "name"))
        got = query(self.county.db, "SELECT school_id, pseudonym, name, grade, class, reason, "
                    "destination, left_on FROM departures ORDER BY left_on")
        expect = [(A, rh.pseudonym(NEW), "赵小明", 3, "3-2", "transferred_out", B, "2026-03-02"),
                  (A, rh.pseudonym(MOVER), "学生" + MOVER[-4:], 4, "4-1", "transferred_out", B,
                   "2026-03-03"),
                  (A, rh.pseudonym(GRAD), "学生" + GRAD[-4:], 12, "12-1", "graduated", "",
                   "2026-03-04")]
        self.assertEqual([tuple(bytes(v) if isinstance(v, bytes) else v for v in r) for r in got],
                         expect)
        # Transferred out and enrolled at no school of the county: computed here from the
        # test's own model of every school's students.
        enrolled = {rh.pseudonym(r["student_id"]) for s in (self.a, self.b) for r in s.rows}
        lost = [e[2] for e in expect if e[5] == "transferred_out" and e[1] not in enrolled]
        self.assertEqual(lost, ["赵小明"])
        got = query(self.county.db, "SELECT d.name FROM departures d WHERE d.reason = "
                    "'transferred_out' AND d.pseudonym NOT IN (SELECT pseudonym FROM students)")
        self.assertEqual([r[0] for r in got], lost)
        # The county's list to act on names the same students, with where they went.
        out = self.h.run([rh.AGG, "list", "--db", self.county.db, "transfers", "--format",
                          "json"]).stdout
        rows = json.loads(out)["rows"]
        self.assertEqual([(r["school_id"], r["name"], r["destination"]) for r in rows],
                         [(A, n, B) for n in lost])

    def test_6_province_counts_without_rows(self):
        want = rh.add_totals(self.a.totals(), self.b.totals())

        def arrived():
            return rh.comparable(self.prov.report()["totals"]) == rh.comparable(want)

        rh.wait_until(arrived, 30, "the province to count the edits")
        tables = {r[0] for r in query(self.prov.db, "SELECT name FROM sqlite_master")}
        self.assertFalse(tables & {"students", "departures", "school_profiles",
                                   "school_platforms"}, tables)
        self.assertEqual(rh.integrity_check(self.county.db), ["ok"])


if __name__ == "__main__":
    rh.main()
