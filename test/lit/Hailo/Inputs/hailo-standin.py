#!/usr/bin/env python3
"""STAND-IN for Hailo's `hailo` CLI (DFC 3.x), for tests only.

It is not the Dataflow Compiler. It checks the argument grammar of
`hailo parser onnx`, `hailo optimize` and `hailo compiler` exactly as
documented in shared/docs/hailo8.md, refuses to run with CC/CXX/LD/AS/AR/LN/
DUMP/CPY set (as the DFC does), writes small placeholder HAR/HEF files, and
can replay recorded DFC output:

  H8_STANDIN_LOG=FILE          append each command line (after 'hailo') to FILE
  H8_STANDIN_REPLAY_<STEP>=F   print F's contents for step parser|optimize|compiler
  H8_STANDIN_EXIT_<STEP>=N     exit with N for that step (after the replay)
"""
import os
import sys

ARCHES = {"hailo8", "hailo8l", "hailo8r"}


def fail(message, code=2):
    print("hailo: error: %s" % message, file=sys.stderr)
    sys.exit(code)


def take(args, flag, required=True):
    if flag not in args:
        if required:
            fail("the following arguments are required: %s" % flag)
        return None
    i = args.index(flag)
    if i + 1 >= len(args) or args[i + 1].startswith("--"):
        fail("argument %s: expected one argument" % flag)
    value = args[i + 1]
    del args[i:i + 2]
    return value


def flag(args, name):
    if name in args:
        args.remove(name)
        return True
    return False


def finish(step, args):
    if args:
        fail("unrecognized arguments: %s" % " ".join(args))
    replay = os.environ.get("H8_STANDIN_REPLAY_" + step.upper())
    if replay:
        sys.stdout.write(open(replay).read())
    code = int(os.environ.get("H8_STANDIN_EXIT_" + step.upper(), "0"))
    if code:
        sys.exit(code)


def main(argv):
    log = os.environ.get("H8_STANDIN_LOG")
    if log:
        with open(log, "a") as f:
            f.write(" ".join(argv) + "\n")
    for name in ("CC", "CXX", "LD", "AS", "AR", "LN", "DUMP", "CPY"):
        if name in os.environ:
            fail("environment variable %s is set; the DFC refuses to run with it" % name, 1)
    if not argv:
        fail("a subcommand is required: parser, optimize, compiler")
    step, args = argv[0], list(argv[1:])
    if step == "parser":
        if not args or args.pop(0) != "onnx":
            fail("parser: the framework 'onnx' must follow 'parser'")
        if not args or args[0].startswith("-"):
            fail("parser onnx: the model path is required")
        model = args.pop(0)
        if not os.path.isfile(model):
            fail("parser onnx: %s: no such file" % model)
        if "--output" in args:
            fail("unrecognized arguments: --output")
        arch = take(args, "--hw-arch")
        net = take(args, "--net-name")
        har = take(args, "--har-path", required=False) or net + ".har"
        flag(args, "-y")
        while "--end-node-names" in args:
            i = args.index("--end-node-names")
            j = i + 1
            while j < len(args) and not args[j].startswith("-"):
                j += 1
            if j == i + 1:
                fail("argument --end-node-names: expected at least one argument")
            del args[i:j]
        if arch not in ARCHES:
            fail("argument --hw-arch: invalid choice: '%s'" % arch)
        finish(step, args)
        open(har, "wb").write(b"HAR-standin " + net.encode())
        print("[info] Translation completed on ONNX model %s" % net)
        print("[info] Saved HAR to: %s" % os.path.abspath(har))
    elif step == "optimize":
        if not args or args[0].startswith("-"):
            fail("optimize: the HAR path is required")
        har = args.pop(0)
        if not os.path.isfile(har):
            fail("optimize: %s: no such file" % har)
        arch = take(args, "--hw-arch")
        calib = take(args, "--calib-set-path", required=False)
        random = flag(args, "--use-random-calib-set")
        if bool(calib) == random:
            fail("optimize: give exactly one of --calib-set-path and --use-random-calib-set")
        if calib is not None:
            data = open(calib, "rb").read(6)
            if data != b"\x93NUMPY":
                fail("optimize: %s is not a .npy file" % calib)
        out = take(args, "--output-har-path")
        if arch not in ARCHES:
            fail("argument --hw-arch: invalid choice: '%s'" % arch)
        finish(step, args)
        open(out, "wb").write(b"HAR-optimized-standin")
        print("[info] Saved HAR to: %s" % os.path.abspath(out))
    elif step == "compiler":
        if not args or args[0].startswith("-"):
            fail("compiler: the HAR path is required")
        har = args.pop(0)
        if not os.path.isfile(har):
            fail("compiler: %s: no such file" % har)
        arch = take(args, "--hw-arch")
        out_dir = take(args, "--output-dir", required=False) or "."
        take(args, "--output-har-path", required=False)
        if arch not in ARCHES:
            fail("argument --hw-arch: invalid choice: '%s'" % arch)
        finish(step, args)
        base = os.path.basename(har)
        net = base[:-len("_optimized.har")] if base.endswith("_optimized.har") else base[:-4]
        open(os.path.join(out_dir, net + ".hef"), "wb").write(b"HEF-standin " * 4)
        print("[info] Compiled network %s into 1 contexts" % net)
    else:
        fail("invalid choice: '%s' (choose from parser, optimize, compiler)" % step)


if __name__ == "__main__":
    main(sys.argv[1:])
