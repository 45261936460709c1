"""A model over 2 GB through paths: 2.5 GiB of Conv weights in a sparse
external-data file (holes, so a few KB on disk), lifted and pinned by the
module reading the model from its path. Lifting and pinning change dims
only, so no weight byte is read; the output is written as text, whose
external tensors stay references (no copy of the data)."""
import os
import tempfile
import unittest

import onnx
from onnx import TensorProto, helper

import onnx_h8_opt
from h8test import cli

LAYERS = 5
C = 1024
K = 128
T = 1000
LAYER_BYTES = C * C * K * 4  # 512 MiB


def write_model(folder):
    data = os.path.join(folder, "weights.bin")
    with open(data, "wb") as f:
        f.truncate(LAYERS * LAYER_BYTES)  # sparse: nothing written
    inits, nodes = [], []
    h = "x"
    for i in range(LAYERS):
        w = TensorProto()
        w.name = "w%d" % i
        w.data_type = TensorProto.FLOAT
        w.dims.extend([C, C, K])
        w.data_location = TensorProto.EXTERNAL
        for k, v in (("location", "weights.bin"), ("offset", str(i * LAYER_BYTES)),
                     ("length", str(LAYER_BYTES))):
            e = w.external_data.add()
            e.key, e.value = k, v
        inits.append(w)
        out = "y" if i == LAYERS - 1 else "h%d" % i
        nodes.append(helper.make_node("Conv", [h, w.name], [out], name="conv%d" % i,
                                      kernel_shape=[K]))
        h = out
    graph = helper.make_graph(
        nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, C, "time"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, C, None])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = os.path.join(folder, "big.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path, data


class Large(unittest.TestCase):
    def test_over_2gb_external_data_through_paths(self):
        with tempfile.TemporaryDirectory() as tmp:
            path, data = write_model(tmp)
            self.assertGreater(os.path.getsize(data), 2 ** 31)
            # Sparse: far fewer blocks than bytes.
            self.assertLess(os.stat(data).st_blocks * 512, 1 << 20)
            out = os.path.join(tmp, "lifted.onnxtext")
            flags = dict(pipeline="lift-conv1d", pin_shape="1,%d,1,%d" % (C, T))
            r = onnx_h8_opt.run(path, output=out, **flags)
            self.assertEqual(r.exit_code, 0, [d.text for d in r.errors()])
            self.assertIsNone(r.model)
            code, text, err = cli(r.args[:2] + [path, "--emit=text"])
            self.assertEqual(code, 0, err)
            with open(out, "rb") as f:
                written = f.read()
            self.assertEqual(written, text)
            # The weights stay references to the data file, with lifted dims.
            self.assertIn(b'float[1024,1024,1,128] w0 = external {"location": "weights.bin"',
                          written)
            self.assertIn(b"float[1,1024,1,365] y", written)
            # In memory: the model proto itself is small, its tensors external.
            r = onnx_h8_opt.run(path, **flags)
            self.assertEqual(r.exit_code, 0)
            m = r.model
            self.assertIsInstance(m, onnx.ModelProto)
            self.assertLess(len(r.model_bytes), 1 << 20)
            w0 = m.graph.initializer[0]
            self.assertEqual(list(w0.dims), [C, C, 1, K])
            self.assertEqual(w0.data_location, TensorProto.EXTERNAL)
            # The data file was never rewritten or filled in.
            self.assertLess(os.stat(data).st_blocks * 512, 1 << 20)
            self.assertEqual(sorted(os.listdir(tmp)), ["big.onnx", "lifted.onnxtext",
                                                       "weights.bin"])


if __name__ == "__main__":
    unittest.main()
