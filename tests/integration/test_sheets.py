#!/usr/bin/env python3
"""Spreadsheets as schools really have them: `template` → fill in → `import`;
a GB18030 file with CRLF line ends, Chinese headers and Chinese words
imports and the school's report matches totals computed here; `export` →
`import` into a fresh store gives identical rows in every language and
encoding, formula-looking cells included; files in no known encoding are
refused with FILE:LINE and the offset; a sheet piped in imports too; a
title row, empty columns and blank rows around the data are passed over."""

import csv
import io
import os
import random
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

COUNTY = "410102"
EXAMPLE_ID = "G110101201001010007"

# The Chinese words of the sheet, written out again here from the documented vocabulary.
ZH_HEADER = ["学籍号", "姓名", "年级", "班级", "家庭网络", "学习终端", "特殊群体", "帮扶措施",
             "参与情况", "学习平台", "家长反馈"]
EN_HEADER = ["student_id", "name", "grade", "class", "network", "devices", "groups",
             "assistance", "participation", "platform", "feedback"]
# What export writes after the template's columns.
ZH_REST = ["帮扶责任人", "帮扶开始日期", "帮扶结束日期", "不参加申请状态", "不参加申请理由",
           "申请日期", "审批日期", "所在区县代码", "所在村（社区）", "监护人电话", "帮扶人电话"]
EN_REST = ["helper_roles", "assistance_start", "assistance_end", "optout_status",
           "optout_reason", "optout_filed", "optout_decided", "place_county", "place",
           "guardian_contact", "helper_contacts"]
ZH_NETWORK = {"broadband": "宽带", "mobile": "移动网络", "cable_tv": "有线电视"}
ZH_DEVICES = {"computer": "电脑", "tablet": "平板", "smartphone": "手机", "tv": "电视"}
ZH_GROUPS = {"poverty_card": "建档立卡", "hardship": "困难", "frontline_family": "一线医务人员子女",
             "left_behind": "留守", "migrant": "随迁", "disabled": "残疾", "other": "其他"}
ZH_MEASURES = {"tv_at_village": "村集中收看", "loaned_device": "借用设备",
               "data_subsidy": "流量补贴", "one_to_one": "一对一帮扶",
               "paper_materials": "纸质材料", "funding": "资助"}
ZH_STATUS = {"planned": "计划", "ended": "已结束"}
ZH_PARTICIPATION = {"active": "正常", "irregular": "不规律", "absent": "缺席",
                    "opted_out": "申请不参加"}
ZH_GRADES = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "初一", "初二", "初三",
             "高一", "高二", "高三"]
SEPARATORS = ["、", "；", ";", "，"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰"


def english_row(rnd, seq):
    """One student as English CSV words (what the reference totals read)."""
    pick = lambda names, p: [n for n in names if rnd.random() < p]  # noqa: E731
    measures = []
    for kind in pick(rh.MEASURES, 0.2):
        status = rnd.choice(["", "", "planned", "ended"])
        measures.append(kind + (":" + status if status else ""))
    return {
        "student_id": rh.student_id(COUNTY, "2012%02d%02d" % (1 + seq % 12, 1 + seq % 28), seq),
        "name": rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(["", rnd.choice(GIVEN)]),
        "grade": str(rnd.randint(1, 12)),
        "class": "%d班" % rnd.randint(1, 6),
        "network": ";".join(pick(rh.NETWORKS, 0.45)),
        "devices": ";".join(pick(rh.DEVICES, 0.4)),
        "groups": ";".join(pick(rh.GROUPS, 0.12)),
        "assistance": ";".join(measures),
        "participation": rnd.choice(["active", "active", "irregular", "absent", "opted_out"]),
        "platform": rnd.choice(["", "国家中小学智慧教育平台", "空中课堂"]),
        "feedback": rnd.choice(["", "家里只有一部手机", "信号不好，经常掉线"]),
    }


def chinese_cells(rnd, row):
    """The same student in Chinese words, with a mix of separators and grade spellings."""
    def joined(words):
        out = ""
        for i, w in enumerate(words):
            out += (rnd.choice(SEPARATORS) if i else "") + w
        return out

    def measure(item):
        kind, _, status = item.partition(":")
        return ZH_MEASURES[kind] + ((rnd.choice(["：", ":"]) + ZH_STATUS[status]) if status else "")

    grade = int(row["grade"])
    return {
        "student_id": row["student_id"],
        "name": row["name"],
        "grade": rnd.choice([ZH_GRADES[grade - 1], str(grade)]),
        "class": row["class"],
        "network": joined([ZH_NETWORK[w] for w in rh._items(row["network"])]),
        "devices": joined([ZH_DEVICES[w] for w in rh._items(row["devices"])]),
        "groups": joined([ZH_GROUPS[w] for w in rh._items(row["groups"])]),
        "assistance": joined([measure(w) for w in rh._items(row["assistance"])]),
        "participation": ZH_PARTICIPATION[row["participation"]],
        "platform": row["platform"],
        "feedback": row["feedback"],
    }


def csv_text(header, rows, keys, line_end="\r\n"):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=line_end)
    w.writerow(header)
    for row in rows:
        w.writerow([row[k] for k in keys])
    return buf.getvalue()


