"""A county's dashboard holds what the county holds, in Chinese and in local time.

County 410106 (run with TZ=Asia/Shanghai) with schools A, B and C that sync
and D that never does. Each of A, B and C has a student lacking conditions in
a special group (urgency 1) beside less urgent ones and generated students;
A's ids sort first, so a page listing school by school would show A's
urgency-4 student before C's urgency-1 one. At the schools the test sets
platforms and materials (`profile set`), feedback, opt-out applications and
measures with helper roles and dates, then reads the page and compares each
table with the rows it computes from what it told the schools: the blind
spots across every school, most urgent first, with "共 M 名" (or "显示 N
名，共 M 名") counted from its own rows; the pending applications only;
every code shown as its Chinese word (this test's own copy of the words);
every time with the +0800 offset and within the minute it happened. With
chromium installed, the page rendered in headless Chromium holds the same.
"""

import datetime
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_dashboard import CHROMIUM, CHROMIUM_TIMEOUT, parse_dom  # noqa: E402
from test_metrics import http_get, start_with_http  # noqa: E402

COUNTY = "410106"
A, B, C, D = "4101060001", "4101060002", "4101060003", "4101060004"
NAMES = {A: "管城区第一小学", B: "管城区第二小学", C: "管城区第三中学", D: "管城区山区小学"}
LIST_MAX = 500  # RCL_AGG_DASH_LIST_MAX
TZ, OFFSET = "Asia/Shanghai", datetime.timezone(datetime.timedelta(hours=8))

# The Chinese words of the codes (this test's own copy).
ZH = {
    "poverty_card": "建档立卡", "hardship": "困难", "frontline_family": "一线医务人员子女",
    "left_behind": "留守", "migrant": "随迁", "disabled": "残疾", "other": "其他",
    "tv_at_village": "村集中收看", "loaned_device": "借用设备", "data_subsidy": "流量补贴",
    "one_to_one": "一对一帮扶", "paper_materials": "纸质材料", "funding": "资助",
    "planned": "计划", "in_place": "已落实", "ended": "已结束",
    "active": "正常", "irregular": "不规律", "absent": "缺席", "opted_out": "申请不参加",
    "lacking_conditions": "缺少居家学习条件",
    "live": "直播", "recorded": "录播", "tv": "电视",
    "pending": "待审批", "never_reported": "从未上报", "sent": "已填报", "none": "未填报",
}
CODES = set(ZH) | {"online", "tv_only", "approved", "rejected", "stale"}

SPOT_HEADER = ["紧急程度", "学校代码", "学校", "年级", "班级", "姓名", "原因", "特殊群体",
               "参与情况", "帮扶措施", "也在学校"]
OPTOUT_HEADER = ["申请状态", "学校代码", "学校", "年级", "班级", "姓名", "申请理由", "申请日期",
                 "审批日期", "参与情况"]
FEEDBACK_HEADER = ["学校代码", "学校", "年级", "班级", "姓名", "家长反馈", "参与情况"]
PLAN_HEADER = ["学校代码", "学校", "年级", "班级", "姓名", "帮扶措施", "状态", "帮扶人",
               "开始日期", "结束日期", "帮扶人电话"]
PLATFORM_HEADER = ["学校代码", "学校", "学校情况", "教学平台", "平台类型", "使用班级",
                   "教材已发放", "教材应发放", "发放进度(%)", "联系人"]


def sid(birth, seq):
    return rh.student_id(COUNTY, birth, seq)


def row(seq, name, grade, cls, network="", devices="", groups="", assistance="", part=""):
    return {"student_id": sid("201%d0301" % (seq % 10), seq), "name": name, "grade": str(grade),
            "class": cls, "network": network, "devices": devices, "groups": groups,
            "assistance": assistance, "participation": part}


HAND = {
    A: [row(1, "艾一", 2, "2-1", "mobile", "smartphone", "", "", "absent"),      # urgency 4
        row(2, "艾二", 2, "2-1", "", "tv"),                                       # urgency 2
        row(3, "艾三", 5, "5-2", "", "", "hardship"),                             # urgency 1
        row(4, "艾四", 5, "5-2", "broadband", "computer")],                       # online
    B: [row(5, "白五", 3, "3-1", "", "", "left_behind;migrant"),                  # urgency 1
        row(6, "白六", 3, "3-1", "broadband", "tablet", "disabled", "", "absent"),  # urgency 3
        row(7, "白七", 4, "4-1", "broadband", "computer")],                       # online
    C: [row(8, "陈八", 7, "7-3", "", "", "poverty_card"),                         # urgency 1
        row(9, "陈九", 8, "8-1", "mobile", "smartphone"),                         # online
        row(10, "陈十", 8, "8-1", "cable_tv", "tv", "", "", "absent")],           # urgency 4
}


