#!/usr/bin/env python3
"""rollcall-school for Windows (ops/win-build's artifact) under Wine, against a Linux county.

    province 41 ── county 410102 (Linux, running) ── school 4101020001 (rollcall-school.exe)

The store lives in a folder named "学校 数据"; the sheets are GB18030 with Chinese
headers, names holding four-byte GB18030 characters. The school imports, syncs over
tcp://127.0.0.1, shows the receipt, writes a bundle the county accepts, and keeps
its store across a killed process: nothing committed lost, nothing counted twice.
The figures come from the sheets, by rollcall_harness's rules.

Exits 77 (ctest's SKIP) when Wine or the artifact is missing (saying which and how to
get it), and in a build with sanitizers (the .exe is the same whatever the build).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_package import sanitized_build  # noqa: E402
from test_serve import COUNTY, SCHOOL, SHEET, as_codes, sheet_bytes, sid  # noqa: E402

SKIP = 77  # ctest's SKIP_RETURN_CODE for this test (tests/CMakeLists.txt)
EXE = os.path.join(rh.REPO, "build-win", "rollcall-school-win64", "rollcall-school.exe")

# Names with four-byte GB18030 characters (U+3400 in the BMP, U+20BB7 beyond it).
MORE = [
    [sid(7), "吴㐀", "3", "1班", "", "", "留守", "", ""],
    [sid(8), "郑𠮷", "4", "2班", "宽带", "平板", "", "", ""],
    [sid(9), "陈䶮", "5", "1班", "", "", "", "", "缺席"],
]
LATER = [
    [sid(10), "冯小红", "2", "1班", "移动网络", "手机", "", "", ""],
    [sid(11), "褚㐁", "2", "2班", "", "", "残疾", "", ""],
]


def find_wine():
    """(wine, wineserver) paths, or None."""
    for wine in ("/usr/lib/wine/wine64", shutil.which("wine64"), shutil.which("wine")):
        if wine and os.access(wine, os.X_OK):
            folder = os.path.dirname(os.path.realpath(wine))
            server = os.path.join(folder, "wineserver")
            if not os.access(server, os.X_OK):
                server = shutil.which("wineserver")
            if server:
                return wine, server
    return None


def why_not():
    """Why this test cannot run here, or None."""
    if sanitized_build():
        return "a build with sanitizers: the Windows artifact does not depend on it"
    if find_wine() is None:
        return "Wine is not installed (apt-get install wine64; ops/test installs it)"
    if not os.path.isfile(EXE):
        return "%s is missing (build it with ops/win-build; ops/test does)" % EXE
    return None


def windows_path(path):
    """The path as the Windows program sees it: Wine's drive Z: is the root."""
    return "Z:" + path.replace("/", "\\")


class WineSchool:
    """The school of rollcall-school.exe: what its store should hold (rows, as codes)."""

    def __init__(self, db):
        self.id, self.db, self.rows = SCHOOL, db, []


