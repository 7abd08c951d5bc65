#!/usr/bin/env python3
"""`rollcall-agg list` of what schools record beyond the counts: plans (one row
per measure, with its helper role and dates), helpers (each helper's open
measures), platforms (each school's platforms and materials), feedback and
optouts. The facts are set at the schools with the editing commands
(`measure`, `feedback`, `optout`, `profile`), synced, and every row of every
list is compared with rows this test computes from what it told the schools.
Also: CSV lines end in CRLF, text and CSV are in Chinese unless `--lang en`,
JSON keys and codes stay English, and a city or the province refuses them.

province 41 ── city 4101 ── county 410102 ── schools A and B (synced, with
profiles set), C (synced, no `profile set`) and D (enrolled, never synced).
"""

import csv
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

COUNTY = "410102"
A, B, C, D = "4101020011", "4101020012", "4101020013", "4101020014"
NAMES = {A: "中原区第五小学", B: "中原区第六中学", C: "中原区第七小学", D: "中原区第八小学"}

# The Chinese words the lists show for the codes (this test's own copy).
ZH = {
    "tv_at_village": "村集中收看", "loaned_device": "借用设备", "data_subsidy": "流量补贴",
    "one_to_one": "一对一帮扶", "paper_materials": "纸质材料", "funding": "资助",
    "planned": "计划", "in_place": "已落实", "ended": "已结束",
    "active": "正常", "irregular": "不规律", "absent": "缺席", "opted_out": "申请不参加",
    "live": "直播", "recorded": "录播", "tv": "电视", "other": "其他",
}
OPTOUT_ZH = {"pending": "待审批", "approved": "已批准", "rejected": "未批准"}

PLAN_HEADER_ZH = ["学校代码", "学校", "年级", "班级", "姓名", "帮扶措施", "状态", "帮扶人",
                  "开始日期", "结束日期", "帮扶人电话"]
PLAN_KEYS = ["school_id", "school_name", "grade", "class", "name", "kind", "status",
             "helper_role", "start_date", "end_date", "helper_contact"]


def sid(birth, seq):
    return rh.student_id(COUNTY, birth, seq)


def student(sid_, name, grade, cls, assistance=""):
    return {"student_id": sid_, "name": name, "grade": str(grade), "class": cls,
            "network": "broadband", "devices": "computer", "groups": "",
            "assistance": assistance, "participation": ""}


HAND = {
    A: [student(sid("20150301", 1), "陈一", 3, "3-1"),
        student(sid("20150302", 2), "陈二", 3, "3-1", "paper_materials:planned"),
        student(sid("20150303", 3), "陈三", 3, "3-2"),
        student(sid("20150304", 4), "=陈四", 4, "4-1")],
    B: [student(sid("20100305", 5), "林五", 8, "8-1"),
        student(sid("20100306", 6), "林六", 8, "8-2", "funding")],
    C: [student(sid("20120307", 7), "何七", 6, "6-1")],
}


def key_bytes(s):
    return s.encode("utf-8")


