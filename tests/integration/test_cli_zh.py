#!/usr/bin/env python3
"""rollcall-school's command line in Chinese: status, sync, import, bundle, the editing
commands, template, export, set-upstream and init say what they did in Chinese with --lang zh
or a Chinese locale, with times in local time, while English (what scripts read) stays as it
was and log lines stay English key=value."""

import contextlib
import datetime
import fcntl
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

COUNTY = "410102"
SCHOOL = "4101020001"
NAME = "中原区第一小学"
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def local_minute(unix_s, tz):
    """unix_s as the commands write local time: "2026-12-07 18:04 +0800"."""
    t = datetime.datetime.fromtimestamp(unix_s, tz)
    return t.strftime("%Y-%m-%d %H:%M ") + t.strftime("%z")


class CliZh(rh.RollcallTestCase):
    harness_name = "cli-zh"

    @classmethod
    def build(cls):
        h = cls.h
        h.env["TZ"] = "Asia/Shanghai"
        cls.county = rh.Aggregator(h, COUNTY, "county")
        cls.school = rh.School(h, SCHOOL, COUNTY, cls.county, name=NAME)
        cls.county.enroll(cls.school)
        cls.county.start()
        cls.school.generate(12, 7)

    @contextlib.contextmanager
    def env(self, **values):
        """The harness's commands run with these variables (None: unset) inside the block."""
        saved = {k: self.h.env.get(k) for k in values}
        for k, v in values.items():
            if v is None:
                self.h.env.pop(k, None)
            else:
                self.h.env[k] = v
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    self.h.env.pop(k, None)
                else:
                    self.h.env[k] = v

    def school_cmd(self, *args, expect=rh.EXIT_OK, timeout=60):
        return self.h.run([rh.SCHOOL] + list(args), expect=expect, timeout=timeout)

    def status_text(self, *extra):
        return self.school_cmd("status", "--db", self.school.db, *extra).stdout

    def test_1_status_in_chinese_by_option_and_by_locale(self):
        st = self.school.status()
        zh = self.status_text("--lang", "zh")
        lines = zh.splitlines()
        self.assertEqual(lines[0], "学校：%s %s" % (SCHOOL, NAME), zh)
        self.assertEqual(lines[1], "所在县：%s" % COUNTY, zh)
        self.assertEqual(lines[2], "同步到：%s" % self.county.endpoint, zh)
        self.assertEqual(lines[3], "本校公钥：%s" % self.school.pubkey, zh)
        self.assertEqual(lines[4], "学生人数：12", zh)
        self.assertEqual(lines[5], "待上报的改动：%d 项，等待下次同步" % st["pending"], zh)
        self.assertEqual(lines[6], "县里最近确认：从未（还没有同步过）", zh)
        self.assertEqual(lines[7], "计入上级汇总：尚未得到最上级的确认", zh)
        self.assertEqual(len(lines), 8, zh)

        # The locale decides when --lang is not given: LC_ALL, then LC_MESSAGES, then LANG.
        with self.env(LANG="zh_CN.UTF-8"):
            self.assertEqual(self.status_text(), zh, "LANG=zh_CN.UTF-8 gives Chinese")
            self.assertTrue(self.status_text("--lang", "en").startswith("school:     "),
                            "--lang en wins over the locale")
        with self.env(LANG="C.UTF-8", LC_MESSAGES="zh_CN.UTF-8"):
            self.assertEqual(self.status_text(), zh, "LC_MESSAGES=zh_CN gives Chinese")
        with self.env(LANG="zh_CN.UTF-8", LC_ALL="en_US.UTF-8"):
            self.assertTrue(self.status_text().startswith("school:     "), "LC_ALL wins")
        with self.env(LANG=None):
            self.assertTrue(self.status_text().startswith("school:     "),
                            "no locale at all: English")
        # English, as scripts read it, is what it always was.
        en = self.status_text()
        self.assertIn("school:     %s %s\n" % (SCHOOL, NAME), en)
        self.assertIn("pending:    %d changes waiting for the next sync (last seq %d)\n"
                      % (st["pending"], st["last_seq"]), en)
        self.assertIn("last ack:   never (not synced yet)\n", en)
        # JSON is the same in every language.
        with self.env(LANG="zh_CN.UTF-8"):
            self.assertEqual(json.loads(self.status_text("--json")), st)
        p = self.school_cmd("status", "--db", self.school.db, "--lang", "fr",
                            expect=rh.EXIT_USAGE)
        self.assertIn("unknown language 'fr' (zh or en)", p.stderr)

    def test_2_sync_says_what_it_did_in_local_time(self):
        pending = self.school.status()["pending"]
        self.assertGreater(pending, 0)
        p = self.school_cmd("sync", "--db", self.school.db, "--lang", "zh")
        st = self.school.status()
        self.assertEqual(st["pending"], 0)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "同步完成：县里已确认收到全部改动。", p.stdout)
        self.assertEqual(lines[1], "同步前待上报 %d 项改动；县里已确认到第 %d 项。"
                         % (pending, st["acked_seq"]), p.stdout)
        acked = local_minute(st["acked_at"], SHANGHAI)
        self.assertEqual(lines[2], "县里最近确认：%s，到第 %d 项改动" % (acked, st["acked_seq"]),
                         p.stdout)
        self.assertRegex(acked, r"\+0800$")
        self.assertEqual(lines[3], "计入上级汇总：截至 %s，已确认的改动全部计入 %s"
                         % (local_minute(st["top_at"], SHANGHAI), COUNTY), p.stdout)
        self.assertNotIn("synced:", p.stdout)
        # The log stays English key=value.
        self.assertTrue(rh.has_log_event(p.stderr, "uplink: started", source=SCHOOL), p.stderr)

        # Status says the same, in the same words and local time.
        zh = self.status_text("--lang", "zh")
        self.assertIn("待上报的改动：无，全部改动县里都已确认收到\n", zh)
        self.assertIn(lines[2] + "\n", zh)
        self.assertIn(lines[3] + "\n", zh)
        # In another time zone the same moment reads otherwise.
        with self.env(TZ="UTC"):
            self.assertIn("县里最近确认：%s，到第 %d 项改动\n"
                          % (local_minute(st["acked_at"], datetime.timezone.utc),
                             st["acked_seq"]), self.status_text("--lang", "zh"))

        # Nothing pending: a receipt is asked for, and said so.
        with self.env(LANG="zh_CN.UTF-8"):
            p = self.school_cmd("sync", "--db", self.school.db)
        self.assertEqual(p.stdout.splitlines()[:2],
                         ["没有需要上报的改动：县里已确认收到全部改动。",
                          "县里已确认到第 %d 项改动。" % st["acked_seq"]], p.stdout)
        # And in English as before.
        p = self.school_cmd("sync", "--db", self.school.db)
        self.assertTrue(p.stdout.startswith(
            "synced: nothing to send; all changes acknowledged up to seq %d\n" % st["acked_seq"]),
            p.stdout)
        self.assertIn("last ack:   seq %d at " % st["acked_seq"], p.stdout)
        self.assertRegex(p.stdout, r"last ack:   seq \d+ at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")

    def test_3_a_county_that_cannot_be_reached_or_refuses(self):
        dead = self.h.reserve_port()
        s = rh.School(self.h, "4101020002", COUNTY, self.county, name="中原区第二小学",
                      endpoint="tcp://127.0.0.1:%d" % dead)
        s.generate(5, 8)
        pending = s.status()["pending"]
        p = self.h.run([rh.SCHOOL, "sync", "--db", s.db, "--timeout", "2", "--lang", "zh"],
                       expect=rh.EXIT_UPSTREAM)
        self.assertIn("没有同步成功：连不上县里（127.0.0.1:%d）。改动都保留在本机，共 %d 项待上报；"
                      "请稍后再运行一次 rollcall-school sync。\n" % (dead, pending), p.stderr)
        self.assertTrue(rh.has_log_event(p.stderr, "no acknowledgement in time",
                                         upstream="tcp://127.0.0.1:%d" % dead),
                        "the log line stays as it was:\n" + p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(s.status()["pending"], pending, "the changes are kept")

        # A county that has not enrolled the school refuses it.
        stranger = rh.School(self.h, "4101020003", COUNTY, self.county, name="中原区第三小学")
        stranger.generate(3, 9)
        pending = stranger.status()["pending"]
        p = self.h.run([rh.SCHOOL, "sync", "--db", stranger.db, "--timeout", "10", "--lang", "zh"],
                       expect=rh.EXIT_UPSTREAM, timeout=40)
        self.assertIn("没有同步成功：县里（127.0.0.1:%d）拒绝接收本校的数据" % self.county.port,
                      p.stderr)
        self.assertIn("改动都保留在本机，共 %d 项待上报。" % pending, p.stderr)

    def test_4_import_problems_and_result_in_chinese(self):
        good = {"student_id": rh.student_id(COUNTY, "20120101", 601), "name": "周一",
                "grade": "1", "class": "1班", "network": "mobile", "devices": "smartphone",
                "groups": "", "assistance": "", "participation": ""}
        rows = [good, dict(good, student_id=rh.student_id(COUNTY, "20120101", 602), grade="13")]
        bad = self.h.path("bad.csv")
        rh.write_csv(bad, rows)
        before = self.school.report()["students"]
        p = self.school_cmd("import", "--db", self.school.db, "--lang", "zh", bad,
                            expect=rh.EXIT_DATA)
        self.assertIn("%s:3: 年级“13”超出 1-12 的范围" % bad, p.stderr)
        self.assertIn("%s：1 个问题，一名学生都没有导入" % bad, p.stderr)
        self.assertEqual(self.school.report()["students"], before, "nothing is applied")
        # The errors sheet a clerk opens has the same reason.
        sheet = self.h.path("problems.csv")
        with self.env(LANG="zh_CN.UTF-8"):
            self.school_cmd("import", "--db", self.school.db, "--errors", sheet, bad,
                            expect=rh.EXIT_DATA)
        with open(sheet, encoding="utf-8-sig") as f:
            self.assertIn("年级“13”超出 1-12 的范围", f.read())
        # English as before.
        p = self.school_cmd("import", "--db", self.school.db, bad, expect=rh.EXIT_DATA)
        self.assertIn("%s:3: " % bad, p.stderr)
        self.assertIn("1 problem; nothing was imported", p.stderr)

        ok = self.h.path("ok.csv")
        rh.write_csv(ok, rows[:1])
        p = self.school_cmd("import", "--db", self.school.db, "--lang", "zh", ok)
        self.assertEqual(p.stdout, "已导入 1 名学生（新增 1，修改 0，未变 0）\n")
        p = self.school_cmd("import", "--db", self.school.db, ok)
        self.assertEqual(p.stdout, "imported 1 students (0 new, 0 changed, 1 unchanged)\n")

    def test_5_edits_bundle_and_sheets_in_chinese(self):
        db = self.school.db
        sid = rh.student_id(COUNTY, "20130303", 611)
        p = self.school_cmd("student", "add", "--db", db, "--id", sid, "--name", "李雷",
                            "--grade", "2", "--class", "1班", "--lang", "zh")
        self.assertEqual(p.stdout, "学生 %s：已新增\n" % sid)
        p = self.school_cmd("measure", "add", "--db", db, "--id", sid, "--kind", "tv_at_village",
                            "--lang", "zh")
        self.assertEqual(p.stdout, "学生 %s：帮扶措施已落实\n" % sid)
        p = self.school_cmd("student", "update", "--db", db, "--id", sid, "--grade", "13",
                            "--lang", "zh", expect=rh.EXIT_DATA)
        self.assertIn("修改学生：", p.stderr)
        self.assertNotIn("student update:", p.stderr)

        st = self.school.status()
        out = self.h.path("offline.bundle")
        p = self.school_cmd("bundle", "--db", db, "--out", out, "--lang", "zh")
        first = p.stdout.splitlines()[0]
        self.assertRegex(first, r"^已把本校（%s）的 %d 项改动（第 \d+–%d 项，\d+ 批）写入 %s（\d+ 字节）$"
                         % (SCHOOL, st["pending"], st["last_seq"], re.escape(out)))
        self.assertEqual(os.path.getsize(out), int(re.search(r"（(\d+) 字节）", first).group(1)))
        self.school.sync()
        p = self.school_cmd("bundle", "--db", db, "--out", self.h.path("none.bundle"),
                            "--lang", "zh")
        self.assertEqual(p.stdout, "没有待上报的改动：县里已确认到第 %d 项改动；没有写出文件\n"
                         % self.school.status()["acked_seq"])

        # template's and export's --lang is the sheet's: what they say follows the locale.
        t = self.h.path("模板.csv")
        with self.env(LANG="zh_CN.UTF-8"):
            p = self.school_cmd("template", "--out", t, "--lang", "en")
        self.assertEqual(p.stdout, "已写出 %s：每名学生填一行，删掉示例行，然后导入\n" % t)
        with open(t, encoding="utf-8-sig") as f:
            self.assertTrue(f.readline().startswith("student_id,"))
        p = self.school_cmd("template", "--out", t + "2", "--lang", "zh")
        self.assertTrue(p.stdout.startswith("wrote %s: " % (t + "2")), p.stdout)
        e = self.h.path("导出.csv")
        with self.env(LANG="zh_CN.UTF-8"):
            p = self.school_cmd("export", "--db", db, "--out", e)
        students = self.school.report()["students"]
        self.assertEqual(p.stdout, "已导出 %d 名学生到 %s\n" % (students, e))
        # The sheet's own language is --lang's alone: Chinese headers under any locale.
        e2 = self.h.path("export-en-locale.csv")
        p = self.school_cmd("export", "--db", db, "--out", e2)
        self.assertEqual(p.stdout, "exported %d students to %s\n" % (students, e2))
        with open(e2, encoding="utf-8-sig") as f:
            self.assertTrue(f.readline().startswith("学籍号,"))

        p = self.school_cmd("set-upstream", "--db", db, "--upstream", self.county.endpoint,
                            "--lang", "zh")
        self.assertEqual(p.stdout, "同步到：%s（县里的公钥 %s），下次同步起使用\n"
                         % (self.county.endpoint, self.county.pubkey))

    def test_6_init_keeps_the_key_alone_on_its_output(self):
        db = self.h.path("新学校.db")
        with self.env(LANG="zh_CN.UTF-8"):
            p = self.school_cmd("init", "--db", db, "--school", "4101020009", "--county", COUNTY,
                                "--name", "中原区第九小学", "--upstream", self.county.endpoint,
                                "--upstream-key", self.county.pubkey)
        self.assertRegex(p.stdout, r"^[0-9a-f]{64}\n$")
        self.assertIn("已建立中原区第九小学（4101020009）的数据：%s。上面一行是本校的公钥，"
                      "请交给县里登记。" % db, p.stderr)
        p = self.school_cmd("rotate-key", "--db", db, "--lang", "zh")
        self.assertRegex(p.stdout, r"^[0-9a-f]{64}\n$")
        self.assertIn("上面一行是本校的新公钥：下次同步县里确认后启用", p.stderr)
        p = self.school_cmd("rotate-key", "--db", db, "--lang", "zh", expect=rh.EXIT_DATA)
        self.assertIn("上一次换用的新公钥还在等县里确认：请先同步一次", p.stderr)
        st = json.loads(self.school_cmd("status", "--db", db, "--json").stdout)
        self.assertIn("新公钥：%s（下次同步时县里确认换用新公钥，即第 %d 项改动后启用）\n"
                      % (st["key_rotation"]["new_public_key"], st["key_rotation"]["seq"]),
                      self.school_cmd("status", "--db", db, "--lang", "zh").stdout)

    def test_7_usage_errors_follow_the_locale(self):
        db = self.school.db
        with self.env(LANG="zh_CN.UTF-8"):
            p = self.school_cmd("status", "--db", db, "--bogus", expect=rh.EXIT_USAGE)
            self.assertEqual(p.stderr, "rollcall-school status：不认识的选项“--bogus”\n"
                             "用法：rollcall-school status --db FILE [--json] [--lang zh|en]\n")
            p = self.school_cmd("sync", expect=rh.EXIT_USAGE)
            self.assertTrue(p.stderr.startswith("rollcall-school sync：缺少 --db FILE\n用法："),
                            p.stderr)
            p = self.school_cmd("sync", "--db", db, "--timeout", "soon", expect=rh.EXIT_USAGE)
            self.assertIn("--timeout “soon”应是秒数：1 或更大的整数", p.stderr)
            p = self.school_cmd("init", "--db", self.h.path("x.db"), "--school", "41010",
                                "--county", COUNTY, "--name", "某校", "--upstream",
                                self.county.endpoint, "--upstream-key", self.county.pubkey,
                                expect=rh.EXIT_USAGE)
            self.assertIn("学校代码“41010”应是 10 位数字", p.stderr)
            p = self.h.run([rh.SCHOOL, "frobnicate"], expect=rh.EXIT_USAGE)
            self.assertIn("rollcall-school：不认识的命令“frobnicate”", p.stderr)
            p = self.h.run([rh.SCHOOL, "--help"])
            self.assertTrue(p.stdout.startswith("用法：\n  rollcall-school init "), p.stdout)
            self.assertIn("不用命令行的话：运行 rollcall-school serve --db 本校数据文件", p.stdout)
        p = self.school_cmd("status", "--db", db, "--bogus", expect=rh.EXIT_USAGE)
        self.assertEqual(p.stderr, "rollcall-school status: unknown option '--bogus'\n"
                         "usage: rollcall-school status --db FILE [--json] [--lang zh|en]\n")

    def test_8_a_store_that_cannot_be_opened_is_said_in_chinese(self):
        missing = self.h.path("没有这个.db")
        p = self.school_cmd("status", "--db", missing, "--lang", "zh", expect=rh.EXIT_DATA)
        self.assertIn("rollcall-school status：找不到本校的数据“%s”：请检查 --db 是否写对，"
                      "或先用 rollcall-school init 建立\n" % missing, p.stderr)
        self.assertTrue(rh.has_log_event(p.stderr, "no such store", db=missing), p.stderr)
        p = self.school_cmd("status", "--db", missing, expect=rh.EXIT_DATA)
        self.assertNotIn("找不到", p.stderr)
        # serve sets a new school up where --db points: a folder that is not there is said.
        nowhere = self.h.path("没有这个文件夹", "school.db")
        p = self.school_cmd("serve", "--db", nowhere, "--no-open", "--lang", "zh",
                            expect=rh.EXIT_DATA)
        self.assertIn("rollcall-school serve：无法使用本校的数据“%s”：文件夹不存在或不能写入"
                      % nowhere, p.stderr)
        # Held as serve holds it (flock on the lock file beside it): a command that writes
        # is refused, and says so.
        with open(self.school.db + ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            p = self.school_cmd("feedback", "--db", self.school.db, "--id",
                                rh.student_id(COUNTY, "20130303", 611), "--text", "需要流量",
                                "--lang", "zh", expect=rh.EXIT_DATA)
        self.assertIn("rollcall-school feedback：本校的数据“%s”正由另一个 rollcall-school 使用"
                      % self.school.db, p.stderr)

    def test_9_the_progress_line_of_sync_in_chinese(self):
        self.school_cmd("feedback", "--db", self.school.db, "--id",
                        rh.student_id(COUNTY, "20130303", 611), "--text", "需要借用平板")
        with self.env(ROLLCALL_PROGRESS="1"):
            p = self.school_cmd("sync", "--db", self.school.db, "--lang", "zh")
            self.assertRegex(p.stderr, r"同步 \d+/\d+ 项改动 \d+%")
            p = self.school_cmd("sync", "--db", self.school.db)
            self.assertNotIn("项改动 ", p.stderr)


if __name__ == "__main__":
    rh.main()