def query(db, sql, args=()):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def students_table(db):
    """Every stored student's data columns, in student number order."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(
            'SELECT student_id, name, grade, class, network, devices, platform, "groups", '
            "participation, measures, feedback FROM students ORDER BY student_id").fetchall()
    finally:
        con.close()


class Sheets(rh.RollcallTestCase):
    harness_name = "sheets"

    @classmethod
    def build(cls):
        cls.county = rh.Aggregator(cls.h, COUNTY, "county")
        cls.serial = 0

    def new_school(self):
        Sheets.serial += 1
        return rh.School(self.h, "21410102%02d" % Sheets.serial, COUNTY, self.county)

    def school_cmd(self, *args, expect=rh.EXIT_OK):
        return self.h.run([rh.SCHOOL] + list(args), expect=expect)

    def test_1_template_fill_import(self):
        school = self.new_school()
        for lang, header in (("zh", ZH_HEADER), ("en", EN_HEADER)):
            path = self.h.path("template-%s.csv" % lang)
            self.school_cmd("template", "--out", path, "--lang", lang)
            raw = open(path, "rb").read()
            self.assertTrue(raw.startswith(b"\xef\xbb\xbf"), "the template starts with a BOM")
            self.assertIn(b"\r\n", raw)
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
            self.assertEqual(rows[0], header)
            self.assertEqual(len(rows), 2, "headers and one example row")
            self.assertEqual(rows[1][0], EXAMPLE_ID)

            # Kept as it is, the example row is refused and nothing is imported.
            p = self.school_cmd("import", "--db", school.db, path, expect=rh.EXIT_DATA)
            self.assertIn("template-%s.csv:2: this is the template's example row" % lang,
                          p.stderr)
            self.assertEqual(school.report()["students"], 0)

        # For old Excel versions: GB18030, without a byte order mark, read back as such.
        path = self.h.path("template-gb.csv")
        self.school_cmd("template", "--out", path, "--encoding", "gb18030")
        raw = open(path, "rb").read()
        self.assertFalse(raw.startswith(b"\xef\xbb\xbf"))
        self.assertEqual(raw.decode("gb18030").split("\r\n")[0], ",".join(ZH_HEADER))
        p = self.school_cmd("import", "--db", school.db, path, expect=rh.EXIT_DATA)
        self.assertIn("template-gb.csv:2: this is the template's example row", p.stderr)

        # The example shows valid cells: with a real student number the row imports as
        # the example says (zh: 移动网络 / 手机、电视 / 留守 / 流量补贴、一对一帮扶：计划 / 不规律).
        raw = open(self.h.path("template-zh.csv"), "rb").read().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(raw, newline="")))
        example = dict(zip(EN_HEADER, rows[1]))
        self.assertEqual((example["network"], example["devices"], example["groups"],
                          example["assistance"], example["participation"]),
                         ("移动网络", "手机、电视", "留守", "流量补贴、一对一帮扶：计划", "不规律"))
        first = rh.student_id(COUNTY, "20150301", 1)
        filled = [rows[0], [first] + rows[1][1:]]
        # A teacher adds students below it in Chinese words.
        added = [
            [rh.student_id(COUNTY, "20140506", 2), "陈小红", "二年级", "2班", "宽带", "电脑；电视",
             "", "", "正常", "", ""],
            [rh.student_id(COUNTY, "20080910", 3), "赵大山", "初三", "3班", "", "电视",
             "建档立卡、残疾", "纸质材料", "缺席", "", "=家里没有网络"],
        ]
        path = self.h.path("filled.csv")
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f, lineterminator="\r\n").writerows(filled + added)
        p = self.school_cmd("import", "--db", school.db, path)
        self.assertIn("imported 3 students (3 new", p.stdout)
        want = rh.totals_of([
            {"network": "mobile", "devices": "smartphone;tv", "groups": "left_behind",
             "assistance": "data_subsidy;one_to_one:planned", "participation": "irregular"},
            {"network": "broadband", "devices": "computer;tv", "groups": "", "assistance": "",
             "participation": "active"},
            {"network": "", "devices": "tv", "groups": "poverty_card;disabled",
             "assistance": "paper_materials", "participation": "absent"},
        ])
        self.assertTotals(school.report(), want, "template, filled in")
        table = {r[0]: r for r in students_table(school.db)}
        self.assertEqual(table[first][2], 3, "三年级 is grade 3")
        self.assertEqual(table[added[1][0]][2], 9, "初三 is grade 9")
        self.assertEqual(table[added[1][0]][10], "=家里没有网络", "a formula-like cell is text")

    def test_2_gb18030_crlf_chinese_headers(self):
        school = self.new_school()
        rnd = random.Random(2020)
        english = [english_row(rnd, seq) for seq in range(1, 301)]
        chinese = [chinese_cells(rnd, row) for row in english]
        # Other accepted names for the columns, in another order.
        header = ["全国学籍号", "姓名", "班级", "年级", "网络", "设备", "群体", "帮扶", "参与",
                  "平台", "反馈"]
        keys = ["student_id", "name", "class", "grade", "network", "devices", "groups",
                "assistance", "participation", "platform", "feedback"]
        raw = csv_text(header, chinese, keys).encode("gb18030")
        self.assertRaises(UnicodeDecodeError, raw.decode, "utf-8")
        path = self.h.path("gbk.csv")
        with open(path, "wb") as f:
            f.write(raw)
        p = self.school_cmd("import", "--db", school.db, path)
        self.assertIn("imported 300 students (300 new", p.stdout)
        self.assertIn("read as GB18030", p.stderr)
        # 申请不参加 without an approved application: import files a pending one instead and
        # the (new) student stays active, saying so on the row's line.
        filed = [i for i, r in enumerate(english) if r["participation"] == "opted_out"]
        self.assertTrue(filed, "the sheet asks for opted_out somewhere")
        for i in filed:
            self.assertIn("gbk.csv:%d: opted_out needs an approved application: filed one, "
                          "pending" % (i + 2), p.stderr)
        got = dict(query(school.db, "SELECT student_id, optout_status || '|' || optout_reason || "
                         "'|' || optout_filed FROM students WHERE optout_status != 0"))
        today = time.strftime("%Y-%m-%d")
        self.assertEqual(got, {english[i]["student_id"]: "1|导入时申请|" + today for i in filed})
        english = [dict(r, participation="active") if r["participation"] == "opted_out" else r
                   for r in english]
        self.assertTotals(school.report(), rh.totals_of(english), "GB18030 sheet")
        names = {r[0]: r[1] for r in students_table(school.db)}
        self.assertEqual(names, {r["student_id"]: r["name"] for r in english},
                         "names arrive in UTF-8 unchanged")

        # A bad cell in such a file is reported on its own line of the file.
        chinese[6]["network"] = "卫星"
        with open(self.h.path("gbk-bad.csv"), "wb") as f:
            f.write(csv_text(header, chinese, keys).encode("gb18030"))
        p = self.school_cmd("import", "--db", school.db, self.h.path("gbk-bad.csv"),
                            expect=rh.EXIT_DATA)
        self.assertIn("gbk-bad.csv:8: network: unknown value '卫星'", p.stderr)
        Sheets.gb_school = school

    def test_3_export_import_round_trip(self):
        source = Sheets.gb_school
        rnd = random.Random(7)
        # Cells a spreadsheet would run as formulas, quotes, commas and long feedback.
        tricky = []
        for i, text in enumerate(["=1+1", "+8613800000000", "-负数", "@SUM(A1)", "'引号",
                                  "''两个", "a,b \"c\"", "=HYPERLINK(\"http://x\")"]):
            row = english_row(rnd, 400 + i)
            row.update(name=text if i % 2 == 0 else row["name"], platform=text,
                       feedback=text + " 反馈" * 20)
            tricky.append(row)
        # One student with every measure status, in order, twice.
        every = english_row(rnd, 420)
        every["assistance"] = "funding:planned;funding;tv_at_village:ended;one_to_one;funding"
        tricky.append(every)
        path = self.h.path("tricky.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(csv_text(EN_HEADER, tricky, EN_HEADER, "\n"))
        self.school_cmd("import", "--db", source.db, path)
        want = students_table(source.db)
        self.assertEqual(len(want), 309)

        for lang, encoding in (("zh", "utf-8"), ("en", "utf-8"), ("zh", "gb18030"),
                               ("en", "gb18030")):
            out = self.h.path("export-%s-%s.csv" % (lang, encoding))
            p = self.school_cmd("export", "--db", source.db, "--out", out, "--lang", lang,
                                "--encoding", encoding)
            self.assertIn("exported 309 students", p.stdout)
            raw = open(out, "rb").read()
            self.assertEqual(raw.startswith(b"\xef\xbb\xbf"), encoding == "utf-8")
            text = raw.decode("utf-8-sig" if encoding == "utf-8" else "gb18030")
            rows = list(csv.reader(io.StringIO(text, newline="")))
            # The template's columns, then the rest of the record (test_7 fills them in).
            self.assertEqual(rows[0], (ZH_HEADER + ZH_REST) if lang == "zh" else
                             (EN_HEADER + EN_REST))
            self.assertEqual(len(rows), 310)
            self.assertIn(["'=1+1"], [[r[1]] for r in rows], "a formula cell is guarded")
            self.assertFalse([r for r in rows if r[9].startswith(("=", "+", "-", "@"))],
                             "no exported cell starts like a formula")

            fresh = self.new_school()
            p = self.school_cmd("import", "--db", fresh.db, out)
            self.assertIn("imported 309 students (309 new", p.stdout)
            self.assertEqual(students_table(fresh.db), want,
                             "export %s %s, imported again, gives the same rows"
                             % (lang, encoding))
            self.assertTotals(fresh.report(), source.report(), "round trip")
            # The source re-importing its own export changes nothing.
            p = self.school_cmd("import", "--db", source.db, out)
            self.assertIn("(0 new, 0 changed, 309 unchanged)", p.stdout)

        # An export is never written over an existing file.
        p = self.school_cmd("export", "--db", source.db, "--out", out, expect=rh.EXIT_DATA)
        self.assertIn("already exists", p.stderr)
        self.school_cmd("export", "--db", source.db, "--out", out + "2", "--lang", "fr",
                        expect=rh.EXIT_USAGE)
        self.assertFalse(os.path.exists(out + "2"))
        self.assertEqual(os.stat(self.h.path("export-zh-utf-8.csv")).st_mode & 0o077, 0,
                         "an export of personal data is readable by its owner only")

    def test_4_unreadable_encodings_are_refused(self):
        school = self.new_school()
        header = ",".join(EN_HEADER[:4]).encode() + b"\r\n"
        good = rh.student_id(COUNTY, "20120101", 9).encode() + b",Li,3,1\r\n"
        cases = [
            ("ff.csv", header + good + b"G1,\xff\xfe,3,1\r\n", ":3:", "byte 0xFF at offset"),
            ("cut.csv", header + good + b"G1,\x81", ":3:", "cut short"),
            ("damaged.csv", ("学籍号,姓名,年级,班级\r\n" + rh.student_id(COUNTY, "20120101", 9)
                             + ",张三,3,1\r\n").encode() + b"G1,\xe5\xbc,3,1\r\n",
             ":3:", "looks damaged"),
            ("utf16.csv", "student_id\tname\r\n".encode("utf-16"), ":1:", "UTF-16"),
        ]
        for name, data, line, says in cases:
            path = self.h.path(name)
            with open(path, "wb") as f:
                f.write(data)
            p = self.school_cmd("import", "--db", school.db, path, expect=rh.EXIT_DATA)
            self.assertIn(path + line, p.stderr, name)
            self.assertIn(says, p.stderr, name)
            self.assertIn("nothing was imported", p.stderr, name)
        self.assertEqual(school.report()["students"], 0)

    def test_5_import_from_a_pipe(self):
        """A pipe cannot be read twice; its sheet imports all the same, GB18030 too."""
        school = self.new_school()
        rows = [{"student_id": rh.student_id(COUNTY, "20130101", 30 + i), "name": "孙%d" % i,
                 "grade": "高二", "class": "1班", "network": "宽带", "devices": "电脑",
                 "groups": "随迁", "assistance": "", "participation": "正常", "platform": "",
                 "feedback": ""} for i in range(5)]
        raw = csv_text(ZH_HEADER, rows, EN_HEADER).encode("gb18030")
        p = subprocess.run([rh.SCHOOL, "import", "--db", school.db, "/dev/stdin"], input=raw,
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, rh.EXIT_OK, p.stderr.decode(errors="replace"))
        self.assertIn(b"imported 5 students (5 new", p.stdout)
        got = school.report()
        self.assertEqual((got["students"], got["groups"]["migrant"], got["condition_online"]),
                         (5, 5, 5))

    def test_6_title_row_empty_columns_and_blank_rows(self):
        """What Excel leaves around the data: a title row above the header, empty columns
        to the right and rows of empty cells are passed over; a value under a column with
        no name is an error, not dropped."""
        school = self.new_school()
        ids = [rh.student_id(COUNTY, "20100202", 60 + i) for i in range(3)]
        lines = [
            "2020年春季学期学生居家学习情况统计表,,,,,,",
            "学籍号,姓名,年级,班级,家庭网络,,",
            ",,,,,,",
            "%s,周一,四年级,1班,宽带,," % ids[0],
            "%s,周二,4,1班,,," % ids[1],
            ",,,,,,",
            "%s,周三,初二,2班,移动网络,," % ids[2],
            ",,,,,,",
        ]
        path = self.h.path("excel.csv")
        with open(path, "wb") as f:
            f.write("\r\n".join(lines).encode("gb18030") + b"\r\n")
        p = self.school_cmd("import", "--db", school.db, path)
        self.assertIn("imported 3 students (3 new", p.stdout)
        table = students_table(school.db)
        self.assertEqual([(r[0], r[2], r[4]) for r in table],
                         sorted([(ids[0], 4, 1), (ids[1], 4, 0), (ids[2], 8, 2)]))

        lines[4] = "%s,周二,4,1班,,备注," % ids[1]
        with open(path, "wb") as f:
            f.write("\r\n".join(lines).encode("utf-8") + b"\r\n")
        p = self.school_cmd("import", "--db", school.db, path, expect=rh.EXIT_DATA)
        self.assertIn("excel.csv:5: column 6 holds '备注' but has no name in the header",
                      p.stderr)

    def test_8_sheets_as_people_fill_them(self):
        """A sheet as clerks type it (notes in header brackets, full-width digits, lowercase
        x, synonyms, 无 for none, classes written five ways, 序号/性别/备注 columns) holds
        the same students as the clean English sheet made here from the same rows."""
        rnd = random.Random(8)
        fw = lambda t: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c  # noqa: E731
                               for c in t)
        cn = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
        rows = [english_row(rnd, 800 + i) for i in range(60)]
        self.assertTrue(any(r["student_id"].endswith("X") for r in rows), "an X check digit")
        synonyms = {"mobile": ["4G", "５Ｇ", "手机流量"], "computer": ["笔记本电脑", "台式机"],
                    "poverty_card": ["建档立卡贫困户", "贫困户"]}

        def words(cell, zh):
            items = [rnd.choice(synonyms.get(w, [zh[w]])) for w in rh._items(cell)]
            return "、".join(items) if items else rnd.choice(["", "无", "没有"])

        def messy(row, serial):
            grade, klass = int(row["grade"]), int(row["class"].rstrip("班"))
            stage = grade - 6 if 7 <= grade <= 9 else grade - 9 if grade >= 10 else grade
            sid = row["student_id"]
            sid = rnd.choice([sid, sid[:-1] + sid[-1].lower(), fw(sid)])
            grade_cell = rnd.choice([str(grade), fw(str(grade)), ZH_GRADES[grade - 1]] +
                                    (["初%d" % stage] if 7 <= grade <= 9 else []))
            class_cell = rnd.choice(["%d班" % klass, "0%d" % klass, cn[klass] + "班",
                                     "(%d)班" % klass, "%s（%d）班" % (cn[stage], klass),
                                     "%d(%d)班" % (stage, klass), fw("%d" % klass) + "班"])
            return [str(serial), sid, row["name"], grade_cell, class_cell,
                    words(row["network"], ZH_NETWORK), words(row["devices"], ZH_DEVICES),
                    words(row["groups"], ZH_GROUPS), rnd.choice(["男", "女"]),
                    ZH_PARTICIPATION[row["participation"]], rnd.choice(["", "转入"])]

        header = ["序号", "学籍号（必填）", "姓名(必填)", "年级\n（必填）", "班级【如：三（1）班】",
                  "家庭网络", "学习终端[可多选]", "特殊群体", "性别", "参与情况", "备注"]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(header)
        for i, row in enumerate(rows):
            w.writerow(messy(row, i + 1))
        messy_path = self.h.path("messy.csv")
        with open(messy_path, "wb") as f:
            f.write(buf.getvalue().encode("gb18030"))
        keys = ["student_id", "name", "grade", "class", "network", "devices", "groups",
                "participation"]
        clean_path = self.h.path("clean.csv")
        with open(clean_path, "w", encoding="utf-8", newline="") as f:
            f.write(csv_text(keys, rows, keys))

        a, b = self.new_school(), self.new_school()
        p = self.school_cmd("import", "--db", a.db, messy_path)
        self.assertIn("imported 60 students (60 new", p.stdout)
        for column, name in ((1, "序号"), (9, "性别"), (11, "备注")):
            self.assertIn("messy.csv:1: column %d '%s' is not imported" % (column, name),
                          p.stderr)
        self.school_cmd("import", "--db", b.db, clean_path)
        self.assertEqual(students_table(a.db), students_table(b.db))
        stored = {r[0]: (r[2], r[3]) for r in students_table(a.db)}
        self.assertEqual(stored, {r["student_id"]: (int(r["grade"]), r["class"]) for r in rows})

    def test_9_every_error_in_a_sheet(self):
        """--errors writes every problem (none left out, though the terminal shows 100) and
        every note as a sheet Excel opens, each beside its row's student number and name;
        an unknown column is refused, naming it, unless --ignore-unknown; a class naming
        another grade than the row's is refused; an empty grade is the class's."""
        school = self.new_school()
        good = [rh.student_id(COUNTY, "2013%02d%02d" % (1 + i // 28, 1 + i % 28), 901)
                for i in range(150)]
        bad = [sid[:-1] + ("0" if sid[-1] != "0" else "1") for sid in good]
        lines = ["学籍号,姓名,年级,班级,备注"]
        lines += ["%s,学生%d,3,1班," % (sid, i) for i, sid in enumerate(bad)]
        path = self.h.path("bad150.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("\r\n".join(lines) + "\r\n")
        sheet = self.h.path("errors.csv")
        p = self.school_cmd("import", "--db", school.db, "--errors", sheet, path,
                            expect=rh.EXIT_DATA)
        self.assertIn("... and 50 more", p.stderr)
        self.assertTrue(rh.has_log_event(p.stderr, "every problem, by line, is in the errors sheet",
                                         file=sheet), p.stderr)
        with open(sheet, "rb") as f:
            raw = f.read()
        self.assertTrue(raw.startswith(b"\xef\xbb\xbf"))
        got = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        self.assertEqual(got[0], ["行号", "学籍号", "姓名", "类型", "问题"])
        self.assertEqual(raw.count(b"\r\n"), len(got))
        notes = [r for r in got[1:] if r[3] == "提示"]
        errors = [r for r in got[1:] if r[3] == "错误"]
        self.assertEqual(len(notes), 1)
        self.assertIn("'备注' is not imported", notes[0][4])
        self.assertEqual([(r[0], r[1], r[2]) for r in errors],
                         [(str(i + 2), sid, "学生%d" % i) for i, sid in enumerate(bad)])
        self.assertEqual([r[4] for r in errors if "check digit" not in r[4]], [])
        self.assertEqual(students_table(school.db), [])

        lines = ["学籍号,姓名,年级,班级,卫星电话",
                 "%s,甲,,三（2）班,1" % good[0], "%s,乙,初二,2(1)班,2" % good[1]]
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(lines) + "\n")
        p = self.school_cmd("import", "--db", school.db, path, expect=rh.EXIT_DATA)
        self.assertIn("unknown column '卫星电话'", p.stderr)
        self.assertIn("--ignore-unknown", p.stderr)
        p = self.school_cmd("import", "--db", school.db, "--ignore-unknown", path)
        self.assertIn("column 5 '卫星电话' is not imported", p.stderr)
        self.assertEqual([(r[0], r[2], r[3]) for r in students_table(school.db)],
                         sorted([(good[0], 3, "2班"), (good[1], 8, "1班")]))

        lines[2] = "%s,乙,初二,三（1）班,2" % good[1]
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(lines) + "\n")
        p = self.school_cmd("import", "--db", school.db, "--ignore-unknown", path,
                            expect=rh.EXIT_DATA)
        self.assertIn("bad150.csv:3: class '三（1）班' is of grade 3 but grade is 8", p.stderr)

    def test_7_export_keeps_every_field(self):
        """Roles and dates of measures, opt-out applications in every state, platform and
        feedback: export then import into a fresh store gives the same rows, measure details
        included, in both languages; the sheet's own checks refuse what does not fit."""
        source = self.new_school()
        ids = [rh.student_id(COUNTY, "20140203", 60 + i) for i in range(5)]
        rows = [{"student_id": sid, "name": "周%d" % i, "grade": str(2 + i), "class": "%d班" % i,
                 "network": "", "devices": "tv", "groups": "left_behind", "assistance": "",
                 "participation": "absent" if i == 4 else "active", "platform": "",
                 "feedback": ""} for i, sid in enumerate(ids)]
        path = self.h.path("every-field.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(csv_text(EN_HEADER, rows, EN_HEADER))
        self.school_cmd("import", "--db", source.db, path)

        def edit(*args):
            self.school_cmd(*(list(args[:2]) + ["--db", source.db] + list(args[2:])))

        edit("measure", "add", "--id", ids[0], "--kind", "loaned_device", "--role", "=班主任",
             "--start", "2026-02-10")
        edit("measure", "plan", "--id", ids[0], "--kind", "tv_at_village", "--role",
             "village cadre, 村干部")
        edit("measure", "add", "--id", ids[0], "--kind", "data_subsidy", "--start", "2026-02-12")
        edit("measure", "end", "--id", ids[0], "--kind", "data_subsidy", "--end", "2026-03-31")
        edit("measure", "add", "--id", ids[1], "--kind", "paper_materials")
        edit("student", "update", "--id", ids[0], "--platform", "空中课堂",
             "--feedback", '家里只有一部手机, "晚上"用')
        edit("optout", "file", "--id", ids[1], "--reason", "家长在家辅导", "--date", "2026-02-20")
        edit("optout", "decide", "--id", ids[1], "--status", "approved", "--date", "2026-02-22")
        edit("optout", "file", "--id", ids[2], "--reason", "-随父母外出", "--date", "2026-02-21")
        edit("optout", "decide", "--id", ids[2], "--status", "rejected", "--date", "2026-02-23")
        edit("optout", "file", "--id", ids[3], "--reason", "身体原因", "--date", "2026-02-24")
        # Where a student is and who to call: a helper phone on one measure of two.
        edit("student", "update", "--id", ids[0], "--place-county", "411381", "--place",
             "张庄村三组", "--guardian-contact", "+86 138-0000-1234")
        edit("measure", "add", "--id", ids[0], "--kind", "loaned_device", "--contact",
             "(0377) 6200 1234")
        edit("student", "update", "--id", ids[4], "--place", "李营村")

        def full(db):
            return (query(db, "SELECT student_id, name, grade, class, network, devices, platform, "
                          '"groups", participation, measures, feedback, optout_status, '
                          "optout_reason, optout_filed, optout_decided, place_county, place, "
                          "guardian_contact FROM students ORDER BY student_id"),
                    query(db, "SELECT student_id, idx, kind, helper_role, start_date, end_date, "
                          "helper_contact FROM measure_details ORDER BY student_id, idx"))

        want = full(source.db)
        # Every state is there: approved (opted_out), rejected, pending, none; details kept.
        self.assertEqual([(r[8], r[11]) for r in want[0]],
                         [(0, 0), (3, 2), (0, 3), (0, 1), (2, 0)])
        self.assertEqual(len(want[1]), 4)
        self.assertIn(("411381", "张庄村三组", "+86 138-0000-1234"), [r[15:] for r in want[0]])
        self.assertIn("(0377) 6200 1234", [r[6] for r in want[1]])
        for lang in ("zh", "en"):
            out = self.h.path("every-field-%s.csv" % lang)
            self.school_cmd("export", "--db", source.db, "--out", out, "--lang", lang)
            text = open(out, encoding="utf-8-sig").read()
            self.assertIn("'=班主任;village cadre, 村干部;" if lang == "en" else "已批准", text)
            fresh = self.new_school()
            p = self.school_cmd("import", "--db", fresh.db, out)
            self.assertIn("imported 5 students (5 new", p.stdout)
            self.assertNotIn("opted_out needs", p.stderr, "an approved application is kept")
            self.assertEqual(full(fresh.db), want, "export %s, imported again" % lang)
            p = self.school_cmd("import", "--db", source.db, out)
            self.assertIn("(0 new, 0 changed, 5 unchanged)", p.stdout)
        # A phone number or county code that is not one is refused, the number not repeated.
        bad = dict(rows[2], guardian_contact="call 138-0000", place_county="4113")
        path = self.h.path("bad-contact.csv")
        keys = EN_HEADER + ["guardian_contact", "place_county"]
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(csv_text(keys, [bad], keys))
        p = self.school_cmd("import", "--db", source.db, path, expect=rh.EXIT_DATA)
        self.assertIn("bad-contact.csv:2: guardian_contact is not a phone number", p.stderr)
        self.assertIn("bad-contact.csv:2: place_county '4113' is not a 6-digit county code",
                      p.stderr)
        self.assertNotIn("138-0000", p.stderr)
        self.assertEqual(full(source.db), want, "a refused sheet changes nothing")

        # A sheet edited by hand: details that do not line up with the measures, a decision
        # without its date, a date that is none, a reason without an application.
        header = EN_HEADER + EN_REST
        base = {k: "" for k in header}
        base.update(rows[4], assistance="funding;one_to_one:planned")
        bad = [dict(base, helper_roles="班主任"),
               dict(base, assistance_start="2026-02-30;"),
               dict(base, assistance_start="2026-03-02;", assistance_end="2026-03-01;"),
               dict(base, optout_status="已批准", optout_reason="x"),
               dict(base, optout_reason="x"),
               dict(base, optout_status="withdrawn")]
        path = self.h.path("every-field-bad.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(csv_text(header, bad, header))
        p = self.school_cmd("import", "--db", source.db, path, expect=rh.EXIT_DATA)
        for line, says in ((2, "helper_roles lists 1 item but assistance lists 2 measures"),
                           (3, "assistance_start '2026-02-30' is not a date"),
                           (4, "measure 1 (funding) ends 2026-03-01, before it starts"),
                           (5, "optout_status approved needs the date of the decision"),
                           (6, "an opt-out reason or date without an application"),
                           (7, "optout_status 'withdrawn' is not one of")):
            self.assertIn("every-field-bad.csv:%d: %s" % (line, says), p.stderr)
        self.assertEqual(full(source.db), want, "a refused sheet changes nothing")


if __name__ == "__main__":
    rh.main()
