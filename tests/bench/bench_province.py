#!/usr/bin/env python3
"""bench_province - province day one: every school's first sync at once, up to the province.

The real shape of Henan (../shared/data/henan-divisions.csv): COUNTIES of its 158 county-level
units (development zones left out), each a real `rollcall-agg run` reporting to its city or,
for the directly administered ones, straight to the province; every city with a county in the
run is a real aggregator too, and so is the province. Each county has SCHOOLS schools of about
SCHOOL_SIZE students (0.5-1.5 x, fixed by --seed; 75% primary, 20% junior secondary, 4% senior
high, 1% special education), enrolled in one `rollcall-agg enroll --from` each.

The schools are rollcall-bench-schools: one process that generates each school's students on
demand (the generator of rollcall-gen), takes their pseudonyms, seals and signs the batches a
freshly imported school would, and sends them over CURVE to the school's county, --in-flight
schools at a time, counting only acknowledged batches. Timed: from the start of the sender
until the province's store counts every student of every school (its summaries, read-only,
polled) -- generation, signatures, decoding, the counties' durable upserts and summaries, and
the forwarding through the cities included.

Prints the time, the rate (students/s), the peak resident memory (VmHWM) of the province, of
the largest county and city and of the sender, and the time of the province's `report --format
json` (median of 3). The province's report must count exactly the students generated, or the
run fails (exit 1).

Reduced scale by default (6 counties x 20 schools x 400 students). The whole province,
about 17 million students in 37,288 schools:
  ROLLCALL_BIN=build-bench/bin python3 tests/bench/bench_province.py \\
      --counties 158 --schools 236 --school-size 456 --in-flight 256
(more schools in flight than counties, so each county has batches waiting to group into one
commit; the setup, not timed, takes about a minute.)

  python3 tests/bench/bench_province.py [--counties N] [--schools N] [--school-size N]
      [--in-flight N] [--window N] [--seed S]
Environment: ROLLCALL_BIN (folder with the programs and rollcall-bench-schools);
TMPDIR (where the stores go); ROLLCALL_TEST_KEEP=1 keeps them (the folder is printed).
"""

import argparse
import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import rollcall_harness as rh  # noqa: E402

SCHOOLS = os.path.join(rh.BIN, "rollcall-bench-schools")
DIVISIONS = os.path.join(rh.SHARED, "data", "henan-divisions.csv")
PROVINCE = "41"
WAIT_S = 6 * 3600
PROGRESS_S = 60
CATEGORIES = (("21", 0.75), ("31", 0.20), ("34", 0.04), ("51", 0.01))


