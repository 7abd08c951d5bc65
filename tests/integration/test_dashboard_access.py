"""Who may see the dashboard, and /metrics on a listener of its own.

A county with one school that synced generated students runs with --http and
--metrics on separate ports. Named tokens (token add) open the page, a wrong
one gets 401, and `token revoke` closes a token on the running server at once;
the log names the user and the lists the page showed (the list headings the
test reads from the page itself). `token list` shows names and dates, never a
token or the hash the store keeps. /metrics answers only on its listener, /
there is 404 as /metrics is on the dashboard's, and the metrics body holds no
student name or id and no school name from the test's rows. Last, the same
two listeners on the IPv6 loopback [::1], when the machine has one.
"""

import os
import re
import socket
import sqlite3
import sys
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_metrics import http_get, metric, parse_metrics  # noqa: E402

COUNTY, SCHOOL = "410109", "4101090001"
USERS = ("wang.li", "zhao_min")
# Headings of the page that are summaries, not lists of students or schools' entries.
SUMMARY_SECTIONS = {"totals", "attention", "units"}
LOCAL_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d{4}$")


def get_url(url, headers=None):
    """(status, body) of one GET; HTTP errors are answers, not exceptions."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def page_lists(html):
    """The list headings (<h2 id="h-KIND">) of a dashboard page, summaries left out, in order."""
    return [k for k in re.findall(r'<h2 id="h-([a-z-]+)">', html) if k not in SUMMARY_SECTIONS]


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class DashboardAccess(rh.RollcallTestCase):
    harness_name = "dashboard_access"

    @classmethod
    def build(cls):
        h = cls.h
        cls.county = rh.Aggregator(h, COUNTY, "county")
        cls.school = rh.School(h, SCHOOL, COUNTY, cls.county, name="访问测试第一小学")
        cls.county.enroll(cls.school)
        cls.county.start(http="127.0.0.1:0", metrics="127.0.0.1:0")
        cls.school.generate(25, 11)
        rh.sync_until_acked(h, [cls.school])
        cls.tokens = {u: h.run([rh.AGG, "token", "add", "--db", cls.county.db, "--name", u])
                      .stdout.strip() for u in USERS}

    def page(self, token, port=None):
        return http_get(port or self.county.http_port, "/",
                        headers={"Authorization": "Bearer " + token})

    def test_1_tokens_open_the_page_and_the_log_names_the_user(self):
        self.assertEqual(len(set(self.tokens.values())), len(USERS), "two users got one token")
        for user, token in self.tokens.items():
            status, _, body = self.page(token)
            self.assertEqual(status, 200, "%s's token was refused" % user)
            html = body.decode("utf-8")
            self.assertIn(SCHOOL, html)
            lists = page_lists(html)
            self.assertTrue(lists, "the county page shows no list")
            line = "http: dashboard viewed user=%s page=/ lists=%s" % (user, ",".join(lists))
            rh.wait_until(lambda: line in self.county.log(), 10, "the log line %r" % line)

    def test_2_wrong_token_is_401(self):
        good = self.tokens[USERS[0]]
        wrong = ("0" if good[0] != "0" else "1") + good[1:]
        for headers in ({"Authorization": "Bearer " + wrong}, {}):
            status, _, body = http_get(self.county.http_port, "/", headers=headers)
            self.assertEqual(status, 401, "GET / with %r" % headers)
            self.assertNotIn(SCHOOL.encode(), body)
        self.assertEqual(http_get(self.county.http_port, "/?token=" + wrong)[0], 401)

    def test_3_list_shows_names_and_dates_only(self):
        out = self.h.run([rh.AGG, "token", "list", "--db", self.county.db]).stdout
        lines = [ln.split("\t") for ln in out.splitlines()]
        self.assertEqual(sorted(f[0] for f in lines), sorted(USERS))
        for f in lines:
            self.assertEqual(len(f), 2, "token list line %r is not NAME<TAB>DATE" % f)
            self.assertRegex(f[1], LOCAL_TIME)
        con = sqlite3.connect("file:%s?mode=ro" % self.county.db, uri=True)
        try:
            stored = dict(con.execute(
                "SELECT substr(key, 12), CAST(value AS TEXT) FROM meta "
                "WHERE key LIKE 'user_token:%'").fetchall())
        finally:
            con.close()
        self.assertEqual(sorted(stored), sorted(USERS))
        for user, token in self.tokens.items():
            stored_hash = stored[user].split(" ")[0]
            self.assertNotIn(token, stored[user], "the store keeps %s's token itself" % user)
            self.assertNotIn(token, out)
            self.assertNotIn(stored_hash, out, "token list shows %s's hash" % user)

    def test_4_revoke_takes_effect_on_the_running_server(self):
        gone, kept = USERS
        self.assertEqual(self.page(self.tokens[gone])[0], 200)
        self.h.run([rh.AGG, "token", "revoke", "--db", self.county.db, "--name", gone])
        # The very next request, on the same server process, is refused.
        self.assertEqual(self.page(self.tokens[gone])[0], 401)
        self.assertIsNone(self.county.proc.poll(), "run stopped")
        self.assertEqual(self.page(self.tokens[kept])[0], 200, "revoking one closed another")
        out = self.h.run([rh.AGG, "token", "list", "--db", self.county.db]).stdout
        self.assertEqual([ln.split("\t")[0] for ln in out.splitlines()], [kept])

    def check_listeners(self, metrics_url, http_url, headers):
        """/metrics on its own listener, 404 for / there and for /metrics on the dashboard's."""
        status, body = get_url(metrics_url + "/metrics")
        self.assertEqual(status, 200)
        text = body.decode("utf-8")
        m = parse_metrics(text)
        info = [dict(labels) for name, labels in m if name == "rollcall_info"]
        self.assertEqual([(i["id"], i["tier"]) for i in info], [(COUNTY, "county")])
        self.assertEqual(metric(m, "rollcall_students"), len(self.school.rows))
        self.assertEqual(metric(m, "rollcall_schools_reported"), 1)
        self.assertEqual(get_url(metrics_url + "/", headers)[0], 404)
        self.assertEqual(get_url(http_url + "/metrics", headers)[0], 404)
        self.assertEqual(get_url(http_url + "/", headers)[0], 200)
        return text

    def test_5_metrics_on_its_own_listener(self):
        headers = {"Authorization": "Bearer " + self.tokens[USERS[1]]}
        text = self.check_listeners("http://127.0.0.1:%d" % self.county.metrics_port,
                                    "http://127.0.0.1:%d" % self.county.http_port, headers)
        self.assertNotIn(self.school.name, text)
        for row in self.school.rows:
            self.assertNotIn(row["student_id"], text)
            self.assertNotIn(row["name"], text)

    def test_6_ipv6_loopback(self):
        if not has_ipv6_loopback():
            self.skipTest("this machine has no IPv6 loopback (::1 cannot be bound): "
                          "the [::1] listeners are not checked")
        self.county.stop()
        self.county.start(http="[::1]:0", metrics="[::1]:0")
        headers = {"Authorization": "Bearer " + self.tokens[USERS[1]]}
        self.check_listeners("http://[::1]:%d" % self.county.metrics_port,
                             "http://[::1]:%d" % self.county.http_port, headers)
        # Bound to ::1 alone: nothing answers on the IPv4 loopback at those ports.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.county.metrics_port), timeout=5).close()


if __name__ == "__main__":
    rh.main()
