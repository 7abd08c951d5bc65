"""Every option of rollcall-agg's commands is a configuration key, or on a short list.

The commands come from `rollcall-agg --help`, each one's options from its own
--help. Each option that is not on COMMAND_LINE_ONLY (with why) is accepted by
the configuration file: a file holding it with a value no check accepts gets an
answer that names the file's line and the key, or none, but never "unknown
key" (the test shows that a made-up key gets exactly that). Then `run` takes
every one of its options from the file alone (no option but --config on its
command line): it serves the dashboard over HTTPS on the file's http address
and /metrics on its metrics address, as the file's db.
"""

import os
import re
import ssl
import sys
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_http_tls import make_cert  # noqa: E402
from test_metrics import http_get, parse_metrics  # noqa: E402

# Options that say what one call acts on or prints: a value in the shared file would apply to
# every call of every command that has the option.
COMMAND_LINE_ONLY = {
    "config": "names the file itself",
    "source": "the school or unit one enroll or revoke acts on",
    "key": "the public key of the one source being enrolled",
    "from": "the list of sources one enroll enrolls",
    "name": "a school's name at enroll, or a person's token: one each",
    "expect": "the head count of the one source being enrolled",
    "release-schools": "releases one revoked county's schools, once",
    "deadline": "kept in the store (deadline --set); a key would hide the stored one",
    "set": "changes the stored deadline, once",
    "clear": "removes the stored deadline, once",
    "format": "how one call prints; report and list take different formats",
    "json": "how one call prints",
    "lang": "the language of one printout (Chinese unless asked)",
    "school": "narrows one listing to a school",
    "out": "each backup names its own file",
    "per-school": "the CSV file one report writes",
    "force": "overwrites that one file",
    "new": "replaces the operator token: from a file, every call would",
    "help": "prints the help",
}
COUNTY = "410112"


def commands():
    """The commands `rollcall-agg --help` lists, and the options it names (--config...)."""
    out = rh.subprocess.run([rh.AGG, "--help"], capture_output=True, text=True).stdout
    names = re.findall(r"^  ([a-z][a-z-]+) +(?:--|add\|)", out, re.M)
    if len(names) < 10:
        raise AssertionError("rollcall-agg --help lists only %r:\n%s" % (names, out))
    return names, set(re.findall(r"--([a-z][a-z-]*[a-z])", out))


def options(cmd):
    p = rh.subprocess.run([rh.AGG, cmd, "--help"], capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError("rollcall-agg %s --help exited %d" % (cmd, p.returncode))
    return set(re.findall(r"--([a-z][a-z-]*[a-z])", p.stdout))


class ConfigKeys(rh.RollcallTestCase):
    harness_name = "config_keys"

    def conf(self, text, name="agg.conf"):
        path = self.h.path(name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_1_every_option_is_a_key_or_listed(self):
        by_option = {}
        names, every = commands()
        for opt in every:
            by_option[opt] = ["every command"]
        for cmd in names:
            for opt in options(cmd):
                by_option.setdefault(opt, []).append(cmd)
        self.assertIn("run", by_option.get("http", []), "run --help has no --http")
        unknown = self.h.path("no-store.db")
        made_up = self.conf("no-such-option = 1\n", "made-up.conf")
        p = self.h.run([rh.AGG, "status", "--config", made_up, "--db", unknown], expect=None)
        self.assertIn("%s:1: unknown key 'no-such-option'" % made_up, p.stderr)
        keys = sorted(o for o in by_option if o not in COMMAND_LINE_ONLY)
        for opt in keys:
            path = self.conf("%s = @not-a-value@\n" % opt, "key-%s.conf" % opt)
            p = self.h.run([rh.AGG, "status", "--config", path, "--db", unknown], expect=None)
            self.assertNotIn("unknown key", p.stderr,
                             "--%s (of %s) is no configuration key and not on the list"
                             % (opt, ", ".join(by_option[opt])))
            if "%s:1:" % path in p.stderr:
                self.assertIn(opt, p.stderr, "the refusal of the value does not name the key")
        # The list holds options that exist (a stale entry hides nothing, but misleads).
        stale = sorted(set(COMMAND_LINE_ONLY) - set(by_option))
        self.assertEqual(stale, [], "COMMAND_LINE_ONLY names options no command has")

    def test_2_run_takes_all_its_options_from_the_file(self):
        h = self.h
        self.assertEqual(options("run") - {"help"}, {"db", "http", "metrics", "tls-cert",
                                                      "tls-key"})
        cert, key = make_cert(h)
        county = rh.Aggregator(h, COUNTY, "county")
        school = rh.School(h, COUNTY + "0001", COUNTY, county)
        county.enroll(school)
        token = h.run([rh.AGG, "token", "add", "--db", county.db, "--name", "chen"]).stdout.strip()
        http, metrics = h.reserve_port(), h.reserve_port()
        path = self.conf("db = %s\nhttp = 127.0.0.1:%d\nmetrics = 127.0.0.1:%d\n"
                         "tls-cert = %s\ntls-key = %s\n" % (county.db, http, metrics, cert, key),
                         "run.conf")
        label = "agg-%s" % COUNTY
        proc = h.start(label, [rh.AGG, "run", "--config", path])
        bound = h.wait_listen_file(label, proc, h.path("%s.log" % label), county.db)
        self.assertEqual(bound.get("http"), "127.0.0.1:%d" % http)
        self.assertEqual(bound.get("metrics"), "127.0.0.1:%d" % metrics)
        ctx = ssl.create_default_context(cafile=cert)
        with urllib.request.urlopen("https://127.0.0.1:%d/?token=%s" % (http, token),
                                    context=ctx, timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertIn(school.id, r.read().decode("utf-8"))
        status, _, body = http_get(metrics, "/metrics")
        self.assertEqual(status, 200)
        m = parse_metrics(body.decode("utf-8"))
        self.assertEqual(m[("rollcall_sources_enrolled", frozenset())], 1)
        h.stop(proc)


if __name__ == "__main__":
    rh.main()
