"""Writes hostile ONNX inputs with the standard library only (a hand-rolled
protobuf encoder: no onnx/protobuf Python packages needed).

usage:
  mkmodel.py short-raw OUT            float[4] initializer 'w' whose raw_data
                                      holds 8 bytes (dims need 16): y = Add(x, w)
  mkmodel.py short-raw-fold OUT       the same 'w' feeding a foldable Neg:
                                      t = Neg(w), y = Add(x, t)
  mkmodel.py huge-raw OUT            float[2^62] initializer 'w' with empty
                                      raw_data (2^64 bytes wrap to 0): y = Add(x, w)
  mkmodel.py external OUT LOCATION [OFFSET [LENGTH]]
                                      float[4] initializer 'w' stored as external
                                      data at LOCATION: y = Add(x, w)
  mkmodel.py nested OUT LEVELS        binary model with LEVELS nested If subgraphs
  mkmodel.py nested-text OUT LEVELS   the same in textual form
  mkmodel.py many-text OUT NODES      a chain of NODES nodes in textual form
  mkmodel.py big-name OUT BYTES       text: the second of two nodes defining 'y'
                                      is named by BYTES 'a's
  mkmodel.py dims OUT D               text: float[1,D] x => Relu => float[1,D] y
  mkmodel.py op-type OUT OPTYPE       binary: y = <OPTYPE>(x); \\n escapes in OPTYPE expand
  mkmodel.py random OUT SIZE SEED     SIZE pseudo-random bytes (deterministic)
"""
import struct
import sys


def varint(v):
    if v < 0:
        v += 1 << 64
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire):
    return varint((field << 3) | wire)


def f_varint(field, v):
    return key(field, 0) + varint(v)


def f_bytes(field, data):
    if isinstance(data, str):
        data = data.encode()
    return key(field, 2) + varint(len(data)) + data


# onnx.proto field numbers.
def tensor_type(elem, dims):
    shape = b"".join(f_bytes(1, f_varint(1, d)) for d in dims)
    tt = f_varint(1, elem) + f_bytes(2, shape)
    return f_bytes(1, tt)  # TypeProto.tensor_type


def value_info(name, dims, elem=1):
    return f_bytes(1, name) + f_bytes(2, tensor_type(elem, dims))


def node(op, inputs, outputs, name="", attrs=()):
    out = b"".join(f_bytes(1, i) for i in inputs)
    out += b"".join(f_bytes(2, o) for o in outputs)
    if name:
        out += f_bytes(3, name)
    out += f_bytes(4, op)
    out += b"".join(f_bytes(5, a) for a in attrs)
    return out


def graph_attr(name, g):
    return f_bytes(1, name) + f_bytes(6, g) + f_varint(20, 5)  # type GRAPH


def graph(name, nodes, inputs, outputs, inits=()):
    out = b"".join(f_bytes(1, n) for n in nodes)
    out += f_bytes(2, name)
    out += b"".join(f_bytes(5, t) for t in inits)
    out += b"".join(f_bytes(11, v) for v in inputs)
    out += b"".join(f_bytes(12, v) for v in outputs)
    return out


def model(g, opset=14):
    return (f_varint(1, 8) + f_bytes(2, "hostile") + f_bytes(7, g) +
            f_bytes(8, f_bytes(1, "") + f_varint(2, opset)))


def add_model(w):
    g = graph("hostile", [node("Add", ["x", "w"], ["y"], "add")],
              [value_info("x", [4])], [value_info("y", [4])], [w])
    return model(g)


def write(path, data):
    mode = "w" if isinstance(data, str) else "wb"
    with open(path, mode) as f:
        f.write(data)


HEADER = '<ir_version: 8, opset_import: ["" : 14]>\n'


def nested_text(levels):
    # Written iteratively: the closing lines are pushed on a stack.
    lines = [HEADER + "nested (bool c, float[2] x) => (float[2] y)\n{"]
    closing = []
    out = "y"
    for level in range(levels):
        ind = "  " * (level + 1)
        sub = "o%d" % (level + 1)
        lines.append("%s%s = If (c) <else_branch = e%d () => (float[2] n%d) { n%d = Neg (x) },"
                     % (ind, out, level, level, level))
        lines.append("%s  then_branch = t%d () => (float[2] %s) {" % (ind, level, sub))
        closing.append("%s  }>" % ind)
        out = sub
    lines.append("%s%s = Relu (x)" % ("  " * (levels + 1), out))
    lines.extend(reversed(closing))
    lines.append("}")
    return "\n".join(lines) + "\n"


