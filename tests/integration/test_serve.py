#!/usr/bin/env python3
"""`rollcall-school serve`: the school's page, driven as a browser would.

A county (run) with one enrolled school; `serve --no-open --port 0` on the
school's store. Over HTTP: the page is Chinese and carries the run's token;
a GET or POST without the token, or naming another Host or Origin, is
refused and changes nothing; a GB18030 sheet with Chinese headers uploaded
through the form lands in the store (read back with `list`); a bad sheet is
refused with its problems by line and the store is unchanged; the forms add
a student, plan and put in place a measure, record feedback, file and decide
an opt-out, set the profile, and a bad value changes nothing; while serve
runs the commands that write and a second serve are refused; Sync reaches
the county, whose blind-spots list then holds the students the page lists;
a non-loopback address is refused. With chromium installed, the page is
also loaded headless and checked; with chromedriver too, a clerk's bad
edits and a sheet with bad rows are typed into the page's forms in
Chromium, and each is answered with its message naming what and where (in
Chinese, and in English with --lang en), the store unchanged. Expected values are computed here from
this test's own rows.
"""

import csv
import html
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

COUNTY = "410102"
SCHOOL = "4101020001"
# A second county, started only once its school's Sync is under way, and its school.
COUNTY2 = "410103"
SCHOOL2 = "4101030001"
REFRESH = '<meta http-equiv="refresh" content="1">'

# The sheet as a clerk fills it in: Chinese headers and words, saved by Excel as GB18030.
ZH_HEADER = ["学籍号", "姓名", "年级", "班级", "家庭网络", "学习终端", "特殊群体", "帮扶措施",
             "参与情况"]
WORDS = {"宽带": "broadband", "移动网络": "mobile", "有线电视": "cable_tv", "电脑": "computer",
         "平板": "tablet", "手机": "smartphone", "电视": "tv", "建档立卡": "poverty_card",
         "留守": "left_behind", "残疾": "disabled", "借用设备": "loaned_device",
         "纸质材料：计划": "paper_materials:planned", "缺席": "absent", "正常": ""}


def sid(n):
    return rh.student_id(COUNTY, "201403%02d" % n, n)


SHEET = [
    [sid(1), "王小明", "3", "1班", "宽带", "电脑", "", "", "正常"],
    [sid(2), "李雷", "3", "2班", "", "", "建档立卡、留守", "", ""],
    [sid(3), "韩梅梅", "3", "2班", "移动网络", "", "残疾", "借用设备", ""],
    [sid(4), "赵六", "4", "1班", "", "电视", "残疾", "纸质材料：计划", ""],
    [sid(5), "孙七", "5", "1班", "移动网络", "手机", "", "", "缺席"],
    [sid(6), "周八", "2", "1班", "有线电视", "电视", "", "", ""],
]


def as_codes(row):
    """The sheet row in the English codes of the CSV contract, for rh's reference rules."""
    def cell(v):
        return ";".join(WORDS[w] for w in re.split("[、;]", v) if w) if v else ""
    return {"student_id": row[0], "name": row[1], "grade": row[2], "class": row[3],
            "network": cell(row[4]), "devices": cell(row[5]), "groups": cell(row[6]),
            "assistance": cell(row[7]), "participation": cell(row[8])}


