"""Runs convert-opset on the modern exports (helper of convert-opset-modern.test).

usage: convert-opset-modern.py FOLDER

Every case runs `onnx-h8-opt MODEL --convert-opset=N --verify-numerics` and
checks the exit code and a text the output must contain. Prints
'checked N conversions', or 'skipped: ...' when FOLDER is absent; exits 1
with the failing case otherwise.
"""
import os
import subprocess
import sys

OK = "cos 1.000000"
CASES = [
    # (file, target, exit code, text in stdout+stderr)
    ("gesture_mlp_pt290_op20.onnx", 17, 0, OK),
    ("gesture_mlp_pt290_op20.onnx", 11, 0, OK),
    ("mlp_pt211_op17.onnx", 13, 0, OK),
    ("mlp_pt211_op17.onnx", 11, 0, OK),
    ("tinycnn_dw_op18.onnx", 17, 0, OK),
    ("tinycnn_dw_op18.onnx", 11, 0, OK),
    ("two_nodes_layernorm_op18.onnx", 17, 0, OK),
    ("two_nodes_layernorm_op18.onnx", 13, 0, OK),
    ("edge_autoencoder_lstm_pt291/model.onnx", 17, 0, OK),
    ("edge_autoencoder_lstm_pt291/model.onnx", 11, 0, OK),
    ("vox_gru_pt211/model.onnx", 17, 0, OK),
    ("vox_gru_pt211/model.onnx", 13, 0, OK),
    ("onnx_node/test_gelu_default_1/model.onnx", 17, 0, OK),
    ("onnx_node/test_gelu_default_1/model.onnx", 11, 0, OK),
    ("onnx_node/test_group_normalization_example/model.onnx", 17, 0, OK),
    ("onnx_node/test_group_normalization_example/model.onnx", 11, 0, OK),
    ("onnx_node/test_rms_normalization_3d_axis_negative_1_epsilon/model.onnx", 17, 0, OK),
    ("onnx_node/test_rms_normalization_3d_axis_negative_1_epsilon/model.onnx", 11, 0, OK),
]


def main(folder):
    if not os.path.isdir(folder):
        print("skipped: no modern-exports folder")
        return 0
    checked = 0
    for name, target, code, text in CASES:
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            continue
        cmd = ["onnx-h8-opt", path, "--convert-opset=%d" % target, "--verify-numerics",
               "-o", os.devnull]
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if run.returncode != code or text not in run.stdout:
            sys.stderr.write("FAIL %s -> %d: exit %d (expected %d), output:\n%s\n"
                             % (name, target, run.returncode, code, run.stdout))
            return 1
        checked += 1
    print("checked %d conversions" % checked)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
