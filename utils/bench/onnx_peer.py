#!/usr/bin/env python3
"""The onnx-Python peer of `onnx-h8-opt --pin-shape`, timed by run.sh.

    onnx_peer.py IN.onnx OUT.onnx D0,D1,...

What a user without onnx-h8-opt writes to pin a model's only input: onnx's
update_inputs_outputs_dims (outputs keep their declared dims), then
infer_shapes, check_model and save. Runs with Debian's python3-onnx.
"""
import sys

import onnx
from onnx import shape_inference
from onnx.tools import update_model_dims


def declared(value):
    dims = []
    for d in value.type.tensor_type.shape.dim:
        dims.append(d.dim_value if d.HasField("dim_value") else (d.dim_param or -1))
    return dims


def main():
    src, dst, spec = sys.argv[1:4]
    model = onnx.load(src)
    inits = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if len(inputs) != 1:
        sys.exit(f"{src}: expected one runtime input, found {len(inputs)}")
    pins = {inputs[0].name: [int(x) for x in spec.split(",")]}
    outs = {o.name: declared(o) for o in model.graph.output}
    model = update_model_dims.update_inputs_outputs_dims(model, pins, outs)
    model = shape_inference.infer_shapes(model)
    onnx.checker.check_model(model)
    onnx.save(model, dst)


if __name__ == "__main__":
    main()