def sheet_bytes(rows, encoding="gb18030"):
    lines = [",".join(ZH_HEADER)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def bad_sheet():
    """A sheet with bad rows, and what the page must say of each by line: {line: (Chinese,
    English)}. Line 1 is the header."""
    good = sid(8)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [list(SHEET[0]), list(SHEET[1]),
            [sid(7), "新同学", "13", "1班", "", "", "", "", ""],
            [wrong, "错号", "3", "1班", "", "", "", "", ""],
            [SHEET[1][0], "李雷又一次", "3", "2班", "", "", "", "", ""],
            [sid(9), "请假生", "3", "2班", "", "", "", "", "请假"]]
    rows[0][1] = "王小明改名"
    said = {
        "4": ("年级“13”超出 1-12 的范围", "grade '13' is out of range 1-12"),
        "5": ("学籍号“%s”有误：校验位是“%s”，应为“%s”" % (wrong, wrong[-1], good[-1]),
              "student_id '%s': check digit is '%s', expected '%s'" % (wrong, wrong[-1],
                                                                      good[-1])),
        "6": ("学籍号“%s”重复出现（第一次在第 3 行）" % SHEET[1][0],
              "student_id '%s' appears again (first on line 3)" % SHEET[1][0]),
        "7": ("参与情况“请假”不是正常、不规律、缺席、申请不参加之一（留空即正常）",
              "participation '请假' is not one of active (正常), irregular (不规律), absent (缺席), "
              "opted_out (申请不参加) (empty means active)"),
    }
    return rows, said


def bad_edits():
    """Edits the forms refuse, each with what the page must say: (form css, fields, Chinese,
    English). They run after test 5: sid(1) has no opt-out application and no measure."""
    short = "G123"
    return [
        ("#edit-optout form:nth-of-type(2)", [("id", sid(1)), ("status", ("approved",))],
         "记录不参加申请的决定：学生 %s 没有不参加居家学习的申请（请先“登记申请”）" % sid(1),
         "rollcall-school optout decide: student %s has no opt-out application "
         "(use 'optout file')" % sid(1)),
        ("#edit-student form:nth-of-type(1)", [("action", ("update",)), ("id", short),
                                               ("grade", "3")],
         "修改学生：学籍号“%s”有误：应为 19 位（G、J 或 L 加 18 位），实际 %d 位"
         % (short, len(short)),
         "rollcall-school student update: student id '%s': must be 19 characters (G, J or L "
         "and 18 more), found %d" % (short, len(short))),
        ("#edit-student form:nth-of-type(1)", [("action", ("update",)), ("id", sid(1)),
                                               ("grade", "13")],
         "修改学生：年级“13”超出 1-12 的范围",
         "rollcall-school student update: --grade '13' is out of range 1-12"),
        ("#edit-measure form", [("action", ("end",)), ("id", sid(1)),
                                ("kind", ("tv_at_village",))],
         "结束帮扶措施：学生 %s 没有计划中或已落实的措施“村集中收看”" % sid(1),
         "rollcall-school measure end: student %s has no planned or in-place measure "
         "tv_at_village" % sid(1)),
        ("#edit-student form:nth-of-type(1)", [("action", ("add",)), ("id", sid(1)),
                                               ("name", "重名"), ("grade", "3"), ("class", "1班")],
         "新增学生：学生 %s 已在名单上（请用“修改学生”）" % sid(1),
         "rollcall-school student add: student %s is already on the list (use 'student update')"
         % sid(1)),
    ]


def form_fields(fields):
    """A form's fields as the page posts them (a select's or box's value as it is)."""
    return [(k, v[0] if isinstance(v, tuple) else v) for k, v in fields]


def form_command(css):
    return {"#edit-optout form:nth-of-type(2)": ("optout", "decide"),
            "#edit-measure form": ("measure", None),
            "#edit-student form:nth-of-type(1)": ("student", None)}[css]


class Tables(html.parser.HTMLParser):
    """Every <table id=...> of a page, as lists of rows of cell texts; and hidden inputs."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.hidden, self.lang = {}, [], None
        self._table, self._row, self._cell = None, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "table" and "id" in a:
            self._table = self.tables.setdefault(a["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden.append((a.get("name"), a.get("value")))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


class Browser:
    """Headless Chromium driven through chromedriver's WebDriver protocol (plain HTTP and
    JSON): a clerk's clicks and typing, the page as it then is, and screenshots."""

    ELEMENT = "element-6066-11e4-a52e-4f735466cecf"

    def __init__(self, h, browser, driver, downloads):
        self.h = h
        port = h.reserve_port()
        self.proc = h.start("chromedriver", [driver, "--port=%d" % port], port=port)
        self.base = "http://127.0.0.1:%d" % port
        prefs = {"download.default_directory": downloads, "download.prompt_for_download": False}
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": browser, "prefs": prefs,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,1400",
                     "--lang=zh-CN"]}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read().decode("utf-8"))["value"]
        except urllib.error.HTTPError as e:
            raise AssertionError("WebDriver %s %s: %s" % (method, path, e.read()[:2000]))

    def s(self, method, path, body=None):
        return self.call(method, "/session/%s%s" % (self.session, path), body)

    def open(self, url):
        self.s("POST", "/url", {"url": url})

    def find(self, css):
        got = self.s("POST", "/element", {"using": "css selector", "value": css})
        if self.ELEMENT not in got:
            raise AssertionError("no %s on the page: %s" % (css, got))
        return got[self.ELEMENT]

    def type(self, css, text):
        e = self.find(css)
        self.s("POST", "/element/%s/clear" % e, {})
        self.s("POST", "/element/%s/value" % e, {"text": text})

    def click(self, css):
        self.s("POST", "/element/%s/click" % self.find(css), {})

    def fill(self, form, fields, press="button[type=submit]"):
        """Fills the form at css form (name: text, or name: (option value,) for a select or
        a box) and presses its button; returns the page it leads to."""
        for name, value in fields:
            if isinstance(value, tuple):
                self.click("%s [name=\"%s\"][value=\"%s\"], %s select[name=\"%s\"] "
                           "option[value=\"%s\"]" % (form, name, value[0], form, name,
                                                      value[0]))
            else:
                self.type("%s [name=\"%s\"]" % (form, name), value)
        self.click("%s %s" % (form, press))
        # The answer to the form is a new page, with the action's notice at its top.
        return rh.wait_until(lambda: (lambda t: t if 'id="notice"' in t else None)(
            self.source()), 120, "the page to answer the form")

    def source(self):
        return self.s("GET", "/source")

    def screenshot(self, path):
        import base64
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))

    def close(self):
        try:
            self.call("DELETE", "/session/%s" % self.session)
            self.call("GET", "/shutdown")
        finally:
            self.proc.wait(30)
            self.h.stop(self.proc)


