#!/usr/bin/env python3
"""bench_report - how long `rollcall-agg report --format json` takes over a province of
37,000 site summaries (target: at most 100 ms, median of several runs).

The province store is built through the real pipeline: COUNTIES county aggregators, each
initialised with the province as upstream and enrolled there, enroll their share of
SUMMARIES schools (an enrolment queues the school's summary upstream), then `run` forwards
every summary to a running province. The report is timed twice: over the store as built
(every school enrolled but never synced, so `missing` lists them all: the worst case), and
over a copy in which every summary counts students and is reported (the usual case).

Not a test: prints its figures and the target, exits 0 unless the pipeline itself fails.
Standard library only (ctypes and the system's libsodium make the schools' keys).

  python3 tests/bench/bench_report.py [--summaries N] [--counties N] [--runs N]
  python3 tests/bench/bench_report.py --store PROVINCE.db [--runs N]   # an existing store
Environment: ROLLCALL_BIN (folder with the programs), as for the integration tests.
"""

import argparse
import concurrent.futures
import ctypes
import ctypes.util
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import rollcall_harness as rh  # noqa: E402

TARGET_MS = 100.0
COUNTY_IDS = ("410102", "410105", "410122", "411381", "410302", "410305", "410311", "410322")


def school_keys(n):
    """n Ed25519 public keys as hex, from the system's libsodium (only enroll needs them)."""
    lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    if lib.sodium_init() < 0:
        raise SystemExit("bench_report: sodium_init failed")
    pk, sk = ctypes.create_string_buffer(32), ctypes.create_string_buffer(64)
    out = []
    for _ in range(n):
        lib.crypto_sign_keypair(pk, sk)
        out.append(pk.raw.hex())
    return out


def enroll_many(h, county, schools):
    for school_id, key in schools:
        p = subprocess.run([rh.AGG, "enroll", "--db", county.db, "--source", school_id,
                            "--key", key], capture_output=True, text=True, env=h.env)
        if p.returncode != 0:
            raise SystemExit("bench_report: enroll %s at %s exited %d: %s"
                             % (school_id, county.id, p.returncode, p.stderr.strip()))


def ro(path):
    return sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)


def summary_count(path):
    con = ro(path)
    try:
        return con.execute("SELECT count(*) FROM summaries").fetchone()[0]
    finally:
        con.close()


def time_report(db, runs):
    """Wall-clock ms of each `report --format json` run, and the last output's size."""
    times, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run([rh.AGG, "report", "--db", db, "--format", "json"],
                           capture_output=True)
        times.append((time.perf_counter() - t0) * 1000.0)
        if p.returncode != 0:
            raise SystemExit("bench_report: report of %s exited %d: %s"
                             % (db, p.returncode, p.stderr.decode(errors="replace")))
        size = len(p.stdout)
    return times, size


def make_reported(src, dst, seed):
    """A copy of the province store in which every school reported, with plausible counts."""
    con = ro(src)
    out = sqlite3.connect(dst)
    con.backup(out)
    con.close()
    rnd = random.Random(seed)
    now = int(time.time())
    rows = []
    for (school,) in out.execute("SELECT school_id FROM summaries").fetchall():
        n = rnd.randint(80, 1200)
        online = n * 80 // 100
        none = n * 3 // 100
        rows.append((n, online, n - online - none, none, n // 100, n * 64 // 1000,
                     n * 105 // 1000, n * 6 // 1000, n - n // 20, n // 25, now, school))
    with out:
        out.executemany(
            "UPDATE summaries SET reported = 1, students = ?, condition_online = ?,"
            " condition_tv_only = ?, condition_none = ?, blind_spots = ?,"
            " groups_poverty_card = ?, groups_left_behind = ?, groups_disabled = ?,"
            " participation_active = ?, participation_irregular = ?, last_sync = ?"
            " WHERE school_id = ?", rows)
    out.close()
    os.chmod(dst, 0o600)  # a store holds the node's secret key; report refuses a readable one


def describe(label, times, size):
    med = statistics.median(times)
    print("  %-44s median %7.1f ms  min %7.1f  max %7.1f  (%d runs, %d bytes of JSON)  %s"
          % (label, med, min(times), max(times), len(times), size,
             "MET" if med <= TARGET_MS else "NOT MET"))
    return med


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--summaries", type=int, default=37000)
    ap.add_argument("--counties", type=int, default=4)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--store", help="time the report over this province store, build nothing")
    args = ap.parse_args()
    if args.store:
        print("bench_report: %s, %d site summaries (target: report --format json in <= %.0f ms,"
              " median)" % (args.store, summary_count(args.store), TARGET_MS))
        describe("report --format json", *time_report(args.store, args.runs))
        return 0
    if not 1 <= args.counties <= len(COUNTY_IDS) or args.summaries > args.counties * 9999:
        raise SystemExit("bench_report: --counties 1-%d, at most 9999 schools per county"
                         % len(COUNTY_IDS))

    h = rh.Harness("bench-report")
    try:
        t0 = time.monotonic()
        province = rh.Aggregator(h, "41", "province")
        counties = [rh.Aggregator(h, c, "county", upstream=province)
                    for c in COUNTY_IDS[:args.counties]]
        for c in counties:
            province.enroll(c)
        keys = school_keys(args.summaries)
        shares = [[] for _ in counties]
        for i, key in enumerate(keys):
            ci = i % len(counties)
            shares[ci].append(("%s%04d" % (counties[ci].id, len(shares[ci]) + 1), key))
        # Two at a time (two cores), each county's enrolments in order.
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for f in [pool.submit(enroll_many, h, c, s) for c, s in zip(counties, shares)]:
                f.result()
        t_enrolled = time.monotonic()
        province.start()
        for c in counties:
            c.start()
        rh.wait_until(lambda: summary_count(province.db) >= args.summaries, 900,
                      "%d summaries at the province" % args.summaries, interval=0.5)
        t_forwarded = time.monotonic()
        for c in counties:
            c.stop()
        province.stop()

        print("bench_report: province store with %d site summaries from %d counties"
              % (summary_count(province.db), len(counties)))
        print("  enrolling took %.0f s; the counties forwarded every summary to the province "
              "in %.1f s" % (t_enrolled - t0, t_forwarded - t_enrolled))
        print("  target: report --format json in <= %.0f ms (median)" % TARGET_MS)
        times, size = time_report(province.db, args.runs)
        describe("as built (all enrolled, none synced)", times, size)
        reported = h.path("province-reported.db")
        make_reported(province.db, reported, 1)
        times, size = time_report(reported, args.runs)
        describe("every school reported (copy of the store)", times, size)
    finally:
        h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