def key_bytes(s):
    return s.encode("utf-8")


def words(codes):
    return "、".join(ZH.get(c, c) for c in codes)


def measure_words(item):
    kind, _, status = item.partition(":")
    status = status.strip() or "in_place"
    return ZH[kind.strip()] + ("" if status == "in_place" else "：" + ZH[status])


def local_time(text):
    """'YYYY-MM-DD HH:MM +0800' as unix seconds; fails on anything else."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d) \+0800", text)
    if not m:
        raise AssertionError("%r is not a local time with the +0800 offset" % text)
    return datetime.datetime(*map(int, m.groups()), tzinfo=OFFSET).timestamp()


def table(d, ident):
    """(header, rows) of the table with id ident."""
    rows = d.rows.get(ident)
    if not rows:
        raise AssertionError("the page has no table %s" % ident)
    return rows[0], rows[1:]


class CountyDashboard(rh.RollcallTestCase):
    harness_name = "dashboard_county"

    @classmethod
    def build(cls):
        h = cls.h
        h.env["TZ"] = TZ
        cls.county = rh.Aggregator(h, COUNTY, "county")
        cls.schools = {s: rh.School(h, s, COUNTY, cls.county, name=NAMES[s]) for s in NAMES}
        for s in cls.schools.values():
            cls.county.enroll(s)
        cls.http = start_with_http(cls.county)
        for i, s in enumerate((A, B, C)):
            path = h.path("hand-%s.csv" % s)
            rh.write_csv(path, HAND[s])
            cls.schools[s].import_csv(path)
            cls.schools[s].generate(25, 41 + i)
        cls.details = {}  # (student id, kind) -> (role, start, end) set by hand
        cls.feedback, cls.optouts, cls.profiles = {}, {}, {}
        cls.set_facts()
        cls.synced_from = time.time()
        rh.sync_until_acked(h, [cls.schools[s] for s in (A, B, C)])
        cls.synced_to = time.time()
        cls.token = h.run([rh.AGG, "dashboard-token", "--db", cls.county.db]).stdout.strip()

    @classmethod
    def edit(cls, school, words_, *opts):
        cls.h.run([rh.SCHOOL] + words_.split() + ["--db", cls.schools[school].db] + list(opts))

    @classmethod
    def student(cls, school, name):
        return next(r for r in cls.schools[school].rows if r["name"] == name)

    @classmethod
    def set_facts(cls):
        # Measures: a planned one leaves a blind spot one; one in place helps a student online.
        for school, name, action, kind, role, start in (
                (A, "艾三", "plan", "tv_at_village", "村干部", "2026-03-01"),
                (B, "白七", "add", "one_to_one", "数学老师", "2026-02-03"),
                (C, "陈八", "plan", "loaned_device", "班主任", "2026-02-20")):
            r = cls.student(school, name)
            cls.edit(school, "measure " + action, "--id", r["student_id"], "--kind", kind,
                     "--role", role, "--start", start)
            r["assistance"] = ";".join(filter(None, [
                r["assistance"], kind + (":planned" if action == "plan" else "")]))
            cls.details[(r["student_id"], kind)] = (role, start, "")
        for school, name, text in ((A, "艾二", "家里没有网络，需要纸质材料"),
                                   (C, "陈十", "希望村里有集中收看点")):
            r = cls.student(school, name)
            cls.edit(school, "feedback", "--id", r["student_id"], "--text", text)
            cls.feedback[r["student_id"]] = text
        for school, name, reason, filed, decision in (
                (B, "白六", "孩子住院治疗", "2026-02-06", None),
                (C, "陈九", "随父母外出务工", "2026-02-02", None),
                (A, "艾四", "回老家", "2026-01-28", "rejected")):
            r = cls.student(school, name)
            cls.edit(school, "optout file", "--id", r["student_id"], "--reason", reason,
                     "--date", filed)
            if decision:
                cls.edit(school, "optout decide", "--id", r["student_id"], "--status", decision,
                         "--date", "2026-02-01")
            cls.optouts[r["student_id"]] = (decision or "pending", reason, filed)
        cls.edit(A, "profile set", "--platforms", "空中课堂:tv:all;钉钉:live:5-2",
                 "--materials", "120/300", "--contact-role", "教导主任")
        cls.profiles[A] = ([("空中课堂", "tv", "all"), ("钉钉", "live", "5-2")],
                           "120", "300", "40", "教导主任")
        cls.edit(B, "profile set", "--platforms", "学习强国:recorded", "--materials", "75%")
        cls.profiles[B] = ([("学习强国", "recorded", "")], "", "", "75", "")

    # -- what the page should say, from the test's own rows

    def rows(self):
        return {s: self.schools[s].rows for s in (A, B, C)}

    def students(self):
        for school, rows in sorted(self.rows().items()):
            for r in rows:
                yield school, r

    def order(self, school, r):
        return (school, int(r["grade"]), key_bytes(r["class"]), key_bytes(r["name"]),
                rh.pseudonym(r["student_id"]))

    def expected_spots(self):
        return [[str(e["urgency"]), e["school_id"], e["school_name"], str(e["grade"]), e["class"],
                 e["name"], words(e["why"]), words(e["groups"]), ZH[e["participation"]],
                 sorted(measure_words(m) for m in e["measures"]), ";".join(e["also_at"])]
                for e in rh.expected_blind_spots(self.rows(), NAMES)]

    def expected_optouts(self):
        out = []
        for school, r in self.students():
            status, reason, filed = self.optouts.get(r["student_id"], (None, None, None))
            if status == "pending":
                out.append(((filed,) + self.order(school, r), [
                    ZH["pending"], school, NAMES[school], r["grade"], r["class"], r["name"],
                    reason, filed, "", ZH[rh.participation(r)]]))
        return [v for _, v in sorted(out)]

    def expected_feedback(self):
        out = [(self.order(school, r), [school, NAMES[school], r["grade"], r["class"], r["name"],
                                        self.feedback[r["student_id"]],
                                        ZH[rh.participation(r)]])
               for school, r in self.students() if r["student_id"] in self.feedback]
        return [v for _, v in sorted(out)]

    def expected_plans(self):
        out = []
        for school, r in self.students():
            for i, item in enumerate(rh._items(r["assistance"])):
                kind, _, status = item.partition(":")
                kind, status = kind.strip(), status.strip() or "in_place"
                role, start, end = self.details.get((r["student_id"], kind), ("", "", ""))
                out.append((self.order(school, r) + (i,), [
                    school, NAMES[school], r["grade"], r["class"], r["name"], ZH[kind],
                    ZH[status], role, start, end, ""]))
        return [v for _, v in sorted(out)]

    def expected_platforms(self):
        out = []
        for school in sorted(NAMES):
            if school in self.profiles:
                platforms, delivered, total, percent, contact = self.profiles[school]
                out += [[school, NAMES[school], ZH["sent"], name, ZH[kind], classes, delivered,
                         total, percent, contact] for name, kind, classes in platforms]
            elif school == D:  # never synced: no name, no profile
                out.append([school, "", ZH["none"]] + [""] * 7)
            else:  # synced without `profile set`: the default profile
                out.append([school, NAMES[school], ZH["sent"], "", "", "", "", "", "0", ""])
        return out

    def count_line(self, n, counter):
        if n > LIST_MAX:
            return "显示 %d %s，共 %d %s" % (LIST_MAX, counter, n, counter)
        return "共 %d %s" % (n, counter)

    # -- reading the page

    def page(self):
        before = time.time()
        status, headers, body = http_get(self.http, "/?token=" + self.token)
        after = time.time()
        self.assertEqual(status, 200, body[:500])
        self.assertIn("charset=utf-8", headers["Content-Type"].lower())
        text = body.decode("utf-8")
        self.assertIn('<html lang="zh-CN">', text)
        return text, before, after

    def check_page(self, d):
        """The tables of parsed page d against the test's rows."""
        # Blind spots: every school's, most urgent first, counted from the test's own rows.
        want = self.expected_spots()
        header, got = table(d, "blind-spots")
        self.assertEqual(header, SPOT_HEADER)
        got = [g[:9] + [sorted(filter(None, g[9].split("、"))), g[10]] for g in got]
        self.assertEqual(got, want[:LIST_MAX])
        self.assertEqual(d.by_id["blind-spots-count"].strip(), self.count_line(len(want), "名"))
        first = [g for g in got if g[0] == "1"]
        self.assertEqual({g[1] for g in first}, {A, B, C}, "urgency 1 of every school")
        self.assertEqual(got[:len(first)], first, "urgency 1 before every other")
        self.assertLess([g[1] for g in got].index(C),
                        [i for i, g in enumerate(got) if g[1] == A and g[0] == "4"][0],
                        "C's urgency-1 student before A's urgency-4 one")
        # The pending applications only, with reason and date.
        header, got = table(d, "optouts")
        self.assertEqual(header, OPTOUT_HEADER)
        self.assertEqual(got, self.expected_optouts())
        self.assertEqual(len(got), 2)
        self.assertEqual(d.by_id["optouts-count"].strip(), self.count_line(len(got), "名"))
        header, got = table(d, "feedback")
        self.assertEqual(header, FEEDBACK_HEADER)
        self.assertEqual(got, self.expected_feedback())
        header, got = table(d, "plans")
        self.assertEqual(header, PLAN_HEADER)
        want = self.expected_plans()
        self.assertEqual(got, want[:LIST_MAX])
        self.assertEqual(d.by_id["plans-count"].strip(), self.count_line(len(want), "条"))
        for kind, (role, start, _) in self.details.items():
            self.assertIn(role, [g[7] for g in got])
            self.assertIn(start, [g[8] for g in got])
        header, got = table(d, "platforms")
        self.assertEqual(header, PLATFORM_HEADER)
        self.assertEqual(got, self.expected_platforms())
        # D never reported: the schools to call, in the words of the schools list.
        header, got = table(d, "attention")
        self.assertEqual([(g[0], g[3], g[4]) for g in got], [(D, ZH["never_reported"], "")])
        # No code anywhere a person reads: every cell is in words.
        for ident, rows in d.rows.items():
            for r in rows:
                for cell in r:
                    for item in re.split("[、：]", cell):
                        self.assertNotIn(item, CODES, "table %s shows the code %r" % (ident, item))

    def check_times(self, d, before, after):
        """As of the request, and each school's last sync, in local time with the offset."""
        as_of = local_time(d.by_id["as-of"].strip())
        self.assertLessEqual(before - 60, as_of)
        self.assertLessEqual(as_of, after)
        header, got = table(d, "units")
        col = header.index("最近同步")
        synced = {g[0]: g[col] for g in got}
        self.assertEqual(sorted(synced), sorted(NAMES))
        for s in (A, B, C):
            t = local_time(synced[s])
            self.assertLessEqual(self.synced_from - 60, t, s)
            self.assertLessEqual(t, self.synced_to, s)
        self.assertEqual(synced[D], "")

    # -- the tests

    def test_1_page(self):
        text, before, after = self.page()
        d = parse_dom(text)
        self.check_page(d)
        self.check_times(d, before, after)
        # Names are escaped text and the sections are linked from the top.
        for ident in ("blind-spots", "optouts", "feedback", "plans", "platforms"):
            self.assertIn('<a href="#h-%s">' % ident, text)
            self.assertIn('<h2 id="h-%s">' % ident, text)

    def test_2_chromium(self):
        if not CHROMIUM:
            if os.environ.get("ROLLCALL_REQUIRE_CHROMIUM") == "1":
                self.fail("chromium is not installed (ops/test installs it)")
            self.skipTest("chromium is not installed: the page is not rendered in a browser "
                          "(test_1_page checked the HTML as served)")
        url = "http://127.0.0.1:%d/?token=%s" % (self.http, self.token)
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-extensions", "--user-data-dir=" + self.h.path("chromium-profile"),
               "--dump-dom", url]
        before = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=CHROMIUM_TIMEOUT,
                                  cwd=self.h.dir, env=self.h.env)
        except subprocess.TimeoutExpired:
            self.fail("chromium did not finish within %d s" % CHROMIUM_TIMEOUT)
        after = time.time()
        dom = p.stdout.decode("utf-8")
        self.assertIn("</html>", dom, p.stderr.decode("utf-8", "replace")[-2000:])
        d = parse_dom(dom)
        self.check_page(d)
        self.check_times(d, before, after)


if __name__ == "__main__":
    rh.main()