class WineTest(rh.RollcallTestCase):
    harness_name = "wine"

    @classmethod
    def build(cls):
        h = cls.h
        cls.wine, cls.wineserver = find_wine()
        cls.wine_env = dict(h.env, WINEPREFIX=h.path("wineprefix"), WINEDEBUG="-all",
                            LANG="C.UTF-8", WINEDLLOVERRIDES="mscoree,mshtml=")
        # One prefix and one wineserver for the whole test, stopped by tearDownClass; making
        # the prefix (wineboot) is the slow part of Wine's first start.
        os.mkdir(cls.wine_env["WINEPREFIX"])
        # Wine's own services keep the server's and wineboot's output open: a file, not a pipe.
        with open(h.path("wine.log"), "wb") as log:
            subprocess.run([cls.wineserver, "-p"], env=cls.wine_env, check=True, timeout=60,
                           stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        try:
            cls.start_wine_and_county()
        except BaseException:
            cls.stop_wine()
            raise

    @classmethod
    def start_wine_and_county(cls):
        h = cls.h
        with open(h.path("wine.log"), "ab") as log:
            subprocess.run([cls.wine, "wineboot", "-i"], env=cls.wine_env, check=True,
                           timeout=120, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, COUNTY, "county", upstream=cls.prov)
        cls.prov.enroll(cls.county)
        cls.prov.start()
        cls.county.start()
        os.mkdir(h.path("学校 数据"))
        cls.school = WineSchool(h.path("学校 数据", "school.db"))

    @classmethod
    def stop_wine(cls):
        subprocess.run([cls.wineserver, "-k"], env=cls.wine_env, timeout=60)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stop_wine()
        finally:
            super().tearDownClass()

    def exe(self, args, expect=rh.EXIT_OK, env=None, timeout=120):
        """rollcall-school.exe with args under Wine; fails unless it exits `expect`."""
        return self.wine_run([EXE] + args, expect, env, timeout)

    def wine_run(self, args, expect=rh.EXIT_OK, env=None, timeout=120):
        """A Windows program and its args under Wine: (exit code, stdout, stderr)."""
        # Files, not pipes: a Wine service the program starts would hold a pipe open.
        with open(self.h.path("exe.out"), "w+b") as fo, open(self.h.path("exe.err"), "w+b") as fe:
            try:
                p = subprocess.run([self.wine] + args, stdout=fo, stderr=fe,
                                   stdin=subprocess.DEVNULL, timeout=timeout,
                                   env=env or self.wine_env, cwd=self.h.dir)
            except subprocess.TimeoutExpired:
                raise AssertionError("%s did not finish within %ss"
                                     % (" ".join(args), timeout)) from None
            fo.seek(0)
            fe.seek(0)
            out = fo.read().decode("utf-8", "replace")
            err = fe.read().decode("utf-8", "replace")
        if expect is not None and p.returncode != expect:
            raise AssertionError("%s exited %d, expected %d\n--- stdout ---\n"
                                 "%s\n--- stderr ---\n%s" % (" ".join(args), p.returncode, expect,
                                                             out[-3000:], err[-3000:]))
        return p.returncode, out, err

    def db(self):
        return ["--db", windows_path(self.school.db)]

    def write_sheet(self, name, rows):
        path = self.h.path(name)
        with open(path, "wb") as f:
            f.write(sheet_bytes(rows))
        return path

    def import_sheet(self, name, rows, env=None, expect=rh.EXIT_OK):
        path = self.write_sheet(name, rows)
        result = self.exe(["import"] + self.db() + [windows_path(path)], expect=expect, env=env)
        if result[0] == rh.EXIT_OK:
            self.school.rows = rh.merge_rows(self.school.rows, [as_codes(r) for r in rows])
        return result

    def school_totals(self):
        obj = json.loads(self.exe(["report"] + self.db() + ["--format", "json"])[1])
        return obj["totals"] if isinstance(obj, dict) and "totals" in obj else obj

    def status(self):
        return json.loads(self.exe(["status"] + self.db() + ["--json"])[1])

    def assertCountyHoldsTheSheets(self, what):
        want = rh.totals_of(self.school.rows)
        self.assertTotals(rh.child(self.county.report(), SCHOOL)["totals"], want,
                          "county's child %s %s" % (SCHOOL, what))
        names = sorted(n for _, n, _, _ in rh.county_student_rows(self.county.db)[SCHOOL])
        self.assertEqual(names, sorted(r["name"] for r in self.school.rows),
                         "the county's students %s" % what)
        self.assertEqual(rh.count_discrepancies(self.county.db, [self.school]),
                         {"lost": 0, "double": 0, "differing": 0}, what)

    def test_1_init_in_a_folder_with_chinese_characters(self):
        self.exe(["init"] + self.db() + ["--school", SCHOOL, "--county", COUNTY,
                                         "--name", "测试学校", "--upstream", self.county.endpoint,
                                         "--upstream-key", self.county.pubkey])
        self.assertTrue(os.path.isfile(self.school.db), "no store at %s" % self.school.db)
        key = self.exe(["pubkey"] + self.db())[1].strip()
        self.assertRegex(key, "^[0-9a-f]{64}$")
        self.school.pubkey = key
        self.county.enroll(self.school)

    def test_2_import_of_a_gb18030_sheet_with_chinese_headers(self):
        _, out, err = self.import_sheet("学生名单.csv", SHEET + MORE)
        self.assertIn("GB18030", out + err, "the import should say which encoding it read")
        self.assertTotals(self.school_totals(), rh.totals_of(self.school.rows), "school report")

    def test_3_sync_to_the_linux_county_and_the_receipt(self):
        self.exe(["sync"] + self.db() + ["--timeout", "30"])
        self.assertCountyHoldsTheSheets("after the sync")
        seq = rh.source_applied_seq(rh.agg_status(self.county), SCHOOL)
        st = self.status()
        self.assertEqual((rh.pending_changes(st), st.get("acked_seq")), (0, seq),
                         "status --json: %s" % st)
        text = self.exe(["status"] + self.db())[1]
        self.assertIn(str(seq), text, "status should show the county's receipt:\n" + text)
        # In Chinese, as on a Chinese Windows: asked for, or by the locale (which Wine turns
        # into the display language too).
        zh = self.exe(["status"] + self.db() + ["--lang", "zh"])[1]
        self.assertIn("县里最近确认：", zh)
        self.assertIn("，到第 %d 项改动" % seq, zh)
        self.assertIn("\n计入上级汇总：", zh)  # the province's receipt may still be on its way
        # Wine reads the command line in the host locale's character set, which a host
        # without zh_CN.UTF-8 installed cannot give it: the folder is named in ASCII here.
        by_locale = self.exe(["status", "--db", self.ascii_db()],
                             env=dict(self.wine_env, LANG="zh_CN.UTF-8"))[1]
        self.assertEqual(by_locale, zh)

    def ascii_db(self):
        """The store's path under a folder named in ASCII (a link to "学校 数据")."""
        folder = self.h.path("school-data")
        if not os.path.lexists(folder):
            os.symlink("学校 数据", folder)
        return windows_path(os.path.join(folder, "school.db"))

    def test_7_a_chinese_windows_speaks_chinese_unasked(self):
        """No LANG or LC_* reaches the program, as on Windows: its display language decides.
        Wine takes its display language from the host's LC_MESSAGES (a zh_CN.UTF-8 made here
        with localedef, LOCPATH); cmd then clears the variables before starting the program."""
        localedef = shutil.which("localedef")
        if localedef is None or not os.path.isfile("/usr/share/i18n/locales/zh_CN"):
            why = "localedef or /usr/share/i18n/locales/zh_CN is missing (package locales)"
            if os.environ.get("ROLLCALL_REQUIRE_PACKAGE_TOOLS") == "1":
                self.fail(why)
            self.skipTest(why)
        locales = self.h.path("locales")
        if not os.path.isdir(os.path.join(locales, "zh_CN.UTF-8")):
            os.makedirs(locales, exist_ok=True)
            subprocess.run([localedef, "-i", "zh_CN", "-f", "UTF-8",
                            os.path.join(locales, "zh_CN.UTF-8")], check=True, timeout=120,
                           capture_output=True)
        clear = "set LC_ALL=&& set LC_MESSAGES=&& set LANG=&& set LOCPATH=&& "
        status = "%s status --db %s" % (windows_path(EXE), self.ascii_db())
        chinese = dict(self.wine_env, LOCPATH=locales, LC_MESSAGES="zh_CN.UTF-8")
        out = self.wine_run(["cmd", "/c", clear + status], env=chinese)[1]
        self.assertEqual(out, self.exe(["status", "--db", self.ascii_db(), "--lang", "zh"])[1])
        _, _, err = self.wine_run(["cmd", "/c", clear + windows_path(EXE) + " frobnicate"],
                                  env=chinese, expect=rh.EXIT_USAGE)
        self.assertIn("rollcall-school：不认识的命令“frobnicate”", err)
        # An English display language: English, as before.
        out = self.wine_run(["cmd", "/c", clear + status])[1]
        self.assertTrue(out.startswith("school:     %s " % SCHOOL), out)

    def test_4_a_bundle_is_accepted_at_the_county(self):
        self.import_sheet("补充名单.csv", LATER)
        bundle = self.h.path("学校 数据", "week2.rcl")
        out = self.exe(["bundle"] + self.db() + ["--out", windows_path(bundle)])[1]
        self.assertIn("bundled 1 batch", out)
        self.h.run([rh.AGG, "import-bundle", "--db", self.county.db, bundle])
        self.assertCountyHoldsTheSheets("after the bundle")

    def test_5_a_killed_import_loses_nothing_committed(self):
        before = self.school_totals()
        late = [[sid(12), "卫㐂", "3", "1班", "", "", "", "", ""]]
        env = dict(self.wine_env, ROLLCALL_CRASH_AT="import-before-commit")
        code, _, err = self.import_sheet("被中断.csv", late, env=env, expect=None)
        self.assertNotEqual(code, rh.EXIT_OK, "the import should have been killed:\n" + err)
        self.assertIn("import-before-commit", err)
        self.assertTotals(self.school_totals(), before, "a killed import applies nothing")
        self.import_sheet("被中断.csv", late)
        self.assertTotals(self.school_totals(), rh.totals_of(self.school.rows), "imported again")

    def test_6_a_sync_killed_after_the_county_committed_counts_nothing_twice(self):
        env = dict(self.wine_env, ROLLCALL_CRASH_AT="ack-before-record")
        code, _, err = self.exe(["sync"] + self.db() + ["--timeout", "30"], env=env, expect=None)
        self.assertNotEqual(code, rh.EXIT_OK, "the sync should have been killed:\n" + err)
        self.assertIn("ack-before-record", err)
        self.exe(["sync"] + self.db() + ["--timeout", "30"])
        self.assertCountyHoldsTheSheets("after a killed sync and another")
        self.assertEqual(rh.pending_changes(self.status()), 0)

    def test_8_school_page_cmd_sets_a_new_school_up(self):
        """school-page.cmd, as a clerk double-clicks it in a folder of the artifact: serve with
        school.db beside it, whose first page sets the school up. Last: it ends Wine."""
        folder = self.h.path("学校程序")
        os.mkdir(folder)
        for name in os.listdir(os.path.dirname(EXE)):
            os.symlink(os.path.join(os.path.dirname(EXE), name), os.path.join(folder, name))
        out_path = self.h.path("school-page.out")
        with open(out_path, "wb") as out:
            proc = subprocess.Popen([self.wine, "cmd", "/c",
                                     windows_path(os.path.join(folder, "school-page.cmd")),
                                     "--no-open", "--port", "0"],
                                    stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=self.wine_env, cwd=self.h.dir)
        try:
            def printed():
                with open(out_path, encoding="utf-8", errors="replace") as f:
                    m = re.search(r"http://127\.0\.0\.1:(\d+)/\?t=([0-9a-f]+)", f.read())
                if m is None and proc.poll() is not None:
                    raise AssertionError("school-page.cmd ended:\n" + rh.tail(out_path))
                return m

            m = rh.wait_until(printed, 120, "serve under Wine to print its address")
            base, token = "http://127.0.0.1:%s" % m.group(1), m.group(2)
            with urllib.request.urlopen("%s/?t=%s" % (base, token), timeout=60) as r:
                self.assertIn("<title>建立本校的数据</title>", r.read().decode("utf-8"))
            form = urllib.parse.urlencode([
                ("t", token), ("school", "4101020008"), ("name", "中原区第八小学"),
                ("county", COUNTY), ("upstream", self.county.endpoint),
                ("upstream_key", self.county.pubkey)]).encode()
            with urllib.request.urlopen(base + "/setup", form, timeout=60) as r:
                page = r.read().decode("utf-8")
            self.assertIn("已建立本校的数据：中原区第八小学（4101020008）。", page)
            self.assertTrue(os.path.isfile(os.path.join(folder, "school.db")),
                            "the store is beside school-page.cmd")
        finally:
            # The program runs under cmd, which would outlive its own Unix process: end Wine.
            self.stop_wine()
            proc.wait(60)


if __name__ == "__main__":
    why = why_not()
    if why:
        print("SKIP: " + why)
        sys.exit(SKIP)
    rh.main()
