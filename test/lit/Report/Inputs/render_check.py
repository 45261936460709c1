"""Renders a report to PNG with utils/render_report.sh (headless Chromium)
and checks the picture is not blank, with a stdlib-only PNG decoder.

usage: render_check.py RENDER_SCRIPT REPORT.html OUT.png WIDTHxHEIGHT
                       [--min-colours N] [--colour R,G,B]...

Skips (prints 'skipped: ...', exits 0) when chromium is not installed: the
render script would install it (~100 MB), which tests must not do.
--min-colours N  at least N distinct colours (default 16).
--colour R,G,B   a pixel of exactly this colour exists (a node's fill).
"""
import shutil
import struct
import subprocess
import sys
import zlib


def decode_png(data):
    """Returns (width, height, channels, rows) for 8-bit RGB/RGBA PNGs."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if zlib.crc32(kind + body) & 0xffffffff != struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]:
            raise ValueError("bad CRC in %r" % kind)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace != 0:
        raise ValueError("unsupported PNG: depth %d colour type %d interlace %d" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xff
        elif f == 2:
            line = bytearray((a + b) & 0xff for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xff
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xff
        elif f != 0:
            raise ValueError("bad filter %d" % f)
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    script, report, png, size = argv[:4]
    rest = argv[4:]
    min_colours, colours = 16, []
    while rest:
        opt = rest.pop(0)
        if opt == "--min-colours":
            min_colours = int(rest.pop(0))
        elif opt == "--colour":
            colours.append(tuple(int(v) for v in rest.pop(0).split(",")))
        else:
            sys.exit("unknown option " + opt)
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        print("skipped: chromium is not installed")
        return 0
    proc = subprocess.run(["sh", script, report, png, size], stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.stderr.write("%s exited %d:\n%s" % (script, proc.returncode, proc.stderr))
        return 1
    width, height, bpp, rows = decode_png(open(png, "rb").read())
    seen = set()
    for row in rows:
        for i in range(0, len(row), bpp):
            seen.add(row[i:i + 3])
    errors = []
    want_w, want_h = (int(v) for v in size.split("x"))
    if (width, height) != (want_w, want_h):
        errors.append("PNG is %dx%d, not %s" % (width, height, size))
    if len(seen) < min_colours:
        errors.append("only %d distinct colours (blank page?)" % len(seen))
    for c in colours:
        if bytes(c) not in seen:
            errors.append("no pixel of colour %r" % (c,))
    for e in errors:
        sys.stderr.write("render_check.py: %s\n" % e)
    if not errors:
        print("ok: %dx%d, %d colours" % (width, height, len(seen)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
