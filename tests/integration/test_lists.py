#!/usr/bin/env python3
"""`rollcall-agg list`: the lists a county acts on, checked against what this
test computes from its own input rows.

province 41 ── city 4101 ── county 410102 ── schools A and B (synced) and C
(enrolled, never synced); the lists are read while every `run` is running. A and B hold hand-written students (one enrolled at both, students
lacking conditions with and without a measure in place, absent ones, a name
a spreadsheet would run as a formula) and generated ones. Each list is read
as CSV and as JSON and compared with the rows expected from the CSVs, by the
rules of DESIGN.md implemented again here; the city and the province, which
hold no student rows, refuse the student lists and still list the schools.
"""

import csv
import io
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

COUNTY = "410102"
A, B, C = "4101020001", "4101020002", "4101020003"
NAMES = {A: "中原区第一小学", B: "中原区第二中学", C: "中原区第三小学"}


def row(sid, name, grade, cls, network="", devices="", groups="", assistance="", part=""):
    return {"student_id": sid, "name": name, "grade": str(grade), "class": cls,
            "network": network, "devices": devices, "groups": groups,
            "assistance": assistance, "participation": part}


SHARED_ID = rh.student_id(COUNTY, "20140301", 1)
# Enrolled at both schools and a blind spot at each: the one the blind-spot list says is also at
# the other school.
SHARED_SPOT_ID = rh.student_id(COUNTY, "20130311", 11)
HAND = {
    A: [
        row(SHARED_ID, "王小明", 3, "3-1", "broadband", "computer"),
        # Lacking conditions, two groups, nothing in place: the most urgent.
        row(rh.student_id(COUNTY, "20140302", 2), "李雷", 3, "3-2", "", "",
            "poverty_card;left_behind"),
        # Lacking conditions but a device is loaned: not a blind spot.
        row(rh.student_id(COUNTY, "20140303", 3), "韩梅梅", 3, "3-2", "mobile", "",
            "disabled", "loaned_device"),
        # Lacking conditions, help only planned: still a blind spot.
        row(rh.student_id(COUNTY, "20140304", 4), "赵六", 4, "4-1", "", "tv", "disabled",
            "loaned_device:planned;funding:ended"),
        # Absent with the conditions, in a group.
        row(rh.student_id(COUNTY, "20140305", 5), "孙七", 5, "5-1", "mobile", "smartphone",
            "migrant", "", "absent"),
        # Lacking conditions and absent, no group; and a name that looks like a formula.
        row(rh.student_id(COUNTY, "20140306", 6), "=1+2", 2, "2-1", "", "", "", "", "absent"),
        row(rh.student_id(COUNTY, "20140307", 7), "周八", 2, "2-1", "", "", "", "paper_materials:planned"),
        row(rh.student_id(COUNTY, "20140308", 8), "吴九", 6, "6-1", "broadband", "tablet",
            "hardship", "tv_at_village:ended;one_to_one"),
        row(SHARED_SPOT_ID, "冯十一", 5, "5-2", "", ""),
    ],
    B: [
        row(SHARED_ID, "王小明", 4, "4-2", "cable_tv", "tv"),
        # TV only, absent, no group.
        row(rh.student_id(COUNTY, "20100309", 9), "郑十", 8, "8-3", "cable_tv", "tv", "", "",
            "absent"),
        row(rh.student_id(COUNTY, "20100310", 10), "钱多多", 7, "7-1", "", "",
            "frontline_family;other;migrant", "data_subsidy:planned"),
        row(SHARED_SPOT_ID, "冯十一", 5, "5-1", "", "", "", "", "absent"),
    ],
}


def items(cell):
    return [w.strip() for w in (cell or "").split(";") if w.strip()]


def key_bytes(s):
    return s.encode("utf-8")


def expected_blind_spots(rows_by_school):
    return rh.expected_blind_spots(rows_by_school, NAMES)