def nested_binary(levels):
    inner = graph("leaf", [node("Relu", ["x"], ["o%d" % levels])], [],
                  [value_info("o%d" % levels, [2])])
    for level in reversed(range(levels)):
        els = graph("e%d" % level, [node("Neg", ["x"], ["n%d" % level])], [],
                    [value_info("n%d" % level, [2])])
        out = "y" if level == 0 else "o%d" % level
        n = node("If", ["c"], [out], "", [graph_attr("then_branch", inner),
                                          graph_attr("else_branch", els)])
        if level == 0:
            return model(graph("nested", [n], [value_info("c", [], 9), value_info("x", [2])],
                               [value_info("y", [2])]))
        inner = graph("t%d" % level, [n], [], [value_info(out, [2])])
    return model(graph("nested", [node("Relu", ["x"], ["y"])], [value_info("x", [2])],
                       [value_info("y", [2])]))


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, out, args = argv[0], argv[1], argv[2:]
    if cmd == "short-raw":
        w = f_varint(1, 4) + f_varint(2, 1) + f_bytes(8, "w") + f_bytes(9, struct.pack("<2f", 1, 2))
        write(out, add_model(w))
    elif cmd == "short-raw-fold":
        w = f_varint(1, 4) + f_varint(2, 1) + f_bytes(8, "w") + f_bytes(9, struct.pack("<2f", 1, 2))
        g = graph("hostile", [node("Neg", ["w"], ["t"], "neg"), node("Add", ["x", "t"], ["y"], "add")],
                  [value_info("x", [4])], [value_info("y", [4])], [w])
        write(out, model(g))
    elif cmd == "huge-raw":
        w = f_varint(1, 1 << 62) + f_varint(2, 1) + f_bytes(8, "w") + f_bytes(9, b"")
        write(out, add_model(w))
    elif cmd == "external":
        entries = [("location", args[0])]
        if len(args) > 1:
            entries.append(("offset", args[1]))
        if len(args) > 2:
            entries.append(("length", args[2]))
        w = f_varint(1, 4) + f_varint(2, 1) + f_bytes(8, "w")
        w += b"".join(f_bytes(13, f_bytes(1, k) + f_bytes(2, v)) for k, v in entries)
        w += f_varint(14, 1)  # data_location = EXTERNAL
        write(out, add_model(w))
    elif cmd == "nested":
        write(out, nested_binary(int(args[0])))
    elif cmd == "nested-text":
        write(out, nested_text(int(args[0])))
    elif cmd == "many-text":
        n = int(args[0])
        parts = [HEADER, "many (float[2] x) => (float[2] v%d)\n{\n  v0 = Relu (x)\n" % (n - 1)]
        parts += ["  v%d = Neg (v%d)\n" % (i, i - 1) for i in range(1, n)]
        parts.append("}\n")
        write(out, "".join(parts))
    elif cmd == "big-name":
        write(out, HEADER + "big_name (float[2] x) => (float[2] y)\n{\n  y = Relu (x)\n"
              "  [%s] y = Neg (x)\n}\n" % ("a" * int(args[0])))
    elif cmd == "dims":
        d = args[0]
        write(out, HEADER + "dims (float[1,%s] x) => (float[1,%s] y)\n{\n  y = Relu (x)\n}\n"
              % (d, d))
    elif cmd == "op-type":
        g = graph("op_type", [node(args[0].encode().decode("unicode_escape"), ["x"], ["y"])], [value_info("x", [2])],
                  [value_info("y", [2])])
        write(out, model(g))
    elif cmd == "random":
        import random
        rng = random.Random(int(args[1]))
        write(out, bytes(rng.randrange(256) for _ in range(int(args[0]))))
    else:
        sys.exit("mkmodel.py: unknown command " + cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