class CountyLists(rh.RollcallTestCase):
    harness_name = "county_lists"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.city = rh.Aggregator(h, "4101", "city", upstream=cls.prov)
        cls.prov.enroll(cls.city)
        cls.county = rh.Aggregator(h, COUNTY, "county", upstream=cls.city)
        cls.city.enroll(cls.county)
        cls.schools = {s: rh.School(h, s, COUNTY, cls.county, name=NAMES[s]) for s in NAMES}
        for s in cls.schools.values():
            cls.county.enroll(s)
        cls.prov.start()
        cls.city.start()
        cls.county.start()
        # The test's model: school -> student id -> what the county should hold of it.
        cls.model = {}
        for i, s in enumerate((A, B, C)):
            path = h.path("hand-%s.csv" % s)
            rh.write_csv(path, HAND[s])
            cls.schools[s].import_csv(path)
            cls.schools[s].generate(15, 31 + i)
            cls.model[s] = {}
            for r in cls.schools[s].rows:
                ms = []
                for item in rh._items(r["assistance"]):
                    kind, _, status = item.partition(":")
                    ms.append({"kind": kind.strip(), "status": status.strip() or "in_place",
                               "helper_role": "", "start_date": "", "end_date": "",
                               "helper_contact": ""})
                cls.model[s][r["student_id"]] = {
                    "name": r["name"], "grade": int(r["grade"]), "class": r["class"],
                    "measures": ms, "feedback": "", "optout": None,
                    "participation": rh.participation(r)}
        cls.profiles = {}
        cls.set_facts()
        rh.sync_until_acked(h, [cls.schools[s] for s in (A, B, C)])

    @classmethod
    def edit(cls, school, words, *opts):
        cls.h.run([rh.SCHOOL] + words.split() + ["--db", cls.schools[school].db] + list(opts))

    @classmethod
    def measure(cls, school, action, student_id, kind, role=None, start=None, end=None):
        opts = ["--id", student_id, "--kind", kind]
        for flag, v in (("--role", role), ("--start", start), ("--end", end)):
            if v is not None:
                opts += [flag, v]
        cls.edit(school, "measure " + action, *opts)
        # As the school applies it: the open measure of the kind, else a new one.
        ms = cls.model[school][student_id]["measures"]
        m = next((m for m in ms if m["kind"] == kind and m["status"] != "ended"), None)
        if m is None:
            m = {"kind": kind, "status": "", "helper_role": "", "start_date": "",
                 "end_date": "", "helper_contact": ""}
            ms.append(m)
        m["status"] = {"add": "in_place", "plan": "planned", "end": "ended"}[action]
        for k, v in (("helper_role", role), ("start_date", start), ("end_date", end)):
            if v is not None:
                m[k] = v

    @classmethod
    def set_facts(cls):
        a1, a2, a3, a4 = (r["student_id"] for r in HAND[A])
        b1, b2 = (r["student_id"] for r in HAND[B])
        cls.measure(A, "add", a1, "loaned_device", "班主任", "2026-02-10")
        cls.measure(A, "plan", a1, "tv_at_village", "村干部", "2026-03-01")
        cls.measure(A, "add", a2, "paper_materials", "班主任", "2026-02-12")
        cls.measure(A, "add", a3, "one_to_one", "数学老师", "2026-02-01")
        cls.measure(A, "end", a3, "one_to_one", end="2026-02-20")
        cls.measure(A, "add", a4, "data_subsidy", "班主任", "2026-02-15")
        cls.measure(B, "add", b1, "one_to_one", "数学老师", "2026-02-03")
        cls.measure(B, "add", b2, "funding", "校长", "2026-01-20")
        cls.measure(B, "plan", b2, "loaned_device", start="2026-04-01")
        for school, s, text in ((A, a3, "家里只有一部手机，需要流量补贴"),
                                (A, a1, "需要纸质材料"), (B, b1, "希望老师每周家访")):
            cls.edit(school, "feedback", "--id", s, "--text", text)
            cls.model[school][s]["feedback"] = text
        for school, s, reason, filed, decision, decided in (
                (A, a4, "家长在家辅导", "2026-02-05", None, None),
                (A, a2, "回老家", "2026-01-28", "rejected", "2026-02-02"),
                (B, b2, "长期住院", "2026-02-01", "approved", "2026-02-04"),
                (B, b1, "随父母外出", "2026-01-30", None, None)):
            cls.edit(school, "optout file", "--id", s, "--reason", reason, "--date", filed)
            status = "pending"
            if decision:
                cls.edit(school, "optout decide", "--id", s, "--status", decision,
                         "--date", decided)
                status = decision
                rec = cls.model[school][s]
                if decision == "approved":
                    rec["participation"] = "opted_out"
                elif rec["participation"] == "opted_out":
                    rec["participation"] = "active"
            cls.model[school][s]["optout"] = (status, reason, filed, decided or "")
        cls.edit(A, "profile set", "--platforms", "空中课堂:tv:all;钉钉:live:3-1,3-2",
                 "--materials", "120/300", "--contact-role", "教导主任")
        cls.profiles[A] = {"platforms": [("空中课堂", "tv", "all"), ("钉钉", "live", "3-1,3-2")],
                           "delivered": 120, "total": 300, "percent": 120 * 100 // 300,
                           "contact": "教导主任"}
        cls.edit(B, "profile set", "--platforms", "学习强国:recorded", "--materials", "75%")
        cls.profiles[B] = {"platforms": [("学习强国", "recorded", "")], "delivered": None,
                           "total": None, "percent": 75, "contact": ""}

    # -- what the lists should say, from the model

    def students(self):
        for school in sorted(self.model):
            for s, rec in self.model[school].items():
                yield school, s, rec

    def order(self, school, s, rec):
        return (school, rec["grade"], key_bytes(rec["class"]), key_bytes(rec["name"]),
                rh.pseudonym(s))

    def expected_plans(self):
        out = []
        for school, s, rec in self.students():
            for i, m in enumerate(rec["measures"]):
                out.append((self.order(school, s, rec) + (i,), dict(
                    school_id=school, school_name=NAMES[school], grade=rec["grade"],
                    **{"class": rec["class"]}, name=rec["name"], **m)))
        return [row for _, row in sorted(out, key=lambda e: e[0])]

    def expected_helpers(self):
        rows = [dict(r) for r in self.expected_plans() if r["status"] != "ended"]
        for r in rows:
            del r["end_date"]
        # Sorted is stable: within a role, the plans order stays.
        return sorted(rows, key=lambda r: (r["helper_role"] == "", key_bytes(r["helper_role"])))

    def expected_feedback(self):
        out = [(self.order(school, s, rec), {
            "school_id": school, "school_name": NAMES[school], "grade": rec["grade"],
            "class": rec["class"], "name": rec["name"], "feedback": rec["feedback"],
            "participation": rec["participation"]})
            for school, s, rec in self.students() if rec["feedback"]]
        return [row for _, row in sorted(out, key=lambda e: e[0])]

    def expected_optouts(self):
        rank = {"pending": 0, "approved": 1, "rejected": 2}
        out = []
        for school, s, rec in self.students():
            if not rec["optout"]:
                continue
            status, reason, filed, decided = rec["optout"]
            out.append(((rank[status], filed) + self.order(school, s, rec), {
                "status": status, "school_id": school, "school_name": NAMES[school],
                "grade": rec["grade"], "class": rec["class"], "name": rec["name"],
                "reason": reason, "filed": filed, "decided": decided,
                "participation": rec["participation"]}))
        return [row for _, row in sorted(out, key=lambda e: e[0])]

    def expected_platforms(self):
        out = []
        for school in sorted(NAMES):
            p = self.profiles.get(school)
            # The county learns a school's name from its first sync.
            base = {"school_id": school, "school_name": NAMES[school] if school != D else ""}
            if p is None:
                # C synced without `profile set`: its profile is the default one.
                sent = school != D
                out.append(dict(base, profile="sent" if sent else "none", platform="",
                                platform_kind="", classes="", materials_delivered=None,
                                materials_total=None, materials_percent=0 if sent else None,
                                contact_role=""))
                continue
            for name, kind, classes in p["platforms"]:
                out.append(dict(base, profile="sent", platform=name, platform_kind=kind,
                                classes=classes, materials_delivered=p["delivered"],
                                materials_total=p["total"], materials_percent=p["percent"],
                                contact_role=p["contact"]))
        return out

    # -- reading the lists

    def list(self, agg, kind, fmt="json", extra=(), expect=rh.EXIT_OK):
        p = self.h.run([rh.AGG, "list", "--db", agg.db, kind, "--format", fmt] + list(extra),
                       expect=expect)
        if expect != rh.EXIT_OK or fmt != "json":
            return p
        obj = json.loads(p.stdout)
        self.assertEqual((obj["kind"], obj["scope"]), (kind, agg.id))
        return obj["rows"]

    def raw_csv(self, kind, extra=()):
        """The CSV's bytes as written (the harness's text mode would turn CRLF into LF)."""
        p = subprocess.run([rh.AGG, "list", "--db", self.county.db, kind, "--format", "csv"]
                           + list(extra), capture_output=True, env=self.h.env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode("utf-8", "replace"))
        return p.stdout

    def csv_rows(self, kind, extra=()):
        raw = self.raw_csv(kind, extra)
        self.assertTrue(raw.startswith(b"\xef\xbb\xbf"), "%s CSV lacks the byte order mark" % kind)
        lines = raw.split(b"\n")
        self.assertEqual(lines[-1], b"")
        self.assertTrue(all(line.endswith(b"\r") for line in lines[:-1]),
                        "%s CSV has a line that does not end in CRLF" % kind)
        text = raw[3:].decode("utf-8")
        return list(csv.reader(io.StringIO(text, newline="")))

    # -- the tests

    def test_1_plans(self):
        want = self.expected_plans()
        self.assertEqual(len([w for w in want if w["helper_role"]]), 7)
        self.assertEqual(self.list(self.county, "plans"), want)
        self.assertEqual(self.list(self.county, "plans", extra=["--school", B]),
                         [w for w in want if w["school_id"] == B])
        # CSV in English: the JSON keys as headers, the codes as they are.
        rows = self.csv_rows("plans", ["--lang", "en"])
        self.assertEqual(rows[0], PLAN_KEYS)
        self.assertEqual([r[:2] + [int(r[2]), r[3], r[4].lstrip("'")] + r[5:] for r in rows[1:]],
                         [[w[k] for k in PLAN_KEYS] for w in want])
        # CSV in Chinese (the default): headers and the codes' words; a name a spreadsheet
        # would run is shown as text.
        rows = self.csv_rows("plans")
        self.assertEqual(rows[0], PLAN_HEADER_ZH)
        self.assertEqual([[r[4].lstrip("'"), r[5], r[6], r[7]] for r in rows[1:]],
                         [[w["name"], ZH[w["kind"]], ZH[w["status"]], w["helper_role"]]
                          for w in want])
        self.assertIn(b",\"'=\xe9\x99\x88\xe5\x9b\x9b\",", self.raw_csv("plans"))  # '=陈四
        # Text in Chinese: a header line, a line per row, the count.
        text = self.list(self.county, "plans", "text").stdout.splitlines()
        self.assertEqual(len(text), len(want) + 2)
        self.assertEqual(text[0].split(), PLAN_HEADER_ZH)
        self.assertEqual(text[-1], "(%d rows)" % len(want))
        en = self.list(self.county, "plans", "text", ["--lang", "en"]).stdout.splitlines()
        self.assertEqual(en[0].split(), PLAN_KEYS)

    def test_2_helpers(self):
        want = self.expected_helpers()
        self.assertEqual(self.list(self.county, "helpers"), want)
        roles = []
        for w in want:
            if not roles or roles[-1] != w["helper_role"]:
                roles.append(w["helper_role"])
        self.assertEqual(len(roles), len(set(roles)))
        self.assertEqual(roles[-1], "")  # measures without a role come last
        self.assertNotIn("数学老师", [w["helper_role"] for w in want if w["kind"] == "one_to_one"
                                  and w["school_id"] == A])  # ended: no one's task
        # Text: each role's rows under their own header, blocks apart by a blank line.
        lines = self.list(self.county, "helpers", "text").stdout.splitlines()
        blocks = "\n".join(lines[:-1]).split("\n\n")
        self.assertEqual(len(blocks), len(roles))
        for block, role in zip(blocks, roles):
            rows = block.splitlines()
            self.assertEqual(rows[0].split()[0], "帮扶人")
            names = [w["name"] for w in want if w["helper_role"] == role]
            self.assertEqual(len(rows) - 1, len(names))
            for line, name in zip(rows[1:], names):
                self.assertTrue(line.startswith(role or "-"), line)
                self.assertIn(name, line)
        self.assertEqual(lines[-1], "(%d rows)" % len(want))

    def test_3_feedback_and_optouts(self):
        want = self.expected_feedback()
        self.assertEqual(len(want), 3)
        self.assertEqual(self.list(self.county, "feedback"), want)
        rows = self.csv_rows("feedback")
        self.assertEqual(rows[0], ["学校代码", "学校", "年级", "班级", "姓名", "家长反馈",
                                   "参与情况"])
        self.assertEqual([(r[4], r[5], r[6]) for r in rows[1:]],
                         [(w["name"], w["feedback"], ZH[w["participation"]]) for w in want])
        want = self.expected_optouts()
        self.assertEqual([w["status"] for w in want],
                         ["pending", "pending", "approved", "rejected"])
        self.assertEqual(self.list(self.county, "optouts"), want)
        rows = self.csv_rows("optouts")
        self.assertEqual(rows[0][:1] + rows[0][6:], ["申请状态", "申请理由", "申请日期",
                                                     "审批日期", "参与情况"])
        self.assertEqual([(r[0], r[5].lstrip("'"), r[6], r[7], r[8], r[9]) for r in rows[1:]],
                         [(OPTOUT_ZH[w["status"]], w["name"], w["reason"], w["filed"],
                           w["decided"], ZH[w["participation"]]) for w in want])
        rows = self.csv_rows("optouts", ["--lang", "en"])
        self.assertEqual([r[0] for r in rows[1:]], [w["status"] for w in want])

    def test_4_platforms(self):
        want = self.expected_platforms()
        self.assertEqual(self.list(self.county, "platforms"), want)
        self.assertEqual(self.list(self.county, "platforms", extra=["--school", D]),
                         [w for w in want if w["school_id"] == D])
        rows = self.csv_rows("platforms")
        self.assertEqual(rows[0], ["学校代码", "学校", "学校情况", "教学平台", "平台类型",
                                   "使用班级", "教材已发放", "教材应发放", "发放进度(%)",
                                   "联系人"])
        self.assertEqual([(r[0], r[2], r[3], r[4], r[8]) for r in rows[1:]],
                         [(w["school_id"], "已填报" if w["profile"] == "sent" else "未填报",
                           w["platform"], ZH.get(w["platform_kind"], ""),
                           "" if w["materials_percent"] is None else str(w["materials_percent"]))
                          for w in want])

    def test_4b_report_schools(self):
        """The county's report shows each school's platforms, materials, pending opt-outs and
        feedback records, as the schools entered them; the city and province gain none."""
        want = {}
        for school in sorted(NAMES):
            rows = [r for r in self.expected_platforms() if r["school_id"] == school]
            recs = self.model.get(school, {}).values()
            want[school] = {
                "profile": rows[0]["profile"],
                "platforms": [{"name": r["platform"], "kind": r["platform_kind"],
                               "classes": r["classes"]} for r in rows if r["platform"]],
                "materials_delivered": rows[0]["materials_delivered"],
                "materials_total": rows[0]["materials_total"],
                "materials_percent": rows[0]["materials_percent"],
                "optouts_pending": sum(1 for r in recs
                                       if r["optout"] and r["optout"][0] == "pending"),
                "feedback": sum(1 for r in recs if r["feedback"])}
        got = {s["id"]: {k: v for k, v in s.items() if k not in ("id", "name")}
               for s in self.county.report()["schools"]}
        self.assertEqual(got, want)
        self.assertGreater(sum(w["optouts_pending"] for w in want.values()), 0)
        self.assertGreater(sum(w["feedback"] for w in want.values()), 0)
        self.check_report_per_school(want)
        page = ET.fromstring(re.sub(r"^<!DOCTYPE[^>]*>", "", self.county.report("html")))
        for school, w in want.items():
            row = page.find(".//tr[@data-level='school-extra'][@data-unit='%s']" % school)
            self.assertIsNotNone(row, school)
            cells = {td.get("data-k"): td for td in row.findall("td") if td.get("data-k")}
            for k in ("optouts_pending", "feedback", "materials_delivered", "materials_total",
                      "materials_percent"):
                self.assertEqual(cells[k].text or "", "" if w[k] is None else str(w[k]),
                                 (school, k))
            self.assertEqual([sp.get("data-kind") for sp in cells["platforms"].findall("span")
                              if sp.get("class") == "platform"],
                             [pl["kind"] for pl in w["platforms"]])
        # Upper tiers hold no student row: no such section, no such key.
        for agg in (self.city, self.prov):
            self.assertNotIn("schools", agg.report())
            self.assertNotIn("school-extra", agg.report("html"))

    def check_report_per_school(self, want):
        """report --per-school FILE: the report's CSV byte for byte as without it, and in FILE a
        table of each school's figures, equal to the JSON's "schools" and to what the test told
        the schools; a city or the province refuses it and writes no file."""
        plain = subprocess.run([rh.AGG, "report", "--db", self.county.db, "--format", "csv",
                                "--deadline", "none"], capture_output=True, env=self.h.env,
                               timeout=60)
        self.assertEqual(plain.returncode, 0, plain.stderr.decode("utf-8", "replace"))
        path = self.h.path("per-school.csv")
        p = subprocess.run([rh.AGG, "report", "--db", self.county.db, "--format", "csv",
                            "--deadline", "none", "--per-school", path],
                           capture_output=True, env=self.h.env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode("utf-8", "replace"))
        self.assertEqual(p.stdout, plain.stdout)
        with open(path, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"\xef\xbb\xbf"), "a byte order mark for Excel")
        lines = data.split(b"\n")
        self.assertEqual(lines[-1], b"")
        self.assertTrue(all(line.endswith(b"\r") for line in lines[:-1]), "CRLF throughout")
        schools = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        r = self.county.report()

        def cell(v):
            return "" if v is None else str(v)

        def platforms(pls):
            return "; ".join("%s (%s%s)" % (pl["name"], pl["kind"],
                                            ": " + pl["classes"] if pl["classes"] else "")
                             for pl in pls)

        got = {row.pop("id"): row for row in schools}
        self.assertEqual({s: row.pop("name") for s, row in got.items()},
                         {s["id"]: s["name"] for s in r["schools"]})
        self.assertEqual(got, {s: {"profile": w["profile"], "platforms": platforms(w["platforms"]),
                                   "materials_delivered": cell(w["materials_delivered"]),
                                   "materials_total": cell(w["materials_total"]),
                                   "materials_percent": cell(w["materials_percent"]),
                                   "optouts_pending": str(w["optouts_pending"]),
                                   "feedback": str(w["feedback"])} for s, w in want.items()})
        self.assertEqual(list(got), sorted(want))
        self.assertTrue(any(";" in row["platforms"] for row in got.values()),
                        "a school with two platforms or more")
        for agg in (self.city, self.prov):
            other = self.h.path("per-school-%s.csv" % agg.id)
            q = subprocess.run([rh.AGG, "report", "--db", agg.db, "--format", "csv",
                                "--per-school", other], capture_output=True, env=self.h.env,
                               timeout=60)
            self.assertEqual(q.returncode, 1)
            self.assertIn("--per-school", q.stderr.decode("utf-8"))
            self.assertIn(agg.db, q.stderr.decode("utf-8"))
            self.assertFalse(os.path.exists(other))

    def test_5_refusals(self):
        kinds = ("plans", "helpers", "platforms", "feedback", "optouts")
        for agg in (self.city, self.prov):
            for kind in kinds:
                for fmt in ("json", "csv"):
                    p = self.list(agg, kind, fmt, expect=rh.EXIT_DATA)
                    self.assertIn("%s aggregator %s holds none" % (agg.tier, agg.id), p.stderr)
                    self.assertEqual(p.stdout, "")
        self.list(self.county, "plans", "json", ["--lang", "en"], expect=rh.EXIT_USAGE)
        self.list(self.county, "plans", "csv", ["--lang", "fr"], expect=rh.EXIT_USAGE)
        help_text = self.h.run([rh.AGG, "list", "--help"]).stdout
        for kind in kinds:
            self.assertIn("  %s " % kind, help_text)
        self.assertIn("--lang", help_text)


if __name__ == "__main__":
    rh.main()
