"""Writes a float32 NCHW .npy (stdlib only) whose value at (n,c,h,w) is
c*1000 + h*100 + w + n*10000, and checks an NHWC file made from it.

  calib-nchw.py write OUT.npy N C H W
  calib-nchw.py check NHWC.npy N C H W
"""
import struct
import sys


def header(shape):
    h = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(map(str, shape))
    pad = (64 - (10 + len(h) + 1) % 64) % 64
    h = h + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode()


def value(n, c, h, w):
    return c * 1000 + h * 100 + w + n * 10000


mode, path = sys.argv[1], sys.argv[2]
N, C, H, W = map(int, sys.argv[3:7])
if mode == "write":
    data = [value(n, c, h, w) for n in range(N) for c in range(C) for h in range(H) for w in range(W)]
    open(path, "wb").write(header((N, C, H, W)) + struct.pack("<%df" % len(data), *data))
else:
    raw = open(path, "rb").read()
    hlen = struct.unpack("<H", raw[8:10])[0]
    text = raw[10:10 + hlen].decode()
    expect = "'shape': (%d, %d, %d, %d)" % (N, H, W, C)
    if expect not in text:
        sys.exit("bad header: %s" % text)
    vals = struct.unpack("<%df" % (N * C * H * W), raw[10 + hlen:])
    i = 0
    for n in range(N):
        for h in range(H):
            for w in range(W):
                for c in range(C):
                    if vals[i] != value(n, c, h, w):
                        sys.exit("mismatch at n=%d h=%d w=%d c=%d: %r" % (n, h, w, c, vals[i]))
                    i += 1
    print("NHWC ok", N, H, W, C)
