# lit configuration for onnx-h8-opt: .onnxtext tests with RUN/CHECK lines in
# '#' comments; Inputs/ holds auxiliary files that are not tests.
import os

import lit.formats

config.name = "onnx-h8-opt"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".onnxtext", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.h8_obj_root, "test", "lit")

config.environment["FILECHECK_OPTS"] = "--enable-var-scope --allow-unused-prefixes=false"
llvm_bin = os.path.dirname(config.filecheck)
config.environment["PATH"] = os.pathsep.join(
    [config.h8_tools_dir, llvm_bin, config.environment.get("PATH", "")])

config.substitutions.append(("%fixtures", os.path.join(config.h8_src_root, "test", "fixtures")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
config.substitutions.append(("%python", config.python))
# A Python with the onnx module (Debian python3-onnx) for tests that read
# models on their own; they declare REQUIRES: python-onnx and are skipped
# without one.
import subprocess
for _py in (config.python, "/usr/bin/python3"):
    try:
        if subprocess.call([_py, "-c", "import onnx"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL) == 0:
            config.available_features.add("python-onnx")
            config.substitutions.append(("%onnx_python", _py))
            break
    except OSError:
        pass
config.substitutions.append(("%bad_plugins", os.path.join(config.test_exec_root, "plugins")))
config.substitutions.append(("%example_plugin", os.path.join(
    config.h8_obj_root, "utils", "plugins", "libh8-fuse-bn-into-conv.so")))
config.substitutions.append(("%h8_obj_root", config.h8_obj_root))
config.substitutions.append(("%cmake", config.cmake))
config.substitutions.append(("%generator", config.generator))