def pick_counties(n):
    """n of Henan's 158 county-level units, spread over the list, with a directly
    administered one among them when n > 1. Returns [(code, name, parent)]."""
    with open(DIVISIONS, encoding="utf-8") as f:
        units = [(r["code"], r["name"], r["reports_to"]) for r in csv.DictReader(f)
                 if r["kind"] != "development_zone"]
    if not 1 <= n <= len(units):
        raise SystemExit("bench_province: --counties must be 1-%d" % len(units))
    picked = [units[i * len(units) // n] for i in range(n)]
    if n > 1 and not any(u[2] == PROVINCE for u in picked):
        picked[-1] = next(u for u in units if u[2] == PROVINCE and u not in picked)
    return picked


def school_plan(ordinal, county, schools, size, rng):
    """[(school id, students)] of one county: category, 41, the county's ordinal (3 digits),
    a number within the category (3 digits)."""
    if schools > 4000:
        raise SystemExit("bench_province: at most 4000 schools a county")
    out, counts = [], {}
    for i in range(schools):
        u, acc, cat = rng.random(), 0.0, CATEGORIES[-1][0]
        for code, share in CATEGORIES:
            acc += share
            if u < acc:
                cat = code
                break
        while counts.get(cat, 0) >= 1000:
            cat = CATEGORIES[(next(j for j, c in enumerate(CATEGORIES) if c[0] == cat) + 1)
                             % len(CATEGORIES)][0]
        n = counts.get(cat, 0)
        counts[cat] = n + 1
        students = max(1, int(round(size * (0.5 + rng.random()))))
        out.append(("%s41%03d%03d" % (cat, ordinal, n), students))
    return out


def vm_hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def province_counts(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    try:
        row = con.execute("SELECT coalesce(sum(students), 0), count(*) FROM summaries"
                          " WHERE reported = 1").fetchone()
    finally:
        con.close()
    return row[0], row[1]


def enroll_list(h, agg, lines, name):
    path = h.path(name)
    with open(path, "w") as f:
        f.write("".join("%s %s\n" % pair for pair in lines))
    h.run([rh.AGG, "enroll", "--db", agg.db, "--from", path], timeout=3600)


def build(h, args):
    """Initialises and enrolls the province, the cities and the counties; writes the sender's
    plan. Returns (province, cities, counties, plan path, students in all, schools in all)."""
    rng = random.Random(args.seed)
    province = rh.Aggregator(h, PROVINCE, "province")
    cities, counties, direct = {}, [], []
    picked = pick_counties(args.counties)
    for code, _, parent in picked:
        if parent != PROVINCE and parent not in cities:
            cities[parent] = rh.Aggregator(h, parent, "city", upstream=province)
    plan_path = h.path("plan.txt")
    total = n_schools = 0
    per_county = []
    for ordinal, (code, _, parent) in enumerate(picked):
        up = province if parent == PROVINCE else cities[parent]
        county = rh.Aggregator(h, code, "county", upstream=up)
        county.parent = up
        counties.append(county)
        per_county.append(["%s %s %d %s %s\n" % (sid, code, students, county.endpoint,
                                                  county.pubkey)
                           for sid, students in school_plan(ordinal, code, args.schools,
                                                            args.school_size, rng)])
        total += sum(int(line.split()[2]) for line in per_county[-1])
        n_schools += len(per_county[-1])
    # Round robin over the counties: the schools in flight at once are spread over them all.
    with open(plan_path, "w") as plan:
        for i in range(args.schools):
            for lines in per_county:
                plan.write(lines[i])
    enroll_list(h, province, [(c.id, c.pubkey) for c in cities.values()] +
                [(c.id, c.pubkey) for c in counties if c.parent is province], "enroll-41.txt")
    for city in cities.values():
        enroll_list(h, city, [(c.id, c.pubkey) for c in counties if c.parent is city],
                    "enroll-%s.txt" % city.id)
    keys = h.run([SCHOOLS, "keys", "--seed", str(args.seed), plan_path], timeout=3600).stdout
    by_county = {}
    with open(plan_path) as f:
        for plan_line, key_line in zip(f, keys.splitlines()):
            sid, code = plan_line.split()[:2]
            kid, key = key_line.split()
            if kid != sid:
                raise SystemExit("bench_province: keys out of order: %s for %s" % (kid, sid))
            by_county.setdefault(code, []).append((sid, key))
    for county in counties:
        enroll_list(h, county, by_county.get(county.id, []), "enroll-%s.txt" % county.id)
    return province, list(cities.values()), counties, plan_path, total, n_schools


def check_sample(h, counties, plan_path, seed, n=3):
    """The first school of up to n counties holds, at its county, exactly the students
    rollcall-gen writes for it (pseudonyms computed here, names, grades, classes) with the
    totals the harness's reference rules give: what the sender sent is what a school that
    imported rollcall-gen's CSV would have sent."""
    firsts = {}
    with open(plan_path) as f:
        for line in f:
            sid, code, students = line.split()[:3]
            firsts.setdefault(code, (sid, int(students)))
    for county in counties[:n]:
        sid, students = firsts[county.id]
        rows = rh.read_csv(h.gen_students(sid, county.id, students, seed))
        want = sorted((rh.pseudonym(r["student_id"]), r["name"], int(r["grade"]), r["class"])
                      for r in rows)
        con = sqlite3.connect("file:%s?mode=ro" % county.db, uri=True, timeout=30)
        try:
            got = sorted((bytes(pn), name, int(grade), klass) for pn, name, grade, klass in
                         con.execute("SELECT pseudonym, name, grade, class FROM students"
                                     " WHERE school_id = ?", (sid,)))
        finally:
            con.close()
        if got != want:
            raise SystemExit("bench_province: school %s at county %s holds %d students that "
                             "differ from rollcall-gen's %d" % (sid, county.id, len(got),
                                                                len(want)))
        report = county.report()
        if rh.comparable(rh.child(report, sid)["totals"]) != rh.comparable(rh.totals_of(rows)):
            raise SystemExit("bench_province: school %s's totals at county %s differ from the "
                             "reference totals of rollcall-gen's students" % (sid, county.id))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--counties", type=int, default=6)
    ap.add_argument("--schools", type=int, default=20, help="schools a county")
    ap.add_argument("--school-size", type=int, default=400, help="students a school, on average")
    ap.add_argument("--in-flight", type=int, default=64, help="schools the sender has open")
    ap.add_argument("--window", type=int, default=8, help="batches in flight a school")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.schools < 1 or args.school_size < 1:
        raise SystemExit("bench_province: --schools and --school-size must be at least 1")
    if not os.access(SCHOOLS, os.X_OK):
        raise SystemExit("bench_province: %s is missing (configure with -DROLLCALL_BENCH=ON)"
                         % SCHOOLS)
    h = rh.Harness("bench-province")
    h.env["ROLLCALL_LOG"] = "warn"
    sender = None
    try:
        t_prep = time.monotonic()
        province, cities, counties, plan_path, total, n_schools = build(h, args)
        for agg in [province] + cities + counties:
            agg.start()
        prep_s = time.monotonic() - t_prep
        print("bench_province: %d counties (%d direct), %d cities, %d schools, %d students "
              "(set up and enrolled in %.0f s, not timed); every first sync at once"
              % (len(counties), sum(1 for c in counties if c.parent is province), len(cities),
                 n_schools, total, prep_s), flush=True)
        t0 = time.monotonic()
        sender = subprocess.Popen([SCHOOLS, "send", "--seed", str(args.seed), "--in-flight",
                                   str(args.in_flight), "--window", str(args.window),
                                   "--timeout", str(WAIT_S), plan_path],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=h.env, cwd=h.dir)
        next_progress, poll_s = t0 + PROGRESS_S, 0.1 if total < 10**6 else 1.0
        while True:
            students, schools = province_counts(province.db)
            now = time.monotonic()
            if students == total:
                break
            if now > next_progress:
                print("  ... %.0f s: the province counts %d of %d students (%d schools), "
                      "%.0f students/s" % (now - t0, students, total, schools,
                                           students / (now - t0)), flush=True)
                next_progress = now + PROGRESS_S
            if now - t0 > WAIT_S:
                raise SystemExit("bench_province: the province counts %d of %d students after "
                                 "%d s" % (students, total, WAIT_S))
            if sender.poll() not in (None, 0):
                raise SystemExit("bench_province: rollcall-bench-schools exited %d: %s"
                                 % (sender.returncode, sender.stderr.read()[-2000:]))
            time.sleep(poll_s)
        took = time.monotonic() - t0
        out, err = sender.communicate(timeout=600)
        if sender.returncode != 0:
            raise SystemExit("bench_province: rollcall-bench-schools exited %d: %s"
                             % (sender.returncode, err[-2000:]))
        sent = json.loads(out)
        if sent["students"] != total:
            raise SystemExit("bench_province: the sender generated %d students, the plan has %d"
                             % (sent["students"], total))
        county_peak = max((vm_hwm_kib(c.proc.pid), c.id) for c in counties)
        city_peak = max([(vm_hwm_kib(c.proc.pid), c.id) for c in cities] or [(0, "-")])
        prov_peak = vm_hwm_kib(province.proc.pid)
        times = []
        for _ in range(3):
            report = h.run([rh.AGG, "report", "--db", province.db, "--format", "json"],
                           timeout=600)
            times.append(report.elapsed)
        got = json.loads(report.stdout)
        counted = got["totals"]["students"]
        if counted != total or got["completeness"]["expected"] != n_schools or \
                got["completeness"]["reported"] != n_schools:
            raise SystemExit("bench_province: the province reports %d students of %d schools "
                             "(%d reported), expected %d of %d"
                             % (counted, got["completeness"]["expected"],
                                got["completeness"]["reported"], total, n_schools))
        check_sample(h, counties, plan_path, args.seed)
        print("  day one: every student in the province's totals after %.1f s (%.0f students/s;"
              " %d schools, %d batches, %.1f MiB of envelopes, %d retries)"
              % (took, total / took, schools, sent["batches"], sent["bytes"] / 2**20,
                 sent["retries"]))
        print("  peak RSS: province %.1f MiB, largest county %.1f MiB (%s), largest city %.1f MiB"
              " (%s), sender %.1f MiB"
              % (prov_peak / 1024.0, county_peak[0] / 1024.0, county_peak[1],
                 city_peak[0] / 1024.0, city_peak[1], sent["max_rss_kib"] / 1024.0))
        times.sort()
        print("  province report --format json over %d schools: %.0f ms (median of 3; %d bytes)"
              % (n_schools, times[1] * 1000, len(report.stdout)))
        print("  disk: %.1f GiB of stores" % (sum(
            os.path.getsize(os.path.join(h.dir, f)) for f in os.listdir(h.dir)
            if ".db" in f) / 2**30))
    finally:
        if sender is not None and sender.poll() is None:
            sender.kill()
            sender.wait()
        h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
