"""Writes a 1-D float TensorProto (dims, data_type FLOAT, raw_data) by hand,
no onnx or numpy package needed. Fewer than 16 values (every varint here is
one byte).

usage: write_float_pb.py OUT.pb V0 V1 ...
"""
import struct
import sys

values = [float(v) for v in sys.argv[2:]]
assert len(values) < 16
raw = struct.pack("<%df" % len(values), *values)
# field 1 (dims, varint), field 2 (data_type, varint) = FLOAT, field 9
# (raw_data, length-delimited).
tensor = bytes([0x08, len(values), 0x10, 1, 0x4A, len(raw)]) + raw
with open(sys.argv[1], "wb") as f:
    f.write(tensor)
