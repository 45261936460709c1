"""Checks the structure of a SARIF 2.1.0 log read from stdin.

usage: check_sarif.py MODEL_PATH

Exits 1 with a message on the first problem, else prints 'sarif ok' and a
line per result ('<level> <ruleId> <node or ->'). Checked: version "2.1.0"
and $schema; one run with tool.driver.name; unique rule ids, each with a
shortDescription; every result's ruleId names a rule (and ruleIndex, when
present, points at it); level is error, warning or note; message.text is
non-empty; locations[0] points at MODEL_PATH (a relative URI or file://,
repeated slashes written as one); logical locations have a name and kind
"function" or "object", and a fullyQualifiedName ending in the quoted
name; no URI path and no fullyQualifiedName holds '//'; fixes have a
description text and the artifactChanges SARIF requires.
"""
import json
import re
import sys
import urllib.parse


def fail(message):
    sys.exit("check_sarif.py: " + message)


def main(model):
    log = json.loads(sys.stdin.read())
    if log.get("version") != "2.1.0":
        fail("version is not 2.1.0")
    if not isinstance(log.get("$schema"), str) or "sarif" not in log["$schema"]:
        fail("no SARIF $schema")
    runs = log.get("runs")
    if not isinstance(runs, list) or len(runs) != 1:
        fail("expected exactly one run")
    driver = runs[0]["tool"]["driver"]
    if driver.get("name") != "onnx-h8-opt":
        fail("tool.driver.name is %r" % driver.get("name"))
    rules = driver.get("rules", [])
    ids = [r["id"] for r in rules]
    if len(set(ids)) != len(ids):
        fail("duplicate rule ids")
    for r in rules:
        if not r.get("shortDescription", {}).get("text"):
            fail("rule %s has no shortDescription" % r["id"])
    results = runs[0].get("results")
    if not isinstance(results, list) or not results:
        fail("no results")
    lines = []
    for res in results:
        rule = res.get("ruleId")
        if rule not in ids:
            fail("ruleId %r is not a rule" % rule)
        if "ruleIndex" in res and ids[res["ruleIndex"]] != rule:
            fail("ruleIndex of %r points at another rule" % rule)
        if res.get("level") not in ("error", "warning", "note"):
            fail("bad level %r" % res.get("level"))
        if not res.get("message", {}).get("text"):
            fail("result without message.text")
        loc = res.get("locations", [{}])[0]
        uri = loc.get("physicalLocation", {}).get("artifactLocation", {}).get("uri")
        path = urllib.parse.unquote(uri or "")
        if path.startswith("file://"):
            path = path[len("file://"):]
        if "//" in path:
            fail("URI %r has a double slash" % uri)
        if path != re.sub("/+", "/", model):
            fail("location %r is not the model %r" % (uri, model))
        node = "-"
        for logical in loc.get("logicalLocations", []):
            if not logical.get("name") or logical.get("kind") not in ("function", "object"):
                fail("bad logical location %r" % logical)
            node = logical["name"]
            qualified = logical.get("fullyQualifiedName")
            if qualified is not None and ("//" in qualified
                                          or not qualified.endswith("'%s'" % node)):
                fail("bad fullyQualifiedName %r of %r" % (qualified, node))
        for fix in res.get("fixes", []):
            if not fix.get("description", {}).get("text") or not fix.get("artifactChanges"):
                fail("bad fix %r" % fix)
            for change in fix["artifactChanges"]:
                if "//" in change.get("artifactLocation", {}).get("uri", "").replace(
                        "file:///", "/", 1):
                    fail("fix URI %r has a double slash" % change["artifactLocation"]["uri"])
        lines.append("%s %s %s" % (res["level"], rule, node))
    print("sarif ok")
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
