#!/usr/bin/env python3
"""bench_freshness - how soon one change a school syncs shows in the province's totals.

school -> county -> province, every link up, all on 127.0.0.1. The school holds STUDENTS
students; each of CHANGES changes flips one student's participation between active and
irregular (`rollcall-school import` of a one-row CSV), and the province's store is read
read-only (sqlite3, a fresh read transaction every millisecond) until the school's summary
there counts the new participation_irregular. Two ways of sending, each timed separately:

  oneshot  t0 = `rollcall-school sync` started after the import; also when sync exited 0
           (the county's acknowledgement);
  watch    a `rollcall-school sync --watch` keeps the link up; t0 = the import finished
           (each import at a random moment, 0-300 ms after the last change arrived).

Also when the county's store counted it (county -> province is the difference).

Prints p50, p99 and max per way, with the target (p99 <= 1 s). Not a test: exits 0 unless
the pipeline itself fails.

  python3 tests/bench/bench_freshness.py [--changes N] [--students N]
Environment: ROLLCALL_BIN (folder with the programs), as for the integration tests.
"""

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import rollcall_harness as rh  # noqa: E402

TARGET_P99_S = 1.0
WAIT_S = 30.0


def percentile(values, q):
    """Nearest-rank percentile: the smallest value with at least q% of the values at or below."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, -(-len(s) * q // 100) - 1))]


class SummaryReader:
    """A school's summary in an aggregator's store (province or county), read-only."""

    def __init__(self, db, school):
        self.con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10,
                                   isolation_level=None)
        self.school = school

    def irregular(self):
        row = self.con.execute("SELECT participation_irregular FROM summaries WHERE"
                               " school_id = ? AND reported = 1", (self.school,)).fetchone()
        return None if row is None else row[0]

    def wait_for(self, want, t0, proc=None, county=None):
        """Polls until the province counts `want`; returns (seconds to it, seconds to the
        exit of proc or None, seconds to the county's store counting it or None)."""
        exited = at_county = None
        while True:
            now = time.perf_counter()
            if proc is not None and exited is None and proc.poll() is not None:
                if proc.returncode != 0:
                    raise SystemExit("bench_freshness: sync exited %d" % proc.returncode)
                exited = now - t0
            if county is not None and at_county is None and county.irregular() == want:
                at_county = now - t0
            if self.irregular() == want:
                return now - t0, exited, at_county if at_county is not None else now - t0
            if now - t0 > WAIT_S:
                raise SystemExit("bench_freshness: the province did not show the change "
                                 "within %.0f s" % WAIT_S)
            time.sleep(0.001)


def flip_csv(row, irregular, path):
    row = dict(row, participation="irregular" if irregular else "active")
    rh.write_csv(path, [row])


def measure(h, school, reader, county, rows, state, changes, mode):
    """Times `changes` flips (state: student id -> irregular now, kept up to date). Returns
    [(seconds to the province, seconds to sync's exit or None, seconds to the county)]."""
    base = reader.irregular()
    out = []
    path = h.path("change.csv")
    watcher = None
    rnd = random.Random(7)
    if mode == "watch":
        watcher = h.start("watch", [rh.SCHOOL, "sync", "--db", school.db, "--watch"])
    try:
        for i in range(changes):
            row = rows[i % len(rows)]
            now_irregular = not state[row["student_id"]]
            flip_csv(row, now_irregular, path)
            want = base + (1 if now_irregular else -1)
            if mode == "oneshot":
                h.run([rh.SCHOOL, "import", "--db", school.db, path])
                t0 = time.perf_counter()
                with open(h.path("sync.log"), "w+b") as log:
                    proc = subprocess.Popen([rh.SCHOOL, "sync", "--db", school.db, "--timeout",
                                             "20"], stdout=log, stderr=log, env=h.env, cwd=h.dir)
                    seen, acked, at_county = reader.wait_for(want, t0, proc, county)
                    proc.wait(30)
                    log.seek(0)
                    report = rh.sanitizer_report(log.read().decode("utf-8", "replace"))
                if report:
                    raise SystemExit("bench_freshness: sanitizer error in sync:\n" + report)
                if acked is None:
                    acked = time.perf_counter() - t0
            else:
                # At a random moment, not in step with the watcher's loop after the last ack.
                time.sleep(rnd.uniform(0.0, 0.3))
                h.run([rh.SCHOOL, "import", "--db", school.db, path])
                t0 = time.perf_counter()
                seen, acked, at_county = reader.wait_for(want, t0, None, county)
            state[row["student_id"]] = now_irregular
            base = want
            out.append((seen, acked, at_county))
    finally:
        if watcher is not None:
            h.stop(watcher)
    return out


def describe(mode, results):
    seen = [r[0] for r in results]
    p99 = percentile(seen, 99)
    print("  %-8s school -> province: p50 %6.0f ms  p99 %6.0f ms  max %6.0f ms  (%d changes)  %s"
          % (mode, percentile(seen, 50) * 1000, p99 * 1000, max(seen) * 1000, len(seen),
             "MET" if p99 <= TARGET_P99_S else "NOT MET"))
    at_county = [r[2] for r in results]
    print("  %-8s school -> county store: p50 %6.0f ms  p99 %6.0f ms"
          % ("", percentile(at_county, 50) * 1000, percentile(at_county, 99) * 1000))
    acks = [r[1] for r in results if r[1] is not None]
    if mode == "oneshot" and acks:
        print("  %-8s sync's exit (county ack): p50 %6.0f ms  p99 %6.0f ms"
              % ("", percentile(acks, 50) * 1000, percentile(acks, 99) * 1000))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--changes", type=int, default=50)
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--modes", default="oneshot,watch", help="oneshot, watch or both")
    args = ap.parse_args()
    h = rh.Harness("bench-freshness")
    try:
        province = rh.Aggregator(h, "41", "province")
        county = rh.Aggregator(h, "410102", "county", upstream=province)
        province.enroll(county)
        school = rh.School(h, "2141010200", county.id, county)
        county.enroll(school)
        province.start()
        county.start()
        rows = rh.read_csv(h.gen_students(school.id, county.id, args.students, 1))
        h.run([rh.SCHOOL, "import", "--db", school.db, h.path("students-%s.csv" % school.id)])
        school.sync()
        reader = SummaryReader(province.db, school.id)
        county_reader = SummaryReader(county.db, school.id)
        rh.wait_until(lambda: reader.irregular() is not None, 30, "the school's first summary")
        print("bench_freshness: one change at a time, school %d students, school -> county "
              "-> province on 127.0.0.1 (target p99 <= %.0f s)" % (args.students, TARGET_P99_S))
        state = {r["student_id"]: r["participation"] == "irregular" for r in rows}
        for mode in args.modes.split(","):
            describe(mode, measure(h, school, reader, county_reader, rows, state, args.changes,
                                 mode))
        reader.con.close()
        county_reader.con.close()
    finally:
        h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