def canonical_measures(cells):
    """As the store writes them back: in place is the bare kind."""
    out = []
    for m in cells:
        kind, _, status = m.partition(":")
        out.append(kind if status in ("", "in_place") else "%s:%s" % (kind, status))
    return sorted(out)


class Lists(rh.RollcallTestCase):
    harness_name = "lists"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.city = rh.Aggregator(h, "4101", "city", upstream=cls.prov)
        cls.prov.enroll(cls.city)
        cls.county = rh.Aggregator(h, COUNTY, "county", upstream=cls.city)
        cls.city.enroll(cls.county)
        cls.schools = {s: rh.School(h, s, COUNTY, cls.county, name=NAMES[s]) for s in (A, B, C)}
        for s in cls.schools.values():
            cls.county.enroll(s)
        cls.prov.start()
        cls.city.start()
        cls.county.start()
        for i, s in enumerate((A, B)):
            path = h.path("hand-%s.csv" % s)
            rh.write_csv(path, HAND[s])
            cls.schools[s].import_csv(path)
            cls.schools[s].generate(40, 71 + i)
            cls.schools[s].sync()
        cls.rows = {s: cls.schools[s].rows for s in (A, B)}
        total = sum(len(r) for r in cls.rows.values())

        def arrived():
            r = cls.prov.report()
            return r["totals"]["students"] == total and r["completeness"]["reported"] == 2

        rh.wait_until(arrived, 30, "the province to count every student")

    def list(self, agg, kind, fmt="json", extra=(), expect=rh.EXIT_OK):
        p = self.h.run([rh.AGG, "list", "--db", agg.db, kind, "--format", fmt] + list(extra),
                       expect=expect)
        if expect != rh.EXIT_OK or fmt != "json":
            return p
        obj = json.loads(p.stdout)
        self.assertEqual(obj["kind"], kind)
        self.assertEqual(obj["scope"], agg.id)
        return obj

    def csv_rows(self, agg, kind, extra=(), lang="en"):
        """The CSV's rows by header: English (the JSON keys and codes) unless lang is None,
        the default, Chinese."""
        extra = list(extra) + (["--lang", lang] if lang else [])
        out = self.list(agg, kind, "csv", extra).stdout
        self.assertTrue(out.startswith("\ufeff"), "%s CSV lacks the byte order mark" % kind)
        return out, list(csv.DictReader(io.StringIO(out[1:])))

    def test_1_blind_spots(self):
        want = expected_blind_spots(self.rows)
        self.assertEqual({e["urgency"] for e in want}, {1, 2, 3, 4})
        got = self.list(self.county, "blind-spots")["rows"]
        for g in got:
            g["measures"] = canonical_measures(g["measures"])
        for w in want:
            w["measures"] = canonical_measures(w["measures"])
        self.assertEqual(got, want)
        # The same rows as CSV, the formula-like name shown as text.
        out, rows = self.csv_rows(self.county, "blind-spots")
        self.assertIn(',"\'=1+2",', out)
        self.assertEqual([(r["school_id"], r["name"].lstrip("'")) for r in rows],
                         [(w["school_id"], w["name"]) for w in want])
        self.assertEqual([int(r["urgency"]) for r in rows], [w["urgency"] for w in want])
        # One school only.
        got_a = self.list(self.county, "blind-spots", extra=["--school", A])["rows"]
        self.assertEqual([(g["school_id"], g["name"]) for g in got_a],
                         [(w["school_id"], w["name"]) for w in want if w["school_id"] == A])
        # Text: a header and one line per row.
        text = self.list(self.county, "blind-spots", "text").stdout
        self.assertEqual(len(text.splitlines()), len(want) + 2)
        self.assertIn(want[0]["name"], text.splitlines()[1])
        # Three groups before two, both lacking conditions.
        self.assertEqual([w["name"] for w in want[:2]], ["钱多多", "李雷"])

    def test_1_also_at(self):
        want = [w for w in expected_blind_spots(self.rows) if w["also_at"]]
        self.assertIn(("冯十一", [B]), [(w["name"], w["also_at"]) for w in want])
        got = [g for g in self.list(self.county, "blind-spots")["rows"] if g["also_at"]]
        self.assertEqual([(g["school_id"], g["name"], g["also_at"]) for g in got],
                         [(w["school_id"], w["name"], w["also_at"]) for w in want])
        # Another school's blind spot still names this one, whatever the --school.
        got_b = self.list(self.county, "blind-spots", extra=["--school", B])["rows"]
        self.assertEqual([(g["name"], g["also_at"]) for g in got_b if g["also_at"]],
                         [(w["name"], w["also_at"]) for w in want if w["school_id"] == B])
        _, rows = self.csv_rows(self.county, "blind-spots")
        self.assertEqual([(r["name"].lstrip("'"), items(r["also_at"])) for r in rows
                          if r["also_at"]], [(w["name"], w["also_at"]) for w in want])
        _, rows_zh = self.csv_rows(self.county, "blind-spots", lang=None)
        self.assertEqual(sorted(r["也在学校"] for r in rows_zh if r["也在学校"]),
                         sorted(";".join(w["also_at"]) for w in want))

    def test_2_counted_twice(self):
        schools_of = {}
        for s, rows in self.rows.items():
            for r in rows:
                schools_of.setdefault(r["student_id"], set()).add(s)
        want = sum(1 for v in schools_of.values() if len(v) > 1)
        self.assertGreaterEqual(want, 2)
        self.assertEqual(self.county.report()["counted_twice"], want)
        out = self.h.run([rh.AGG, "report", "--db", self.county.db, "--format", "csv"]).stdout
        rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
        self.assertEqual([r["counted_twice"] for r in rows if r["level"] == "total"], [str(want)])
        self.assertEqual({r["counted_twice"] for r in rows if r["level"] != "total"}, {""})
        html = self.h.run([rh.AGG, "report", "--db", self.county.db, "--format", "html"]).stdout
        self.assertIn('data-k="counted_twice">%d<' % want, html)
        # The summaries carry no student: above the county the figure is not claimed.
        self.assertNotIn("counted_twice", self.prov.report())

    def test_2_duplicates(self):
        got = self.list(self.county, "duplicates")["rows"]
        ids_a = {r["student_id"] for r in self.rows[A]}
        ids_b = {r["student_id"] for r in self.rows[B]}
        shared = ids_a & ids_b
        self.assertIn(SHARED_ID, shared)
        want = sorted((s, r["name"], int(r["grade"]), r["class"])
                      for s in (A, B) for r in self.rows[s] if r["student_id"] in shared)
        self.assertEqual(sorted((g["school_id"], g["name"], g["grade"], g["class"])
                                for g in got), want)
        self.assertTrue(all(g["schools"] == 2 for g in got))
        self.assertEqual(len({g["student"] for g in got}), len(shared))
        _, rows = self.csv_rows(self.county, "duplicates")
        self.assertEqual(len(rows), len(want))
        self.assertEqual({r["school_name"] for r in rows}, {NAMES[A], NAMES[B]})

    def test_3_groups(self):
        want = {g: [0, 0, 0] for g in rh.GROUPS}
        for rows in self.rows.values():
            for r in rows:
                for g in set(items(r["groups"])):
                    want[g][0] += 1
                    want[g][1] += rh.condition(r) == "none"
                    want[g][2] += rh.is_blind_spot(r)
        got = self.list(self.county, "groups")["rows"]
        self.assertEqual([g["group"] for g in got], list(rh.GROUPS))
        self.assertEqual({g["group"]: [g["students"], g["lacking_conditions"], g["blind_spots"]]
                          for g in got}, want)
        _, rows = self.csv_rows(self.county, "groups")
        self.assertEqual({r["group"]: [int(r["students"]), int(r["lacking_conditions"]),
                                       int(r["blind_spots"])] for r in rows}, want)

    def test_4_measures(self):
        want = {(k, s): 0 for k in rh.MEASURES for s in ("planned", "in_place", "ended")}
        for rows in self.rows.values():
            for r in rows:
                seen = set()
                for m in items(r["assistance"]):
                    kind, _, status = m.partition(":")
                    seen.add((kind, status or "in_place"))
                for k in seen:
                    want[k] += 1
        got = self.list(self.county, "measures")["rows"]
        self.assertEqual(len(got), len(want))
        self.assertEqual({(g["kind"], g["status"]): g["students"] for g in got}, want)
        self.assertGreater(want[("loaned_device", "planned")], 0)
        _, rows = self.csv_rows(self.county, "measures")
        self.assertEqual({(r["kind"], r["status"]): int(r["students"]) for r in rows}, want)

    def test_5_schools(self):
        got = self.list(self.county, "schools")["rows"]
        # A and B synced just now; only C, never synced, is listed.
        self.assertEqual([(g["school_id"], g["status"], g["last_sync"], g["days_since"])
                          for g in got], [(C, "never_reported", "", None)])
        _, rows = self.csv_rows(self.county, "schools")
        self.assertEqual([(r["school_id"], r["status"]) for r in rows], [(C, "never_reported")])
        # The city and the province know the same from summaries, each through its child.
        for agg, through in ((self.city, COUNTY), (self.prov, self.city.id)):
            got = self.list(agg, "schools")["rows"]
            self.assertEqual([(g["school_id"], g["reports_through"], g["status"]) for g in got],
                             [(C, through, "never_reported")])
            self.assertEqual(self.list(agg, "schools", extra=["--school", A])["rows"], [])

    def test_6_refusals(self):
        for agg in (self.city, self.prov):
            for kind in ("blind-spots", "duplicates", "groups", "measures"):
                p = self.list(agg, kind, expect=rh.EXIT_DATA)
                self.assertIn("%s aggregator %s holds none" % (agg.tier, agg.id), p.stderr)
                self.assertEqual(p.stdout, "")
        p = self.list(self.county, "blind-spots", extra=["--school", "4101029999"],
                      expect=rh.EXIT_DATA)
        self.assertIn("4101029999 is not enrolled", p.stderr)
        self.list(self.county, "nonsense", expect=rh.EXIT_USAGE)
        self.list(self.county, "schools", "xml", expect=rh.EXIT_USAGE)
        self.list(self.county, "schools", extra=["--stale-days", "0"], expect=rh.EXIT_USAGE)
        p = self.list(self.county, "groups", extra=["--stale-days", "3"], expect=rh.EXIT_USAGE)
        self.assertIn("--stale-days applies to the schools list", p.stderr)
        self.list(self.county, "schools", extra=["--stale-days", "3"])
        self.list(self.county, "schools", extra=["--school", "abc"], expect=rh.EXIT_USAGE)
        p = self.h.run([rh.AGG, "list", "--help"])
        for kind in ("blind-spots", "schools", "duplicates", "groups", "measures"):
            self.assertIn(kind, p.stdout)

    def test_8_chinese_by_default(self):
        # Text and CSV are in Chinese unless --lang en: the same rows as the JSON, with
        # Chinese headers and the codes' words (sets joined by 、, a status after ：).
        zh = {"poverty_card": "建档立卡", "hardship": "困难", "frontline_family": "一线医务人员子女",
              "left_behind": "留守", "migrant": "随迁", "disabled": "残疾", "other": "其他",
              "lacking_conditions": "缺少居家学习条件", "absent": "缺席", "active": "正常",
              "irregular": "不规律", "opted_out": "申请不参加", "loaned_device": "借用设备",
              "funding": "资助", "paper_materials": "纸质材料", "data_subsidy": "流量补贴",
              "tv_at_village": "村集中收看", "one_to_one": "一对一帮扶", "planned": "计划",
              "ended": "已结束", "in_place": "已落实"}

        def words(cells):
            out = []
            for c in cells:
                kind, _, status = c.partition(":")
                out.append(zh[kind] + ("：" + zh[status] if status else ""))
            return "、".join(out)

        want = self.list(self.county, "blind-spots")["rows"]
        _, rows = self.csv_rows(self.county, "blind-spots", lang=None)
        self.assertEqual(list(rows[0].keys()), ["紧急程度", "学校代码", "学校", "年级", "班级",
                                                "姓名", "原因", "特殊群体", "参与情况",
                                                "帮扶措施", "也在学校"])
        self.assertEqual([(int(r["紧急程度"]), r["学校代码"], r["姓名"].lstrip("'"), r["原因"],
                           r["特殊群体"], r["参与情况"], r["帮扶措施"]) for r in rows],
                         [(w["urgency"], w["school_id"], w["name"], words(w["why"]),
                           words(w["groups"]), zh[w["participation"]], words(w["measures"]))
                          for w in want])
        _, rows = self.csv_rows(self.county, "groups", lang=None)
        self.assertEqual([r["特殊群体"] for r in rows], [zh[g] for g in rh.GROUPS])
        _, rows = self.csv_rows(self.county, "schools", lang=None)
        self.assertEqual([(r["学校代码"], r["状态"]) for r in rows], [(C, "从未上报")])
        text = self.list(self.county, "measures", "text").stdout.splitlines()
        self.assertEqual(text[0].split(), ["帮扶措施", "状态", "学生数"])
        self.assertEqual(text[1].split()[:2], [zh[rh.MEASURES[0]], "计划"])

    def test_7_while_a_school_syncs(self):
        # Lists read in one transaction while `run` applies a school's batches: each is whole
        # (never an error for a busy store), school A's rows never move, and school B's are
        # always between what it held before and what it holds after.
        def spots(rows_by_school, school):
            return [(e["school_id"], e["name"], e["grade"], e["class"])
                    for e in expected_blind_spots(rows_by_school) if e["school_id"] == school]

        before_a, before_b = spots(self.rows, A), spots(self.rows, B)
        b = self.schools[B]
        b.import_csv(self.h.gen_students(B, COUNTY, 1500, 91, self.h.path("more-b.csv")))
        self.rows[B] = b.rows
        after_b = spots(self.rows, B)
        self.assertGreater(len(after_b), len(before_b))
        sync = self.h.start("sync-b", [rh.SCHOOL, "sync", "--db", b.db, "--timeout", "60"])
        reads = 0
        while True:
            done = sync.poll() is not None
            got = [(g["school_id"], g["name"], g["grade"], g["class"])
                   for g in self.list(self.county, "blind-spots")["rows"]]
            reads += 1
            self.assertEqual([g for g in got if g[0] == A], before_a)
            got_b = [g for g in got if g[0] == B]
            self.assertTrue(set(before_b) <= set(got_b) <= set(after_b),
                            "read %d: school B's rows are not between before and after" % reads)
            if done:
                break
        print("lists read while syncing: %d" % reads, file=sys.stderr)
        self.assertEqual(self.h.stop(sync), 0)
        self.assertEqual(got_b, after_b)

    def test_8_school_lists(self):
        """`rollcall-school list`: the school's own lacking, blind-spots and plans lists,
        computed here from its rows; blind spots in the county's order of urgency."""
        school, rows = self.schools[A], self.rows[A]

        def school_list(kind, fmt="json", extra=()):
            p = self.h.run([rh.SCHOOL, "list", "--db", school.db, kind, "--format", fmt]
                           + list(extra))
            if fmt != "json":
                return p.stdout
            obj = json.loads(p.stdout)
            self.assertEqual((obj["kind"], obj["scope"], obj["tier"]), (kind, A, "school"))
            return obj["rows"]

        def place(r):
            return (int(r["grade"]), key_bytes(r["class"]), key_bytes(r["name"]),
                    r["student_id"])

        # Blind spots: the county's rows of A, in the same order, with the student number.
        want = [dict((k, v) for k, v in e.items() if k not in ("school_id", "school_name", "also_at"))
                for e in expected_blind_spots({A: rows})]
        ids = {(r["name"], r["grade"], r["class"]): r["student_id"] for r in rows}
        for w in want:
            w["student_id"] = ids[(w["name"], str(w["grade"]), w["class"])]
        want.sort(key=lambda e: (e["urgency"], -len(e["groups"]), "absent" not in e["why"],
                                 e["grade"], key_bytes(e["class"]), key_bytes(e["name"]),
                                 e["student_id"]))
        got = school_list("blind-spots")
        for g in got:
            g["measures"] = canonical_measures(g["measures"])
        for w in want:
            w["measures"] = canonical_measures(w["measures"])
        self.assertEqual(got, want)
        county = [g["name"] for g in self.list(self.county, "blind-spots", extra=["--school", A])
                  ["rows"]]
        self.assertEqual([g["name"] for g in got], county, "the county's order of urgency")

        # Lacking the conditions: by grade, class and name; one class with --class.
        lacking = sorted((r for r in rows if rh.condition(r) == "none"), key=place)
        got = school_list("lacking")
        self.assertEqual([(g["student_id"], g["participation"]) for g in got],
                         [(r["student_id"], rh.participation(r)) for r in lacking])
        got = school_list("lacking", extra=["--class", "2-1"])
        self.assertEqual([g["student_id"] for g in got],
                         [r["student_id"] for r in lacking if r["class"] == "2-1"])
        self.assertTrue(got, "class 2-1 has students lacking conditions")

        # CSV for Excel: BOM, CRLF, Chinese headers and words, the formula-like name guarded.
        raw = subprocess.run([rh.SCHOOL, "list", "--db", school.db, "lacking", "--format", "csv"],
                             capture_output=True, timeout=60).stdout
        self.assertTrue(raw.startswith(b"\xef\xbb\xbf"))
        text = raw.decode("utf-8-sig")
        lines = text.split("\r\n")
        self.assertEqual(lines[0].split(",")[:4], ["学籍号", "姓名", "年级", "班级"])
        self.assertEqual(len(lines), len(lacking) + 2, "header, rows, and the last CRLF")
        self.assertIn(',"\'=1+2",', text)
        self.assertIn("缺席", text)
        en = list(csv.DictReader(io.StringIO(school_list("lacking", "csv", ["--lang", "en"])
                                             .lstrip("\ufeff"))))
        self.assertEqual([r["student_id"] for r in en], [r["student_id"] for r in lacking])

        # Text: the header, one line per row, the count.
        text = school_list("blind-spots", "text").splitlines()
        self.assertEqual(len(text), len(want) + 2)
        self.assertTrue(text[0].startswith("紧急程度"))

        # Plans: one row per measure, with the helper role and dates entered by hand.
        sid = next(r["student_id"] for r in rows if r["name"] == "周八")
        self.h.run([rh.SCHOOL, "measure", "add", "--db", school.db, "--id", sid, "--kind",
                    "one_to_one", "--role", "班主任", "--start", "2026-03-02"])
        for r in rows:
            if r["student_id"] == sid:
                r["assistance"] += ";one_to_one"
        want = []
        for r in sorted(rows, key=place):
            for m in items(r["assistance"]):
                kind, _, status = m.partition(":")
                want.append((r["student_id"], kind, status or "in_place"))
        got = school_list("plans")
        self.assertEqual([(g["student_id"], g["kind"], g["status"]) for g in got], want)
        mine = [g for g in got if g["student_id"] == sid and g["kind"] == "one_to_one"]
        self.assertEqual([(g["helper_role"], g["start_date"], g["end_date"]) for g in mine],
                         [("班主任", "2026-03-02", "")])
        text = school_list("plans", "text")
        self.assertIn("一对一帮扶", text)
        self.assertIn("已落实", text)
        self.h.run([rh.SCHOOL, "list", "--db", school.db, "nobody"], expect=rh.EXIT_USAGE)


if __name__ == "__main__":
    rh.main()
