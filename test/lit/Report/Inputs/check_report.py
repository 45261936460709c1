"""Checks an onnx-h8-opt HTML report (--report) with Python's html.parser.

usage: check_report.py REPORT.html [--lint OP:NODE]... [--svg-fill COLOUR]
                       [--no-dot] [--contains TEXT]...

Always: the file parses, and nothing in it loads from elsewhere: no
<script src>, <link>, <iframe>, <img>/<object>/<embed> of a remote URL, no
src/href/xlink:href/action attribute naming http(s)://, //host or
data-less remote URLs, no @import or url(http...) in styles.
--lint OP:NODE   the lint table has a row for node NODE with op OP.
--svg-fill C     when Graphviz `dot` is installed: an inline <svg> has a shape
                 filled with colour C; without dot, the DOT text is embedded
                 in a <pre> instead (and the report says so).
--no-dot         the report was made without dot: no <svg>, a <pre class=dot>.
--contains TEXT  TEXT appears in the document's text.
"""
import html.parser
import re
import shutil
import sys


class Parser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.errors = []
        self.stack = []
        self.lint_rows = []  # [cell texts] of table.lint rows
        self.in_lint = False
        self.row = None
        self.cell = None
        self.svg_fills = set()
        self.svgs = 0
        self.pre_dot = 0
        self.text = []
        self.style = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key, value in attrs:
            v = (value or "").strip().lower()
            if key in ("src", "href", "xlink:href", "action", "srcset", "poster", "data") and \
                    (v.startswith("http:") or v.startswith("https:") or v.startswith("//") or
                     v.startswith("ftp:")):
                self.errors.append("external resource: <%s %s=%r>" % (tag, key, value))
        if tag == "script" and "src" in a:
            self.errors.append("external script")
        if tag == "link":
            self.errors.append("<link> element: %r" % (attrs,))
        if tag in ("iframe", "embed", "object"):
            self.errors.append("<%s> element" % tag)
        if tag == "table" and "lint" in (a.get("class") or "").split():
            self.in_lint = True
        if self.in_lint and tag == "tr":
            self.row = []
        if self.in_lint and tag in ("td", "th") and self.row is not None:
            self.cell = []
        if tag == "svg":
            self.svgs += 1
        if self.svgs and a.get("fill"):
            self.svg_fills.add(a["fill"].lower())
        if tag == "pre" and a.get("class") == "dot":
            self.pre_dot += 1
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if self.in_lint and tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        if self.in_lint and tag == "tr" and self.row is not None:
            self.lint_rows.append(self.row)
            self.row = None
        if tag == "table":
            self.in_lint = False
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.stack and self.stack[-1] == "style":
            self.style.append(data)
        self.text.append(data)


def main(argv):
    if not argv:
        sys.exit(__doc__)
    path = argv.pop(0)
    lint, fills, contains, no_dot = [], [], [], False
    while argv:
        opt = argv.pop(0)
        if opt == "--lint":
            lint.append(argv.pop(0).split(":", 1))
        elif opt == "--svg-fill":
            fills.append(argv.pop(0).lower())
        elif opt == "--contains":
            contains.append(argv.pop(0))
        elif opt == "--no-dot":
            no_dot = True
        else:
            sys.exit("unknown option " + opt)
    doc = open(path, encoding="utf-8").read()
    p = Parser()
    p.feed(doc)
    p.close()
    errors = list(p.errors)
    if not doc.startswith("<!DOCTYPE html>"):
        errors.append("no <!DOCTYPE html>")
    style = "".join(p.style)
    if re.search(r"@import|url\(\s*['\"]?(https?:|//)", style):
        errors.append("style loads external resources")
    for op, node in lint:
        if not any(len(r) >= 3 and r[1] == node and r[2] == op for r in p.lint_rows):
            errors.append("lint table has no row for %s (%s); rows: %r" % (node, op, p.lint_rows))
    text = "".join(p.text)
    for t in contains:
        if t not in text:
            errors.append("text %r not found" % t)
    if no_dot:
        if p.svgs or not p.pre_dot or "dot' is not on PATH" not in text:
            errors.append("expected the DOT fallback: svgs=%d pre=%d" % (p.svgs, p.pre_dot))
    elif fills:
        if shutil.which("dot") is None:
            if not p.pre_dot:
                errors.append("dot is missing but the report embeds no DOT text")
            else:
                print("note: Graphviz dot not installed; SVG checks skipped")
        else:
            if not p.svgs:
                errors.append("no inline <svg>")
            for f in fills:
                if f not in p.svg_fills:
                    errors.append("no SVG shape filled %s; fills: %s" % (f, sorted(p.svg_fills)))
    for e in errors:
        sys.stderr.write("check_report.py: %s: %s\n" % (path, e))
    if not errors:
        print("ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
