#!/usr/bin/env python3
"""bench_footprint - peak resident memory of the school client and of a county aggregator.

1. A school imports and syncs STUDENTS generated students (rollcall-gen) to a running
   county: the peak RSS of `rollcall-school import` and of `rollcall-school sync`, each the
   child's VmHWM (/proc/PID/status) read until it exits. Target: <= 16 MiB each.
2. A county aggregator holds and serves COUNTY_STUDENTS students, SCHOOL_SIZE per school:
   every school imports and syncs against the one running `rollcall-agg run`; its peak RSS
   (VmHWM from /proc/PID/status) is read after the last sync and again after a report while
   it still runs. Also the peak RSS of `rollcall-agg report` over that county store.

Not a test: prints its figures and the target, exits 0 unless the pipeline itself fails.

  python3 tests/bench/bench_footprint.py [--students N] [--county-students N] [--school-size N]
Environment: ROLLCALL_BIN (folder with the programs), as for the integration tests.
"""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import rollcall_harness as rh  # noqa: E402

SCHOOL_TARGET_KIB = 16 * 1024


def run_measured(h, args, what):
    """Runs a command to its end; returns (peak RSS in KiB, seconds). Fails on a non-zero exit.

    The peak is the child's own VmHWM, read from /proc every millisecond until it exits: the
    kernel's ru_maxrss of a child forked from this Python counts the interpreter's pages
    copied before exec, which would hide a client smaller than the interpreter."""
    t0 = time.monotonic()
    peak = 0
    with open(h.path("measured.log"), "ab") as log:
        p = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                             env=h.env, cwd=h.dir)
        while p.poll() is None:
            try:
                peak = max(peak, proc_status(p.pid, "VmHWM"))
            except (OSError, LookupError):
                pass  # exiting: its memory is gone, the last reading stands
            time.sleep(0.001)
    with open(h.path("measured.log"), encoding="utf-8", errors="replace") as f:
        report = rh.sanitizer_report(f.read())
    if report:
        raise SystemExit("bench_footprint: sanitizer error in %s:\n%s" % (what, report))
    if p.returncode != 0:
        raise SystemExit("bench_footprint: %s exited %d; log:\n%s"
                         % (what, p.returncode, rh.tail(h.path("measured.log"))))
    return peak, time.monotonic() - t0


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise LookupError("no %s in /proc/%d/status" % (key, pid))


def mib(kib):
    return kib / 1024.0


def school_footprint(h, county, students):
    school = rh.School(h, "2141010200", county.id, county)
    county.enroll(school)
    csv_path = h.gen_students(school.id, county.id, students, 1)
    imp, t_imp = run_measured(h, [rh.SCHOOL, "import", "--db", school.db, csv_path], "import")
    syn, t_syn = run_measured(h, [rh.SCHOOL, "sync", "--db", school.db, "--timeout", "120"],
                              "sync")
    print("school client, %d students (target <= %.0f MiB peak RSS):" % (students,
                                                                         mib(SCHOOL_TARGET_KIB)))
    for label, kib, secs in (("import", imp, t_imp), ("sync", syn, t_syn)):
        print("  rollcall-school %-7s peak RSS %6.1f MiB  (%5.1f s)  %s"
              % (label, mib(kib), secs, "MET" if kib <= SCHOOL_TARGET_KIB else "NOT MET"))


def county_footprint(h, county, total, size):
    schools = (total + size - 1) // size
    t0 = time.monotonic()
    hwm_start = proc_status(county.proc.pid, "VmHWM")
    for i in range(schools):
        n = min(size, total - i * size)
        s = rh.School(h, "21410102%02d" % (i + 1) if i < 99 else "2141%06d" % (i + 1),
                      county.id, county)
        county.enroll(s)
        csv_path = h.gen_students(s.id, county.id, n, 100 + i)
        h.run([rh.SCHOOL, "import", "--db", s.db, csv_path], timeout=300)
        h.run([rh.SCHOOL, "sync", "--db", s.db, "--timeout", "120"], timeout=200)
        os.remove(csv_path)
    t_synced = time.monotonic()
    hwm_synced = proc_status(county.proc.pid, "VmHWM")
    rss_synced = proc_status(county.proc.pid, "VmRSS")
    rep, t_rep = run_measured(h, [rh.AGG, "report", "--db", county.db, "--format", "json"],
                              "report")
    hwm_after = proc_status(county.proc.pid, "VmHWM")
    held = h.run([rh.AGG, "report", "--db", county.db, "--format", "json"]).stdout
    print("county aggregator holding %d students of %d schools (%.0f s to import and sync "
          "them one school after another):" % (total, schools, t_synced - t0))
    print("  rollcall-agg run     peak RSS %6.1f MiB at start, %6.1f MiB after every sync "
          "(now %.1f MiB), %6.1f MiB after a report"
          % (mib(hwm_start), mib(hwm_synced), mib(rss_synced), mib(hwm_after)))
    print("  rollcall-agg report  peak RSS %6.1f MiB  (%.2f s)" % (mib(rep), t_rep))
    print("  store %.0f MiB; report counts %s students"
          % (os.path.getsize(county.db) / 1048576.0,
             held.split('"students":', 1)[1].split(",", 1)[0].strip()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=15000)
    ap.add_argument("--county-students", type=int, default=250000)
    ap.add_argument("--school-size", type=int, default=2500)
    args = ap.parse_args()
    h = rh.Harness("bench-footprint")
    try:
        county = rh.Aggregator(h, "410102", "county").start()
        school_footprint(h, county, args.students)
        county.stop()
        county2 = rh.Aggregator(h, "410105", "county").start()
        county_footprint(h, county2, args.county_students, args.school_size)
        county2.stop()
    finally:
        h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
