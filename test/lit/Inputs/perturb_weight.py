"""Changes one value of one initializer in a textual model (test helper).

Usage: perturb_weight.py IN.onnxtext OUT.onnxtext INITIALIZER DELTA
Adds DELTA to the first element of INITIALIZER; fails if it is not found.
"""
import re
import sys

src, dst, name, delta = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
text = open(src).read()
pattern = re.compile(r'(\] ' + re.escape(name) + r' = \{)([^,}]+)')
match = pattern.search(text)
if not match:
    sys.exit("initializer %s not found" % name)
value = float(match.group(2)) + delta
text = text[:match.start(2)] + repr(value) + text[match.end(2):]
open(dst, "w").write(text)
