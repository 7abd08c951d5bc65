#!/usr/bin/env python3
"""bench_province - province day one: every school's first sync at once, up to the province.

COUNTIES county aggregators report to one province aggregator; each county enrolls
SCHOOLS schools of SCHOOL_SIZE generated students (rollcall-gen, imported into each
school's own store with `rollcall-school import`: that happens at the schools, before day
one, and is not timed). Then every county's `rollcall-agg run` and the province's are
started, and rollcall-bench-send sends every school's first sync at once from one process
(one CURVE connection per school to its county). Timed: from the first send until the
province's store counts every student of every school (its summaries, read-only, polled
every 100 ms) -- signatures, decoding, the counties' durable upserts and summaries, and
the counties' forwarding of the summaries to the province included.

Reports the time, the counties' ingest rate, the peak resident memory (VmHWM) of the
province, of the largest county and of the sender, and the province's report time.
The province's report must count exactly the students generated, or the run fails.

Reduced scale by default. The full province (158 counties, about 17 million students):
  python3 tests/bench/bench_province.py --counties 158 --schools 200 --school-size 540
(hours of preparation: 31,600 school stores are initialised and imported one by one, and
the sender holds every signed batch in memory, about 65 bytes a student.)

  python3 tests/bench/bench_province.py [--counties N] [--schools N] [--school-size N]
Environment: ROLLCALL_BIN (folder with the programs and rollcall-bench-send).
"""

import argparse
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import rollcall_harness as rh  # noqa: E402

SEND = os.path.join(rh.BIN, "rollcall-bench-send")
WAIT_S = 7200


def county_ids(n):
    """n distinct 6-digit county codes under Henan (41), counties 01-99 of cities 01-17."""
    out = []
    for city in range(1, 18):
        for c in range(1, 100):
            out.append("41%02d%02d" % (city, c))
            if len(out) == n:
                return out
    raise SystemExit("bench_province: at most %d counties" % len(out))


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def province_counts(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        row = con.execute("SELECT coalesce(sum(students), 0), count(*) FROM summaries"
                          " WHERE reported = 1").fetchone()
    finally:
        con.close()
    return row[0], row[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--counties", type=int, default=4)
    ap.add_argument("--schools", type=int, default=10, help="schools per county")
    ap.add_argument("--school-size", type=int, default=2000)
    ap.add_argument("--window", type=int, default=8)
    args = ap.parse_args()
    if not os.access(SEND, os.X_OK):
        raise SystemExit("bench_province: %s is missing (configure with -DROLLCALL_BENCH=ON)"
                         % SEND)
    total = args.counties * args.schools * args.school_size
    h = rh.Harness("bench-province")
    h.env["ROLLCALL_LOG"] = "warn"
    try:
        t_prep = time.monotonic()
        province = rh.Aggregator(h, "41", "province")
        counties, stores = [], []
        for cid in county_ids(args.counties):
            county = rh.Aggregator(h, cid, "county", upstream=province)
            province.enroll(county)
            counties.append(county)
            for i in range(args.schools):
                s = rh.School(h, "%s%04d" % (cid, i + 1), cid, county)
                county.enroll(s)
                path = h.gen_students(s.id, cid, args.school_size, 1 + i)
                h.run([rh.SCHOOL, "import", "--db", s.db, path], timeout=600)
                os.remove(path)
                stores.append(s.db)
        prep_s = time.monotonic() - t_prep
        province.start()
        for county in counties:
            county.start()
        print("bench_province: %d counties x %d schools x %d students = %d students "
              "(prepared in %.0f s, not timed); every first sync at once"
              % (args.counties, args.schools, args.school_size, total, prep_s))
        t0 = time.monotonic()
        sender = subprocess.Popen([SEND, "--window", str(args.window), "--timeout",
                                   str(WAIT_S)] + stores, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=h.env, cwd=h.dir)
        sender_peak = 0
        while True:
            if sender.poll() is None:
                try:
                    sender_peak = max(sender_peak, vm_hwm_kib(sender.pid))
                except OSError:
                    pass
            students, schools = province_counts(province.db)
            if students == total:
                break
            if time.monotonic() - t0 > WAIT_S:
                raise SystemExit("bench_province: the province counts %d of %d students after "
                                 "%d s" % (students, total, WAIT_S))
            if sender.poll() not in (None, 0):
                raise SystemExit("bench_province: rollcall-bench-send exited %d: %s"
                                 % (sender.returncode, sender.stderr.read()[-2000:]))
            time.sleep(0.1)
        took = time.monotonic() - t0
        out, _ = sender.communicate(timeout=600)
        peaks = [(vm_hwm_kib(c.proc.pid), c.id) for c in counties]
        prov_peak = vm_hwm_kib(province.proc.pid)
        report = h.run([rh.AGG, "report", "--db", province.db, "--format", "json"], timeout=600)
        counted = int(report.stdout.split('"students":', 1)[1].split(",", 1)[0])
        if counted != total:
            raise SystemExit("bench_province: the province reports %d students, expected %d"
                             % (counted, total))
        print("  day one: every student in the province's totals after %.1f s (%.0f students/s;"
              " %d schools)" % (took, total / took, schools))
        print("  peak RSS: province %.1f MiB, largest county %.1f MiB (%s), sender %.1f MiB"
              % (prov_peak / 1024.0, max(peaks)[0] / 1024.0, max(peaks)[1],
                 sender_peak / 1024.0))
        print("  province report: %.2f s; sender: %s" % (report.elapsed, out.strip()))
    finally:
        h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
