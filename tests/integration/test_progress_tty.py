#!/usr/bin/env python3
"""The import progress line on a terminal (a pty made by the test): drawn in
place, erased before any other line is printed and drawn again after, so no
line a clerk reads holds a piece of it; its figures agree with the sheet
(total = the sheet's rows, percent = done / total, time left shown while rows
remain). In Chinese by default, in English with --lang en. Not on a terminal
there is no progress line at all.

A sheet with a bad grade every so many rows is imported on the pty: its
problems, one per line as FILE:LINE: reason, come while the progress line is
showing.
"""

import os
import pty
import re
import select
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

ROWS = 6000
BAD_EVERY = 500
ERASE = "\r\x1b[K"
ZH = re.compile(r"^导入 (\d+)/(\d+) 行 (\d+)%(?: 剩余约 (\d+) 秒)?$")
EN = re.compile(r"^import: (\d+) of (\d+) rows \((\d+)%\), (\d+) pending, \d+/s"
                r"(?:, about (\d+) s left)?$")


def run_on_tty(h, args, timeout=120):
    """Runs args with stdin, stdout and stderr on a new pty; (exit code, text it wrote)."""
    master, slave = pty.openpty()
    env = dict(h.env)
    env.pop("ROLLCALL_PROGRESS", None)
    p = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=h.dir)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if p.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed its side
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    rc = p.wait(timeout=max(1, deadline - time.monotonic()))
    text = out.decode("utf-8", errors="replace")
    report = rh.sanitizer_report(text)
    if report:
        raise rh.CommandFailed("sanitizer error in: %s\n%s" % (" ".join(args), report))
    # The terminal writes "\n" as "\r\n".
    return rc, text.replace("\r\n", "\n")


class ProgressOnATerminal(rh.RollcallTestCase):
    harness_name = "progress-tty"

    @classmethod
    def build(cls):
        h = cls.h
        cls.county = rh.Aggregator(h, "410102", "county")
        cls.school = rh.School(h, "2141010230", "410102", cls.county)
        cls.rows = rh.read_csv(h.gen_students(cls.school.id, "410102", ROWS, 7))
        cls.bad = cls.rows[:]
        cls.bad_lines = []
        for i in range(BAD_EVERY - 1, ROWS, BAD_EVERY):
            cls.bad[i] = dict(cls.bad[i], grade="13")
            cls.bad_lines.append(i + 2)  # after the header line
        cls.bad_path = h.path("bad.csv")
        rh.write_csv(cls.bad_path, cls.bad)
        cls.good_path = h.path("good.csv")
        rh.write_csv(cls.good_path, cls.rows)

    def draws(self, text, pattern):
        """The progress lines drawn, each checked to stand alone: between two erasures
        a piece of text is either one whole progress line or holds none of it."""
        pieces = text.split(ERASE)
        self.assertNotRegex(pieces[0], r"导入 \d|import: \d", "a progress line not drawn in place")
        drawn = []
        for piece in pieces[1:]:
            # Whole lines printed above the progress line, then maybe the progress line
            # drawn again under them.
            *lines, tail = piece.split("\n")
            for line in lines:
                self.assertNotRegex(line, r"导入 \d+/|import: \d+ of",
                                    "a line holds a piece of the progress line: %r" % line)
            m = pattern.match(tail)
            if m:
                drawn.append(m)
            else:
                self.assertEqual(tail, "", "a line holds a piece of the progress line")
        self.assertEqual(pieces[-1].split("\n")[-1], "", "the progress line is left at the end")
        self.assertGreater(len(drawn), 0, "no progress line was drawn: %r" % text[-2000:])
        return drawn

    def check_figures(self, drawn, done_of, total_of, pct_of, left_of):
        last = 0
        for m in drawn:
            done, total, pct = int(m.group(done_of)), int(m.group(total_of)), int(m.group(pct_of))
            self.assertEqual(total, ROWS, m.group(0))
            self.assertEqual(pct, 100 * done // total, m.group(0))
            self.assertGreaterEqual(done, last, "the count went back: %s" % m.group(0))
            self.assertLessEqual(done, total)
            # The rate is known from the second drawing on.
            if int(drawn[0].group(done_of)) < done < total:
                self.assertIsNotNone(m.group(left_of), "no time left in %r" % m.group(0))
            last = done

    def test_1_problems_come_above_the_progress_line(self):
        rc, text = run_on_tty(self.h, [rh.SCHOOL, "import", "--db", self.school.db,
                                       self.bad_path])
        self.assertEqual(rc, rh.EXIT_DATA, text[-2000:])
        drawn = self.draws(text, ZH)
        self.check_figures(drawn, 1, 2, 3, 4)
        shown = [piece.split("\n") for piece in text.split(ERASE)]
        lines = [l for piece in shown for l in piece if l and not ZH.match(l)]
        self.assertEqual(len(lines), len(self.bad_lines) + 1, "the problems and the outcome")
        for n in self.bad_lines:
            want = "%s:%d: " % (self.bad_path, n)
            self.assertEqual(len([l for l in lines if l.startswith(want)]), 1,
                             "the problem of line %d, whole on its own line" % n)
        self.assertIn("%s: %d problems; nothing was imported" % (self.bad_path,
                                                                  len(self.bad_lines)), lines)

    def test_2_english_with_lang_en(self):
        rc, text = run_on_tty(self.h, [rh.SCHOOL, "import", "--db", self.school.db,
                                       "--lang", "en", self.good_path])
        self.assertEqual(rc, rh.EXIT_OK, text[-2000:])
        drawn = self.draws(text, EN)
        self.check_figures(drawn, 1, 2, 3, 5)
        for m in drawn:
            self.assertEqual(int(m.group(4)), ROWS - int(m.group(1)), m.group(0))

    def test_3_no_progress_line_off_a_terminal(self):
        saved, self.h.env = self.h.env, dict(self.h.env)
        self.h.env.pop("ROLLCALL_PROGRESS", None)
        try:
            p = self.h.run([rh.SCHOOL, "import", "--db", self.school.db, self.bad_path],
                           expect=rh.EXIT_DATA)
        finally:
            self.h.env = saved
        self.assertNotIn("\r", p.stderr)
        self.assertNotIn("\x1b[K", p.stderr)
        self.assertIn("%s:%d: " % (self.bad_path, self.bad_lines[0]), p.stderr)


if __name__ == "__main__":
    rh.main()