def notice(text):
    """The page's notice: its title and its detail lines (plain text)."""
    title = re.search(r'<div class="notice[^"]*" id="notice"><p><strong>(.*?)</strong>', text,
                      re.S)
    detail = re.search(r'<pre id="detail">(.*?)</pre>', text, re.S)
    return (html.unescape(title.group(1)) if title else None,
            html.unescape(detail.group(1)).splitlines() if detail else [])


def sync_run(text):
    """The number of the sync a status page shows (serve counts the syncs it started)."""
    return int(re.search(r'id="sync-run" data-run="(\d+)"', text).group(1))


def sync_ended(text):
    """text, when it is a status page of a sync that has ended (no longer reloading), else
    None."""
    return text if 'id="sync-run"' in text and REFRESH not in text and 'id="notice"' in text \
        else None


# Latin words the Chinese page may show, each a name the clerk meets as it is written: the
# sheet's format and character sets, as Excel's "Save as" list and the page's file chooser name
# them (CSV, UTF-8, UTF-16, GB18030), and "none", the value typed into the parent-school field
# of the profile to say there is none. Student numbers (G + digits) and codes of digits have no
# run of three letters.
LATIN_ALLOWED = {"CSV", "UTF", "none"}
# The profile's platforms as test 5 types them into the form: the page shows the classes part
# as the clerk typed it.
PLATFORMS = "空中课堂:tv:all"


def latin_words(text):
    """The runs of three or more Latin letters in text that are neither in LATIN_ALLOWED nor
    typed by the clerk (PLATFORMS)."""
    typed = set(re.findall(r"[A-Za-z]{3,}", PLATFORMS))
    return sorted(set(re.findall(r"[A-Za-z]{3,}", text)) - LATIN_ALLOWED - typed)


def county_address(agg):
    """The county as the status page names it: host and port."""
    return agg.endpoint.split("://", 1)[1]


def column(table, name):
    i = table[0].index(name)
    return [r[i] for r in table[1:]]


