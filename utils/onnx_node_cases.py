#!/usr/bin/env python3
"""Writes ONNX's backend node test cases (model.onnx + test_data_set_N/) into a folder.

Debian's python3-onnx ships the case generators (onnx/backend/test/case/node)
but not the generated data. This runs the generators the way ONNX's
`backend-test-tools generate-data` does, node cases only:

    utils/onnx_node_cases.py OUT_DIR

writes OUT_DIR/<case name>/model.onnx and OUT_DIR/<case name>/test_data_set_N/
{input,output}_K.pb. Cases whose inputs or outputs are sequences, maps or
optionals keep their model but get no data set (the evaluator reads tensors
only); the folder then holds a file NON_TENSOR_DATA.

Exit codes: 0 written, 2 usage error or /usr/bin/python3 without onnx/numpy
(the message says which), 1 a generator failed.
"""
import os
import sys
import warnings


def _numpy_aliases(np):
    # ONNX 1.12's generators use np.float/np.int/np.bool/np.object, which
    # numpy >= 1.24 removed; they meant the builtins.
    for name, value in (("float", float), ("int", int), ("bool", bool),
                        ("object", object), ("str", str), ("complex", complex)):
        try:
            getattr(np, name)
        except AttributeError:
            setattr(np, name, value)


def main(argv):
    if len(argv) != 2:
        print("usage: onnx_node_cases.py OUT_DIR", file=sys.stderr)
        return 2
    out = argv[1]
    try:
        import numpy as np
        import onnx  # noqa: F401
    except ImportError as e:
        print(f"onnx_node_cases.py: python3 lacks onnx or numpy ({e})", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")
    _numpy_aliases(np)
    from onnx import numpy_helper
    import onnx.backend.test.case.node as node_test

    cases = node_test.collect_testcases(None)
    os.makedirs(out, exist_ok=True)
    for case in cases:
        case_dir = os.path.join(out, case.name)
        os.makedirs(case_dir, exist_ok=True)
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        graph = case.model.graph
        values = list(graph.input) + list(graph.output)
        if not all(v.type.HasField("tensor_type") for v in values):
            open(os.path.join(case_dir, "NON_TENSOR_DATA"), "w").close()
            continue
        for i, (inputs, outputs) in enumerate(case.data_sets):
            data_dir = os.path.join(case_dir, f"test_data_set_{i}")
            os.makedirs(data_dir, exist_ok=True)
            for kind, vals, infos in (("input", inputs, graph.input),
                                      ("output", outputs, graph.output)):
                for j, value in enumerate(vals):
                    tensor = numpy_helper.from_array(np.asarray(value), infos[j].name)
                    with open(os.path.join(data_dir, f"{kind}_{j}.pb"), "wb") as f:
                        f.write(tensor.SerializeToString())
    print(f"{len(cases)} node cases written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
