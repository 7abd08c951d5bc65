#!/usr/bin/env python3
"""bench_wire - bytes on the wire per student, against the CSV bytes of the same students.

A school of STUDENTS generated students syncs to a county through a counting TCP relay
(bench_relay.py): every byte of the TCP streams both ways is counted -- the CURVE
handshake, ZeroMQ framing, envelopes with their signatures, and the acks -- but not the
TCP/IP headers. Two syncs, each a fresh `rollcall-school sync`:

  first sync   every student, against the students CSV imported;
  1% change    one student in a hundred gets another participation (a CSV of just those
               rows is imported), against the bytes of that CSV.

After each sync the county's totals must equal those computed here from the CSV rows.
Target: wire bytes <= 0.5 x CSV bytes. Not a test: prints its figures and the target.

  python3 tests/bench/bench_wire.py [--students N]
Environment: ROLLCALL_BIN (folder with the programs), as for the integration tests.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import rollcall_harness as rh  # noqa: E402
from bench_relay import CountingRelay  # noqa: E402

TARGET_RATIO = 0.5


def synced_through_relay(h, county, school, relay, csv_path, students):
    relay.reset()
    school.import_csv(csv_path)
    school.sync(timeout=120)
    up, down, conns = relay.counts()
    got = rh.comparable(county.report()["totals"])
    if got != rh.comparable(school.totals()):
        raise SystemExit("bench_wire: the county's totals differ from the CSV's after the sync")
    csv_bytes = os.path.getsize(csv_path)
    return {"up": up, "down": down, "conns": conns, "csv": csv_bytes, "students": students}


def describe(label, r):
    wire = r["up"] + r["down"]
    ratio = wire / float(r["csv"])
    print("  %-11s %6.1f B/student on the wire (%d up + %d down, %d connection%s) vs CSV "
          "%6.1f B/student: %.2f x  %s"
          % (label, wire / float(r["students"]), r["up"], r["down"], r["conns"],
             "" if r["conns"] == 1 else "s", r["csv"] / float(r["students"]), ratio,
             "MET" if ratio <= TARGET_RATIO else "NOT MET"))
    return ratio


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=2000)
    args = ap.parse_args()
    h = rh.Harness("bench-wire")
    relay = None
    try:
        county = rh.Aggregator(h, "410102", "county").start()
        relay = CountingRelay(h.free_port(), county.port)
        school = rh.School(h, "4101020001", county.id, county,
                           endpoint="tcp://127.0.0.1:%d" % relay.port)
        county.enroll(school)
        first_csv = h.gen_students(school.id, county.id, args.students, 1)
        rows = rh.read_csv(first_csv)
        first = synced_through_relay(h, county, school, relay, first_csv, len(rows))
        changed = []
        for i, row in enumerate(rows):
            if i % 100 == 0:
                p = "irregular" if rh.participation(row) != "irregular" else "active"
                changed.append(dict(row, participation=p))
        change_csv = h.path("change.csv")
        rh.write_csv(change_csv, changed)
        change = synced_through_relay(h, county, school, relay, change_csv, len(changed))
        print("bench_wire: one school of %d students, every TCP byte both ways counted "
              "(target <= %.1f x the CSV's bytes)" % (len(rows), TARGET_RATIO))
        describe("first sync", first)
        describe("1% change", change)
    finally:
        if relay is not None:
            relay.close()
        h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