class Serve(rh.RollcallTestCase):
    harness_name = "serve"

    @classmethod
    def build(cls):
        h = cls.h
        cls.county = rh.Aggregator(h, COUNTY, "county")
        cls.school = rh.School(h, SCHOOL, COUNTY, cls.county, name="中原区第一小学")
        cls.county.enroll(cls.school)
        cls.county.start()
        cls.proc, cls.url = cls.start_serve(h, [])
        u = urllib.parse.urlsplit(cls.url)
        cls.base = "%s://%s" % (u.scheme, u.netloc)
        cls.token = urllib.parse.parse_qs(u.query)["t"][0]

    @classmethod
    def start_serve(cls, h, extra, label="serve", db=None):
        proc = h.start(label, [rh.SCHOOL, "serve", "--db", db or cls.school.db, "--no-open",
                               "--port", "0"] + extra)
        log = h.path("%s.log" % label)

        def printed():
            if proc.poll() is not None:
                raise AssertionError("serve exited %d:\n%s" % (proc.returncode, rh.tail(log)))
            with open(log, encoding="utf-8", errors="replace") as f:
                m = re.search(r"http://127\.0\.0\.1:\d+/\?t=[0-9a-f]+", f.read())
            return m.group(0) if m else None

        return proc, rh.wait_until(printed, rh.LISTEN_TIMEOUT, "serve to print its address")

    # -- HTTP as the page's forms send it

    def request(self, path, data=None, headers=None, content_type=None):
        req = urllib.request.Request(self.base + path, data=data, headers=dict(headers or {}))
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=90) as r:
                return r.status, r.read().decode("utf-8"), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8"), e.headers

    def get(self, query="", headers=None):
        q = {"t": self.token}
        q.update(query)
        return self.request("/?" + urllib.parse.urlencode(q), headers=headers)

    def post(self, path, fields, token=True, headers=None):
        pairs = ([("t", self.token)] if token else []) + list(fields)
        return self.request(path, urllib.parse.urlencode(pairs).encode(), headers,
                            "application/x-www-form-urlencoded")

    def upload(self, name, content, extra=()):
        boundary = "----rollcall%d" % time.monotonic_ns()
        parts = []
        for k, v in [("t", self.token)] + list(extra):
            parts.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                          % (boundary, k, v)).encode())
        parts.append(("--%s\r\nContent-Disposition: form-data; name=\"sheet\"; "
                      "filename=\"%s\"\r\nContent-Type: text/csv\r\n\r\n"
                      % (boundary, name)).encode("utf-8") + content + b"\r\n")
        parts.append(("--%s--\r\n" % boundary).encode())
        return self.request("/import", b"".join(parts), None,
                            "multipart/form-data; boundary=%s" % boundary)

    # -- the store, read with the command line

    def stored(self, kind="students"):
        p = self.h.run([rh.SCHOOL, "list", "--db", self.school.db, kind, "--format", "json"])
        return json.loads(p.stdout)["rows"]

    def page_list(self, kind):
        status, text, _ = self.get({"list": kind})
        self.assertEqual(status, 200, text[:500])
        return Tables(text).tables["students"]

    # -- the tests

    def test_1_page_is_chinese_and_holds_the_token(self):
        status, text, headers = self.get()
        self.assertEqual(status, 200, text[:500])
        page = Tables(text)
        self.assertEqual(page.lang, "zh-CN")
        for words in ("学生名单", "同步到县里", "下载空白表格", "数据上报情况", "帮扶措施", "申请不参加"):
            self.assertIn(words, text)
        self.assertIn(self.school.name, text)
        self.assertIn(("t", self.token), page.hidden)
        # Nothing from elsewhere: no script, no address of another site.
        self.assertNotIn("<script", text)
        self.assertIsNone(re.search(r"(src|href)=\"(https?:)?//", text))
        self.assertIn("default-src 'none'", headers["Content-Security-Policy"])
        # The template downloads as the template command writes it.
        status, sheet, _ = self.request("/template.csv?t=" + self.token)
        self.assertEqual(status, 200)
        self.assertEqual(sheet.lstrip("\ufeff").splitlines()[0].split(",")[:2], ["学籍号", "姓名"])

    def test_2_without_the_token_nothing_happens(self):
        before = self.stored()
        status, text, _ = self.request("/")
        self.assertEqual(status, 403)
        self.assertIn("口令", text)
        form = [("command", "student"), ("action", "add"), ("id", sid(9)), ("name", "路人"),
                ("grade", "3"), ("class", "1班")]
        status, text, _ = self.post("/edit", form, token=False)
        self.assertEqual(status, 403, text[:500])
        self.assertIn("没有任何改动", text)
        status, _, _ = self.post("/edit", [("t", "0" * 48)] + form, token=False)
        self.assertEqual(status, 403)
        # Another site's page, with the right token even: refused by Origin and by Host.
        status, _, _ = self.post("/edit", form, headers={"Origin": "http://evil.example"})
        self.assertEqual(status, 403)
        status, _, _ = self.post("/edit", form, headers={"Host": "evil.example"})
        self.assertEqual(status, 403)
        status, _, _ = self.request("/sync", b"", None, "application/x-www-form-urlencoded")
        self.assertEqual(status, 403)
        self.assertEqual(self.stored(), before)
        self.assertEqual(before, [])

    def test_3_gb18030_sheet_with_chinese_headers(self):
        status, text, _ = self.upload("学生名单.csv", sheet_bytes(SHEET))
        self.assertEqual(status, 200, text[:3000])
        self.assertIn("已导入 %d 名学生" % len(SHEET), text)
        self.assertIn("GB18030", text)
        got = {r["student_id"]: r for r in self.stored()}
        want = [as_codes(r) for r in SHEET]
        self.assertEqual(sorted(got), sorted(r["student_id"] for r in want))
        for w in want:
            g = got[w["student_id"]]
            self.assertEqual((g["name"], g["grade"], g["class"]),
                             (w["name"], int(w["grade"]), w["class"]))
            self.assertEqual(sorted(g["network"]), sorted(rh._items(w["network"])))
            self.assertEqual(sorted(g["groups"]), sorted(rh._items(w["groups"])))
        # The page's table lists the same students, in Chinese.
        table = self.page_list("students")
        self.assertEqual(sorted(column(table, "学籍号")), sorted(got))
        self.assertEqual(sorted(column(table, "姓名")), sorted(r[1] for r in SHEET))
        # Filters: by class, and special groups, as computed from the rows.
        status, text, _ = self.get({"list": "students", "class": "2班"})
        by_class = Tables(text).tables["students"]
        self.assertEqual(sorted(column(by_class, "学籍号")),
                         sorted(w["student_id"] for w in want if w["class"] == "2班"))
        groups = self.page_list("special-groups")
        self.assertEqual(sorted(column(groups, "学籍号")),
                         sorted(w["student_id"] for w in want if w["groups"]))
        lacking = self.page_list("lacking")
        self.assertEqual(sorted(column(lacking, "学籍号")),
                         sorted(w["student_id"] for w in want if rh.condition(w) == "none"))

    def test_4_a_bad_sheet_changes_nothing(self):
        before = self.exported()
        rows, said = bad_sheet()
        status, text, _ = self.upload("坏表格.csv", sheet_bytes(rows))
        self.assertEqual(status, 422, text[:3000])
        self.check_problems(text, said, 0)
        self.assertEqual(self.exported(), before)

    def check_problems(self, text, said, lang):
        """The page lists every bad row by line with its reason in the page's language (0
        Chinese, 1 English), and nothing else is said in the other language."""
        title, detail = notice(text)
        self.assertIn(("没有任何改动", "nothing changed")[lang], title)
        problems = Tables(text).tables["problems"]
        line, reason, kind = (("行号", "问题", "类型"), ("Line", "Problem", "Type"))[lang]
        self.assertEqual(problems[0][0], line)
        errors = {l: r for l, r, k in zip(column(problems, line), column(problems, reason),
                                          column(problems, kind)) if k == ("错误", "error")[lang]}
        self.assertEqual(errors, {l: w[lang] for l, w in said.items()})
        if lang == 0:
            # The errors stream's English lines are not shown on the Chinese page.
            self.assertEqual(detail, [])
            self.assertNotIn("out of range", text)

    def exported(self):
        """Every student as `export` writes them (the store, read with the command line)."""
        path = self.h.path("export-%d.csv" % time.monotonic_ns())
        self.h.run([rh.SCHOOL, "export", "--db", self.school.db, "--out", path, "--lang", "en"])
        with open(path, encoding="utf-8-sig") as f:
            return f.read()

    def test_5b_bad_edits_say_what_and_where(self):
        """Over HTTP as the forms post them: each refused with its Chinese message."""
        for css, fields, zh, _ in bad_edits():
            command, action = form_command(css)
            before = self.exported()
            form = [("command", command)] + ([("action", action)] if action else [])
            status, text, _ = self.post("/edit", form + form_fields(fields))
            self.assertEqual(status, 422, text[:2000])
            title, detail = notice(text)
            self.assertEqual(title, "没有保存，没有任何改动：")
            self.assertEqual(detail, [zh])
            self.assertEqual(self.exported(), before)

    def test_5_forms_edit_as_the_commands_do(self):
        new = rh.student_id(COUNTY, "20150101", 11)
        form = [("command", "student"), ("action", "add"), ("id", new), ("name", "新生"),
                ("grade", "1"), ("class", "3班"), ("network", "none"), ("devices", "tv"),
                ("groups", "migrant"), ("groups", "hardship")]
        status, text, _ = self.post("/edit", form)
        self.assertEqual(status, 200, text[:3000])
        self.assertIn("已保存", text)
        row = {r["student_id"]: r for r in self.stored()}[new]
        self.assertEqual((row["name"], row["grade"], row["class"], row["network"], row["devices"],
                          sorted(row["groups"])),
                         ("新生", 1, "3班", [], ["tv"], ["hardship", "migrant"]))
        # A bad value: a clear message, nothing changed.
        before = self.stored()
        status, text, _ = self.post("/edit", [("command", "student"), ("action", "update"),
                                              ("id", new), ("grade", "13")])
        self.assertEqual(status, 422, text[:2000])
        self.assertIn("没有任何改动", text)
        self.assertEqual(notice(text)[1], ["修改学生：年级“13”超出 1-12 的范围"])
        self.assertEqual(self.stored(), before)
        # A measure planned, then put in place, with its helper.
        for action in ("plan", "add"):
            status, text, _ = self.post("/edit", [("command", "measure"), ("action", action),
                                                  ("id", sid(2)), ("kind", "one_to_one"),
                                                  ("role", "班主任"), ("start", "2026-03-02")])
            self.assertEqual(status, 200, text[:2000])
        plans = [(p["kind"], p["status"], p["helper_role"]) for p in self.stored("plans")
                 if p["student_id"] == sid(2)]
        self.assertEqual(plans, [("one_to_one", "in_place", "班主任")])
        # Feedback, and an opt-out filed and decided.
        status, _, _ = self.post("/edit", [("command", "feedback"), ("id", sid(6)),
                                           ("text", "家里网络不稳定")])
        self.assertEqual(status, 200)
        status, _, _ = self.post("/edit", [("command", "optout"), ("action", "file"),
                                           ("id", sid(6)), ("reason", "随父母外出")])
        self.assertEqual(status, 200)
        status, _, _ = self.post("/edit", [("command", "optout"), ("action", "decide"),
                                           ("id", sid(6)), ("status", "approved")])
        self.assertEqual(status, 200)
        row = {r["student_id"]: r for r in self.stored()}[sid(6)]
        self.assertEqual(row["participation"], "opted_out")
        export = self.h.path("after-forms.csv")
        self.h.run([rh.SCHOOL, "export", "--db", self.school.db, "--out", export, "--lang", "en"])
        with open(export, encoding="utf-8-sig", newline="") as f:
            exported = {r["student_id"]: r for r in csv.DictReader(f)}
        self.assertEqual(exported[sid(6)]["feedback"], "家里网络不稳定")
        self.assertEqual(exported[sid(6)]["optout_status"], "approved")
        # The profile.
        status, text, _ = self.post("/edit", [("command", "profile"), ("action", "set"),
                                              ("platforms", PLATFORMS),
                                              ("materials", "120/300")])
        self.assertEqual(status, 200, text[:2000])
        self.assertRegex(text, r"id=\"platforms\">空中课堂")
        self.assertIn("id=\"materials\">120/300", text)
        # A student leaves.
        status, _, _ = self.post("/edit", [("command", "student"), ("action", "remove"),
                                           ("id", new), ("reason", "left")])
        self.assertEqual(status, 200)
        self.assertNotIn(new, [r["student_id"] for r in self.stored()])

    def test_6_one_writer(self):
        p = self.h.run([rh.SCHOOL, "feedback", "--db", self.school.db, "--id", sid(1),
                        "--text", "x"], expect=rh.EXIT_DATA)
        self.assertIn("serve", p.stderr)
        self.assertIn(str(self.proc.pid), p.stderr)
        p = self.h.run([rh.SCHOOL, "sync", "--db", self.school.db], expect=rh.EXIT_DATA)
        self.assertIn("serve", p.stderr)
        p = self.h.run([rh.SCHOOL, "serve", "--db", self.school.db, "--no-open"],
                       expect=rh.EXIT_DATA, timeout=30)
        self.assertIn("already open", p.stderr)
        # Readers still run.
        self.h.run([rh.SCHOOL, "status", "--db", self.school.db])

    def test_7_sync_reaches_the_county(self):
        last_seq = self.school.status()["last_seq"]
        pending = self.school.status()["pending"]
        # The button's answer is its status page (after a 303); it reloads until the sync ends.
        status, text, _ = self.post("/sync", [])
        self.assertEqual(status, 200, text[:3000])
        self.assertIn('id="sync-run"', text)
        text = rh.wait_until(lambda: sync_ended(self.request("/sync/status?t=" + self.token)[1]),
                             120, "the sync to end")
        self.assertEqual(notice(text), ("同步完成：县里已确认收到全部改动。",
                                        ["同步前待上报 %d 项改动；县里已确认到第 %d 项。"
                                         % (pending, last_seq)]))
        self.assertIn("无，全部改动县里都已确认收到", text)
        # The acknowledgement in local time, with its offset.
        self.assertRegex(text, r"id=\"acked\">\d{4}-\d\d-\d\d \d\d:\d\d %s" %
                         re.escape(time.strftime("%z")))
        # What the page lists as blind spots is what the rules say of this test's rows (as the
        # forms of test 5 left them), and what the county lists for this school.
        table = self.page_list("blind-spots")
        shown = column(table, "学籍号")
        codes = {w["student_id"]: w for w in (as_codes(r) for r in SHEET)}
        codes[sid(2)]["assistance"] = "one_to_one"
        codes[sid(6)]["participation"] = "opted_out"
        expected = sorted(i for i, w in codes.items() if rh.is_blind_spot(w))
        self.assertTrue(expected)
        self.assertEqual(sorted(shown), expected)
        # The county holds no student number: its rows are matched by name (unique here),
        # in the same order and at the same urgency as the page shows them.
        on_page = list(zip(column(table, "姓名"), column(table, "紧急程度")))

        def county_list():
            got = self.county_blind_spots()
            return got if len(got) == len(expected) else None

        got = rh.wait_until(county_list, 30, "the county to list the school's blind spots")
        self.assertEqual(got, on_page)

    def test_7b_sync_progress_in_chromium(self):
        """A school whose county is down, then comes up while its Sync waits: the status page
        reloads itself saying what the sync is doing, a second press starts no second sync,
        the POST checks hold, and the page ends saying the county's acknowledgement (or, with
        the county down, that it cannot be reached, the changes kept)."""
        b = self.browser()
        county = rh.Aggregator(self.h, COUNTY2, "county")
        school = rh.School(self.h, SCHOOL2, COUNTY2, county, name="二七区实验小学")
        county.enroll(school)
        made = school.status()  # init's own change (the school's profile)
        school.generate(7, seed=3)
        before = school.status()
        # Each student imported is one change more, none acknowledged yet.
        self.assertEqual((before["pending"], before["last_seq"], before["acked_seq"]),
                         (made["pending"] + len(school.rows), made["last_seq"] + len(school.rows),
                          0))

        def sync_in_chromium(url):
            b.open(url)
            b.click("#sync")
            return rh.wait_until(lambda: (lambda t: t if 'id="sync-run"' in t else None)(
                b.source()), 120, "the status page")

        # The county is down (nothing listens on its port): a clear failure, nothing lost.
        proc, url = self.start_serve(self.h, ["--sync-timeout", "2"], label="serve-down",
                                     db=school.db)
        try:
            sync_in_chromium(url)
            text = rh.wait_until(lambda: sync_ended(b.source()), 120, "the sync to fail")
            self.assertEqual(notice(text), (
                "没有同步成功：连不上县里（%s）。改动都保留在本机，共 %d 项待上报；请稍后再按一次"
                "“同步到县里”。" % (county_address(county), before["pending"]), []))
            self.assertEqual(school.status()["pending"], before["pending"])
            self.assertIn("%d 项，等待下次同步" % before["pending"], text)
        finally:
            self.h.stop(proc)

        proc, url = self.start_serve(self.h, ["--sync-timeout", "600"], label="serve-up",
                                     db=school.db)
        try:
            base = url.split("/?", 1)[0]
            token = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["t"][0]
            text = sync_in_chromium(url)
            # Under way (the county is not up yet): it says so, and reloads itself.
            self.assertIn(REFRESH, text)
            self.assertEqual(notice(text)[0], "第 1 步，共 3 步：正在连接县里（%s）……"
                             % county_address(county))
            self.assertEqual(sync_run(text), 1)
            # A second press shows the running sync; a POST without the token or from another
            # site is refused, as every POST.
            form = urllib.parse.urlencode([("t", token)]).encode()
            for headers, status in (({}, 200), ({"Origin": "http://evil.example"}, 403)):
                req = urllib.request.Request(base + "/sync", form, headers)
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        got, again = r.status, r.read().decode("utf-8")
                except urllib.error.HTTPError as e:
                    got, again = e.code, e.read().decode("utf-8")
                self.assertEqual(got, status, again[:2000])
            self.assertEqual(sync_run(b.source()), 1)
            req = urllib.request.Request(base + "/sync", b"t=" + b"0" * 48)
            with self.assertRaises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(req, timeout=60)
            self.assertEqual(refused.exception.code, 403)
            county.start()
            text = rh.wait_until(lambda: sync_ended(b.source()), 120, "the sync to end")
            self.assertEqual(notice(text), ("同步完成：县里已确认收到全部改动。",
                                            ["同步前待上报 %d 项改动；县里已确认到第 %d 项。"
                                             % (before["pending"], before["last_seq"])]))
            self.assertEqual(sync_run(text), 1)
            after = school.status()
            self.assertEqual((after["pending"], after["acked_seq"]), (0, before["last_seq"]))
            with open(self.h.path("serve-up.log"), encoding="utf-8") as f:
                self.assertEqual(f.read().count("serve: sync started"), 1)
        finally:
            self.h.stop(proc)
            county.stop()

    def county_blind_spots(self):
        """(name, urgency) of this school's rows in the county's `list blind-spots`, in order."""
        p = self.h.run([rh.AGG, "list", "--db", self.county.db, "blind-spots", "--format",
                        "json"])
        return [(r["name"], str(r["urgency"])) for r in json.loads(p.stdout)["rows"]
                if r["school_id"] == SCHOOL]

    def test_8_loopback_only(self):
        for address in ("0.0.0.0", "192.168.1.5", "::"):
            p = self.h.run([rh.SCHOOL, "serve", "--db", self.school.db, "--no-open",
                            "--address", address], expect=rh.EXIT_USAGE, timeout=30)
            self.assertIn("127.0.0.1 only", p.stderr)

    def test_9_headless_browser(self):
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        if browser is None:
            self.skipTest("chromium is not installed: the page is checked over HTTP only")
        def dump(url):
            p = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                                "--dump-dom", url], capture_output=True, text=True,
                               timeout=120, env=self.h.env)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            return p.stdout

        text = dump(self.url)
        dom = Tables(text)
        self.assertIn("学生名单", text)
        self.assertIn(("t", self.token), dom.hidden)
        self.assertEqual(sorted(column(dom.tables["students"], "学籍号")),
                         sorted(r["student_id"] for r in self.stored()))
        # The blind spots the browser shows (after test 7's sync) are the county's list.
        shown = Tables(dump(self.url + "&" + urllib.parse.urlencode({"list": "blind-spots"})))
        table = shown.tables["students"]
        self.assertTrue(table[1:], "the page lists no blind spot")
        self.assertEqual(list(zip(column(table, "姓名"), column(table, "紧急程度"))),
                         self.county_blind_spots())

    def browser(self):
        """Chromium under chromedriver, or the test is skipped saying what is missing."""
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        driver = shutil.which("chromedriver")
        if chromium is None or driver is None:
            self.skipTest("chromium and chromedriver are needed to fill the page's forms")
        downloads = self.h.path("downloads-%d" % time.monotonic_ns())
        os.makedirs(downloads)
        b = Browser(self.h, chromium, driver, downloads)
        self.addCleanup(b.close)
        return b

    def clerk_errors(self, b, url, lang):
        """In Chromium: the bad edits typed into the forms, and the bad sheet chosen and
        uploaded, each shown with its message in the page's language (0 Chinese, 1 English);
        the store unchanged throughout."""
        for css, fields, *said in bad_edits():
            before = self.exported()
            b.open(url)
            text = b.fill(css, fields)
            title, detail = notice(text)
            self.assertEqual(title, ("没有保存，没有任何改动：", "Not saved, nothing changed:")[lang],
                             text[:1500])
            self.assertEqual(detail, [said[lang]])
            self.assertEqual(self.exported(), before)
        rows, said = bad_sheet()
        path = self.h.path("坏表格-%d.csv" % lang)
        with open(path, "wb") as f:
            f.write(sheet_bytes(rows))
        before = self.exported()
        b.open(url)
        text = b.fill("#sheets form", [("sheet", path)])
        self.check_problems(text, said, lang)
        self.assertEqual(self.exported(), before)

    def test_9b_clerk_errors_in_chromium(self):
        b = self.browser()
        self.clerk_errors(b, self.url, 0)

    def visible_text(self, b):
        """The page's text as Chromium renders it (what the clerk reads)."""
        return b.s("GET", "/element/%s/text" % b.find("body"))

    def test_9c_no_english_on_the_chinese_page(self):
        """Sheets the reader refuses as a whole and an edit naming a measure: each said in
        Chinese, exactly; and the page the clerk reads holds no English word, there or on the
        page itself, the status page of a sync, or the lists."""
        b = self.browser()
        for kind in ("students", "lacking", "blind-spots", "special-groups", "plans"):
            b.open(self.url + "&list=" + kind)
            self.assertEqual(latin_words(self.visible_text(b)), [], kind)
        b.open(self.base + "/sync/status?t=" + self.token)
        self.assertEqual(latin_words(self.visible_text(b)), [])
        header_zh = "（第一行应是表头，如 学籍号,姓名,年级,班级,家庭网络,学习终端,特殊群体,帮扶措施,参与情况）"
        gb_row = ",".join(SHEET[0]).encode("gb18030")
        bad_at = len("a,b\r\nc,")
        unknown = list(SHEET[0])
        unknown[4] = "卫星"
        sheets = [
            # (file name, bytes, {line: the Chinese reason})
            ("空表格.csv", b"\xef\xbb\xbf", {"": "表格是空的" + header_zh}),
            ("只有标题.csv", "中原区第一小学学生名单\r\n".encode("utf-8"),
             {"": "表格开头只有标题行，没有表头" + header_zh}),
            ("乱码.csv", b"a,b\r\nc,\xff\r\n",
             {"2": "文件既不是 UTF-8 编码（字节 FF（十六进制，第 %d 字节处）），也不是 GB18030 编码（字节 "
                   "FF（十六进制，第 %d 字节处）），无法读取：请另存为“CSV UTF-8（逗号分隔）”"
                   % (bad_at, bad_at)}),
            ("损坏.csv", b"\xef\xbb\xbf" + gb_row,
             {"1": "文件不是有效的 UTF-8 编码（字节 %02X（十六进制，第 %d 字节处）），但文件开头标明是 "
                   "UTF-8 编码：文件可能已损坏；请重新另存为“CSV UTF-8（逗号分隔）”"
                   % (gb_row[len(SHEET[0][0]) + 1], 3 + len(SHEET[0][0]) + 1)}),
            ("未闭合.csv", ",".join(ZH_HEADER).encode("utf-8") + b'\r\n"' +
             ",".join(SHEET[0]).encode("utf-8"), {"2": "第 2 行开始的引号一直没有闭合"}),
            ("取值.csv", sheet_bytes([unknown]),
             {"2": "家庭网络：不认识的取值“卫星”（可填：宽带、移动网络、有线电视；多个取值用“；”"
                   "或“、”隔开）"}),
        ]
        for name, content, said in sheets:
            before = self.exported()
            path = self.h.path(name)
            with open(path, "wb") as f:
                f.write(content)
            b.open(self.url)
            text = b.fill("#sheets form", [("sheet", path)])
            problems = Tables(text).tables.get("problems")
            self.assertIsNotNone(problems, (name, notice(text)))
            self.assertEqual({l: r for l, r in zip(column(problems, "行号"),
                                                   column(problems, "问题"))}, said, name)
            self.assertEqual(latin_words(self.visible_text(b)), [], name)
            self.assertEqual(self.exported(), before)
        # An empty file is not sent to the import at all.
        path = self.h.path("零字节.csv")
        open(path, "wb").close()
        b.open(self.url)
        self.assertEqual(notice(b.fill("#sheets form", [("sheet", path)]))[0],
                         "请先选择要上传的表格文件（不能是空文件）。")
        self.assertEqual(latin_words(self.visible_text(b)), [])
        # An edit naming a measure: the measure said in Chinese.
        css, fields, zh, _ = [e for e in bad_edits() if e[0] == "#edit-measure form"][0]
        b.open(self.url)
        self.assertEqual(notice(b.fill(css, fields))[1], [zh])
        self.assertEqual(latin_words(self.visible_text(b)), [])

    def test_zz_english(self):
        self.h.stop(self.proc)
        # Stopped, serve names no one in its lock file, and the commands that write run again.
        with open(self.school.db + ".lock", encoding="utf-8") as f:
            self.assertEqual(f.read(), "")
        self.h.run([rh.SCHOOL, "feedback", "--db", self.school.db, "--id", sid(1), "--text",
                    "电话已联系"])
        proc, url = self.start_serve(self.h, ["--lang", "en"], label="serve-en")
        try:
            with urllib.request.urlopen(url, timeout=60) as r:
                text = r.read().decode("utf-8")
            self.assertEqual(Tables(text).lang, "en")
            self.assertIn("Sync with the county", text)
            self.clerk_errors(self.browser(), url, 1)
            # Sync, in English: the command's own result lines under the outcome.
            before = self.school.status()
            base = url.split("/?", 1)[0]
            token = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["t"][0]
            req = urllib.request.Request(base + "/sync", ("t=" + token).encode())
            with urllib.request.urlopen(req, timeout=60) as r:
                self.assertIn('id="sync-run"', r.read().decode("utf-8"))

            def ended():
                with urllib.request.urlopen(base + "/sync/status?t=" + token, timeout=60) as r:
                    return sync_ended(r.read().decode("utf-8"))

            title, detail = notice(rh.wait_until(ended, 120, "the sync to end"))
            self.assertEqual(title, "Synced: the county acknowledged every change.")
            self.assertEqual(detail[0], "synced: all %d changes acknowledged up to seq %d"
                             % (before["pending"], before["last_seq"]))
        finally:
            self.h.stop(proc)


if __name__ == "__main__":
    rh.main()
