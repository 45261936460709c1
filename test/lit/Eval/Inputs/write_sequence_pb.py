"""Writes a serialized onnx SequenceProto or OptionalProto by hand (no onnx
package needed): name, elem_type TENSOR and one float tensor [1.0, 2.0].

usage: write_sequence_pb.py sequence|optional OUT.pb
"""
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, wire, payload):
    tag = varint(number << 3 | wire)
    if wire == 0:
        return tag + varint(payload)
    return tag + varint(len(payload)) + payload


# TensorProto: dims [2] (1), data_type FLOAT (2), raw_data (9).
tensor = field(1, 0, 2) + field(2, 0, 1) + field(9, 2, struct.pack("<2f", 1.0, 2.0))
kind, path = sys.argv[1], sys.argv[2]
# SequenceProto and OptionalProto alike: name (1), elem_type TENSOR (2),
# tensor_values / tensor_value (3).
message = field(1, 2, b"output_0") + field(2, 0, 1) + field(3, 2, tensor)
if kind == "sequence":
    message += field(3, 2, tensor)
with open(path, "wb") as f:
    f.write(message)
