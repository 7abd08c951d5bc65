#!/usr/bin/env python3
"""bench_slowlink - a school's first sync over a slow, lossy link, against the bytes alone.

A school of STUDENTS generated students makes its first sync (`rollcall-school sync`) to a
county through rollcall-faultproxy set to a rural link: RATE bits per second in each
direction, DELAY_MS each way (twice that is the round trip) and LOSS of the messages lost.
The proxy loses whole ZeroMQ messages (a batch or an ack), which only the sync protocol's
time-outs and resends recover; no kernel shaping (netem) is needed.

Baseline, in the same run: a twin school (same size and seed, another id) makes its first
sync through a counting TCP relay with no faults; its upstream bytes, CURVE and framing
included, divided by the rate, are the time the bytes alone need at that rate.
Each of RUNS runs draws its losses from another seed. Target: the median sync time
<= 1.3 x that. The county's totals must equal the CSV's after it.

  python3 tests/bench/bench_slowlink.py [--students N] [--rate-bps BITS] [--delay-ms N]
                                        [--loss P] [--runs N] [--seed N]
Environment: ROLLCALL_BIN (folder with the programs), as for the integration tests.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import rollcall_harness as rh  # noqa: E402
from bench_relay import CountingRelay  # noqa: E402

PROXY = os.path.join(rh.BIN, "rollcall-faultproxy")
TARGET_RATIO = 1.3


def first_sync(h, county, args, rate_bytes, run, seed, synced):
    """One school's first sync through the proxy. Returns (seconds, what the proxy lost)."""
    proxy_port = h.free_port()
    school = rh.School(h, "41010201%02d" % run, county.id, county,
                       endpoint="tcp://127.0.0.1:%d" % proxy_port)
    county.enroll(school)
    school.import_csv(h.gen_students(school.id, county.id, args.students, 1))
    label = "proxy-%d" % run
    proxy = h.start(label, [PROXY, "--listen", "tcp://127.0.0.1:%d" % proxy_port,
                            "--upstream", county.endpoint, "--upstream-db", county.db,
                            "--client-db", school.db, "--rate-bps", str(rate_bytes),
                            "--delay-ms", str(args.delay_ms), "--drop", str(args.loss),
                            "--seed", str(seed)], port=proxy_port)
    t0 = time.monotonic()
    school.sync(timeout=1800)
    took = time.monotonic() - t0
    synced.extend(school.rows)
    if rh.comparable(county.report()["totals"]) != rh.comparable(rh.totals_of(synced)):
        raise SystemExit("bench_slowlink: the county's totals differ from the CSVs' after "
                         "the sync")
    h.stop(proxy)
    with open(h.path("%s.log" % label), encoding="utf-8", errors="replace") as f:
        counters = [ln for ln in f.read().splitlines() if ln.startswith("{")]
    if not counters:
        return took, "no counters from the proxy"
    c = json.loads(counters[-1])
    return took, "%d of %d batches/probes and %d of %d acks lost" % (
        c["requests"]["dropped"], c["requests"]["received"], c["replies"]["dropped"],
        c["replies"]["received"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=2000)
    ap.add_argument("--rate-bps", type=int, default=64000, help="bits per second")
    ap.add_argument("--delay-ms", type=int, default=300, help="one way")
    ap.add_argument("--loss", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1, help="of the first run's losses")
    ap.add_argument("--runs", type=int, default=3, help="each with the next seed")
    args = ap.parse_args()
    rate_bytes = args.rate_bps // 8
    h = rh.Harness("bench-slowlink")
    relay = None
    try:
        county = rh.Aggregator(h, "410102", "county").start()
        relay = CountingRelay(h.free_port(), county.port)
        twin = rh.School(h, "4101020002", county.id, county,
                         endpoint="tcp://127.0.0.1:%d" % relay.port)
        county.enroll(twin)
        twin.import_csv(h.gen_students(twin.id, county.id, args.students, 1))
        twin.sync(timeout=120)
        up, down, _ = relay.counts()
        relay.close()
        relay = None
        baseline_s = up / float(rate_bytes)

        print("bench_slowlink: first sync of %d students over %d kbit/s, %d ms round trip, "
              "%.0f%% of messages lost (target <= %.1f x the bytes' own time)"
              % (args.students, args.rate_bps // 1000, 2 * args.delay_ms, args.loss * 100,
                 TARGET_RATIO))
        print("  the bytes alone need %.1f s (%d bytes up at %d B/s, %d down)"
              % (baseline_s, up, rate_bytes, down))
        ratios, synced = [], list(twin.rows)
        for run in range(args.runs):
            seed = args.seed + run
            took, lost = first_sync(h, county, args, rate_bytes, run, seed, synced)
            ratios.append(took / baseline_s)
            print("  seed %-3d sync took %6.1f s: %.2f x  (%s)"
                  % (seed, took, took / baseline_s, lost))
        ratios.sort()
        print("  median %.2f x, worst %.2f x over %d runs: %s"
              % (ratios[len(ratios) // 2], ratios[-1], len(ratios),
                 "MET" if ratios[len(ratios) // 2] <= TARGET_RATIO else "NOT MET"))
    finally:
        if relay is not None:
            relay.close()
        h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
