#!/usr/bin/env python3
"""bench_ingest - county ingest: records per second end to end, against SQLite alone.

SCHOOLS schools of SCHOOL_SIZE generated students each (rollcall-gen) are imported into
their own stores (`rollcall-school import`) and enrolled at one county. With the county's
`rollcall-agg run` up, rollcall-bench-send seals every school's outbox and sends all
schools' first syncs at once from one process: one CURVE connection per school, up to
WINDOW signed batches in flight each. The figure is changes acknowledged per second, from
the first send to the last ack: the county verifies each signature, decodes and validates
every change, upserts the rows, recomputes the school's summary, commits durably
(synchronous=FULL) and only then acknowledges. The county's report must then count every
student, or the run fails.

Baseline, in the same run: rollcall-bench-raw upserts the very rows the county now holds
into a fresh file with the same table, WAL, synchronous=FULL, 1000 rows per transaction,
the statement prepared once.

Each of ROUNDS rounds starts from the county store as enrolled, empty (the schools' sealed
batches are sent again; nothing in a school store changes); medians are reported, which
keeps the figures steadier on a busy machine; the CPU time a record costs is printed for
the county's threads together and for its busiest one (the writer). Targets: >= 0.75 x the baseline and
>= 200,000 records/s. With --perf, perf samples the
county during the send and the hottest symbols are printed (what bounds it).

  python3 tests/bench/bench_ingest.py [--schools N] [--school-size N] [--window N] [--rounds N]
                                          [--perf]
Environment: ROLLCALL_BIN (folder with the programs and rollcall-bench-*).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import rollcall_harness as rh  # noqa: E402

SEND = os.path.join(rh.BIN, "rollcall-bench-send")
RAW = os.path.join(rh.BIN, "rollcall-bench-raw")
TARGET_RATIO = 0.75
TARGET_RPS = 200000
COUNTY = "410102"


def cpu_seconds(pid):
    """User and system CPU seconds of a running process (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def thread_cpu_seconds(pid):
    """CPU seconds (user + system) of each thread of a running process, by thread id."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        out[tid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def school_id(i):
    return "%s%04d" % (COUNTY, i + 1)


def prepare(h, county, schools, size):
    stores = []
    for i in range(schools):
        s = rh.School(h, school_id(i), COUNTY, county)
        county.enroll(s)
        csv_path = h.gen_students(s.id, COUNTY, size, 1000 + i)
        h.run([rh.SCHOOL, "import", "--db", s.db, csv_path], timeout=300)
        os.remove(csv_path)
        stores.append(s.db)
    return stores


def perf_top(data, lines=18):
    p = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                        "-g", "none", "--sort", "dso,symbol", "--percent-limit", "1.5"],
                       capture_output=True, text=True)
    rows = [ln for ln in p.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
    return rows[:lines]


def median(values):
    s = sorted(values)
    return s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2.0


def remove_store(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def one_round(h, county, stores, args, perf_data=None):
    """Every school's first sync into a county holding nothing yet, then the raw baseline
    over the rows it then holds. Returns the figures of the round."""
    county.start()
    perf = None
    if perf_data and shutil.which("perf"):
        perf = subprocess.Popen(["perf", "record", "-q", "-g", "-o", perf_data,
                                 "-p", str(county.proc.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    cpu0 = cpu_seconds(county.proc.pid)
    threads0 = thread_cpu_seconds(county.proc.pid)
    kids0 = os.times()
    p = h.run([SEND, "--window", str(args.window)] + stores, timeout=1800)
    kids1 = os.times()
    cpu1 = cpu_seconds(county.proc.pid)
    threads1 = thread_cpu_seconds(county.proc.pid)
    # The busiest thread is the writer's: what bounds the rate once the others have a core.
    busiest = max(threads1[t] - threads0.get(t, 0.0) for t in threads1)
    if perf is not None:
        perf.send_signal(2)
        perf.wait(60)
    sent = json.loads(p.stdout)
    held = county.report()["totals"]["students"]
    want = args.schools * args.school_size
    if held != want:
        raise SystemExit("bench_ingest: the county counts %d students after the sync, "
                         "expected %d" % (held, want))
    county.stop()
    raw_db = h.path("raw.db")
    remove_store(raw_db)
    raw = json.loads(h.run([RAW, "--from", county.db, "--db", raw_db], timeout=1800).stdout)
    cpu = (cpu1[0] - cpu0[0]) + (cpu1[1] - cpu0[1])
    sender_cpu = ((kids1.children_user - kids0.children_user)
                  + (kids1.children_system - kids0.children_system))
    return {"sent": sent, "seconds": sent["seconds"], "rps": sent["records"] / sent["seconds"],
            "cpu": 100.0 * cpu / sent["seconds"], "raw": raw["rows_per_s"],
            "raw_rows": raw["rows"], "cpu_us": 1e6 * cpu / sent["records"],
            "raw_cpu_us": 1e6 * raw["cpu_seconds"] / raw["rows"], "sender_cpu": sender_cpu,
            "writer_cpu_us": 1e6 * busiest / sent["records"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schools", type=int, default=100)
    ap.add_argument("--school-size", type=int, default=2000)
    ap.add_argument("--window", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3, help="medians are reported")
    ap.add_argument("--perf", action="store_true", help="sample the county with perf")
    args = ap.parse_args()
    for exe in (SEND, RAW):
        if not os.access(exe, os.X_OK):
            raise SystemExit("bench_ingest: %s is missing (configure with -DROLLCALL_BENCH=ON)"
                             % exe)
    h = rh.Harness("bench-ingest")
    h.env["ROLLCALL_LOG"] = "warn"
    try:
        county = rh.Aggregator(h, COUNTY, "county")
        t0 = time.monotonic()
        stores = prepare(h, county, args.schools, args.school_size)
        print("bench_ingest: %d schools x %d students imported in %.0f s; all first syncs at "
              "once (window %d), %d rounds, each into a county holding nothing yet"
              % (args.schools, args.school_size, time.monotonic() - t0, args.window,
                 args.rounds))
        pristine = h.path("county-pristine.db")
        shutil.copyfile(county.db, pristine)  # enrolled, nothing synced (not running: no WAL)
        rounds = []
        for k in range(args.rounds):
            if k > 0:
                remove_store(county.db)
                shutil.copyfile(pristine, county.db)
                os.chmod(county.db, 0o600)  # the store holds the county's secret key
            last = k == args.rounds - 1
            r = one_round(h, county, stores, args,
                          h.path("perf.data") if args.perf and last else None)
            rounds.append(r)
            print("  round %d: county %8.0f records/s in %.2f s (its CPU %3.0f%% of one core, "
                  "%.1f us a record; the sender's %.2f s), raw SQLite %8.0f rows/s (%.1f us CPU "
                  "a row): %.2f x"
                  % (k + 1, r["rps"], r["seconds"], r["cpu"], r["cpu_us"], r["sender_cpu"],
                     r["raw"], r["raw_cpu_us"], r["rps"] / r["raw"]))
        sent = rounds[-1]["sent"]
        rps = median([r["rps"] for r in rounds])
        ratio = median([r["rps"] / r["raw"] for r in rounds])
        print("  county ingest       %9.0f records/s  median (%d records, %d batches, "
              "%.1f MiB signed, %d retried)" % (rps, sent["records"], sent["batches"],
                                                sent["bytes"] / 1048576.0, sent["retries"]))
        print("  baseline raw SQLite %9.0f rows/s     median (the same %d rows, WAL, "
              "synchronous=FULL, 1000 rows/txn)"
              % (median([r["raw"] for r in rounds]), rounds[-1]["raw_rows"]))
        print("  target              >= %.2f x baseline and >= %d records/s: %.2f x (median "
              "of the rounds' ratios), %s"
              % (TARGET_RATIO, TARGET_RPS, ratio,
                 "MET" if ratio >= TARGET_RATIO and rps >= TARGET_RPS else "NOT MET"))
        print("  CPU a record: county %.1f us (all its threads), raw SQLite %.1f us: the county "
              "would reach %.2f x on an idle machine if CPU were all that bounds both"
              % (median([r["cpu_us"] for r in rounds]), median([r["raw_cpu_us"] for r in rounds]),
                 median([r["raw_cpu_us"] / r["cpu_us"] for r in rounds])))
        print("  CPU a record of the county's busiest thread (the writer) %.1f us: %.2f x of raw "
              "when the other threads have the second core"
              % (median([r["writer_cpu_us"] for r in rounds]),
                 median([r["raw_cpu_us"] / r["writer_cpu_us"] for r in rounds])))
        if args.perf and os.path.exists(h.path("perf.data")):
            print("  hottest in the county (perf, self time, last round):")
            for line in perf_top(h.path("perf.data")):
                print("    " + line.strip())
    finally:
        h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
