"""Writes a textual model: x -> Conv -> (Relu, Neg) x N -> Softmax -> y,
named like a PyTorch export ('/blocks.K/act/Relu').

usage: chain.py N OUT.onnxtext
"""
import sys

n, out = int(sys.argv[1]), sys.argv[2]
lines = ['<ir_version: 8, opset_import: ["" : 13]>',
         'chain (float[1,2,1,8] x) => (float[1,2,1,8] y)',
         '  <float[2,2,1,1] w = {1, 0, 0, 1}>',
         '{',
         '  ["/stem/Conv"] t0 = Conv <kernel_shape = [1, 1]> (x, w)']
prev = "t0"
for k in range(n):
    lines.append('  ["/blocks.%d/act/Relu"] r%d = Relu (%s)' % (k, k, prev))
    lines.append('  ["/blocks.%d/Neg"] n%d = Neg (r%d)' % (k, k, k))
    prev = "n%d" % k
lines.append('  ["/head/Softmax"] y = Softmax <axis = 1> (%s)' % prev)
lines.append('}')
open(out, "w").write("\n".join(lines) + "\n")
