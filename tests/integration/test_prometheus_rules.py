"""ops/prometheus/rollcall-rules.yml: the shipped alerts are valid, tested, and name real metrics.

`promtool check rules` accepts the file and `promtool test rules` runs its cases
(rollcall-rules.test.yml: series that must fire each alert, and series beside
them that must not). Every alert of the rules has a case there. Every rollcall_
metric an alert reads is one that a county's `run --metrics` really serves (the
test scrapes one, upstream configured, and reads the names off /metrics); the
others are Prometheus' own `up` and node_exporter's filesystem gauge. Exits 77
when promtool is not installed (Debian package prometheus; ops/test installs it).
"""

import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_metrics import http_get, parse_metrics  # noqa: E402

RULES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "ops",
                         "prometheus")
RULES = os.path.join(RULES_DIR, "rollcall-rules.yml")
CASES = os.path.join(RULES_DIR, "rollcall-rules.test.yml")
PROMTOOL = shutil.which("promtool")
# Read by alerts, exported by others than rollcall-agg.
FOREIGN = {"up", "node_filesystem_avail_bytes"}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def alerts_and_exprs(text):
    """[(alert name, expr)] of a rules file, in order (each rule is `- alert:` then `expr:`)."""
    return re.findall(r"^\s*- alert: (\w+)\s*\n\s*expr: (.+)$", text, re.M)


def metric_names(expr):
    """Metric names in a PromQL expression: identifiers not inside braces, quotes or [range],
    nor functions, keywords or numbers."""
    bare = re.sub(r'\{[^}]*\}|\[[^\]]*\]|"[^"]*"', " ", expr)
    words = re.findall(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\(?)", bare)
    return {w for w, call in words
            if not call and w not in ("and", "or", "unless", "on", "by", "without")}


class PrometheusRules(rh.RollcallTestCase):
    harness_name = "prometheus_rules"

    @classmethod
    def build(cls):
        h = cls.h
        prov = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, "410111", "county", upstream=prov)
        cls.county.start(metrics="127.0.0.1:0", http="off")

    def test_1_promtool_check_rules(self):
        p = self.h.run([PROMTOOL, "check", "rules", RULES])
        n = len(alerts_and_exprs(read(RULES)))
        self.assertGreater(n, 0, "no alert found in %s" % RULES)
        self.assertIn("SUCCESS: %d rules found" % n, p.stdout + p.stderr)

    def test_2_promtool_test_rules(self):
        # promtool reads rule_files relative to the test file's folder.
        p = self.h.run([PROMTOOL, "test", "rules", CASES])
        self.assertIn("SUCCESS", p.stdout + p.stderr)

    def test_3_every_alert_has_a_case(self):
        cases = set(re.findall(r"^\s*alertname: (\w+)\s*$", read(CASES), re.M))
        names = [a for a, _ in alerts_and_exprs(read(RULES))]
        self.assertEqual(len(names), len(set(names)), "an alert name twice")
        self.assertEqual(sorted(set(names) - cases), [], "alerts without a promtool case")

    def test_4_alerts_read_metrics_run_exports(self):
        status, _, body = http_get(self.county.metrics_port, "/metrics")
        self.assertEqual(status, 200)
        served = {name for name, _ in parse_metrics(body.decode("utf-8"))}
        self.assertIn("rollcall_upstream_lag_seconds", served, "the county has an upstream")
        read_by_alerts = set()
        for alert, expr in alerts_and_exprs(read(RULES)):
            names = metric_names(expr)
            self.assertTrue(names, "alert %s reads no metric: %s" % (alert, expr))
            unknown = sorted(names - served - FOREIGN)
            self.assertEqual(unknown, [], "alert %s reads what run does not serve" % alert)
            read_by_alerts |= names
        self.assertTrue(read_by_alerts & served)


if __name__ == "__main__":
    if PROMTOOL is None:
        print("skipped: promtool is not installed (apt-get install prometheus; ops/test "
              "installs it)", file=sys.stderr)
        sys.exit(77)
    rh.main()
