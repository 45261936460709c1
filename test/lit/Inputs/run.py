"""Runs a command and checks its exact exit code (lit's `not` only checks != 0).

usage: run.py [--fsize=BYTES] [--stdin=FILE] EXPECTED_EXIT CMD [ARGS...]

stdout and stderr of CMD pass through unchanged. Exits 0 when CMD exited
with EXPECTED_EXIT, else prints 'run.py: expected exit N, got M' on stderr and
exits 1. --fsize sets RLIMIT_FSIZE (like `ulimit -f`, but in bytes) for CMD
only; SIGXFSZ keeps its default action, so a tool that does not handle it is
killed (and reported here as a negative exit code).
"""
import resource
import subprocess
import sys


def main(argv):
    fsize = None
    stdin = None
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if opt.startswith("--fsize="):
            fsize = int(opt.split("=", 1)[1])
        elif opt.startswith("--stdin="):
            stdin = opt.split("=", 1)[1]
        else:
            sys.exit("run.py: unknown option " + opt)
    if len(argv) < 2:
        sys.exit(__doc__)
    expected = int(argv[0])
    cmd = argv[1:]

    def limit():
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    sys.stdout.flush()
    stdin_file = open(stdin, "rb") if stdin else None
    try:
        code = subprocess.call(cmd, stdin=stdin_file, preexec_fn=limit)
    finally:
        if stdin_file:
            stdin_file.close()
    if code != expected:
        sys.stderr.write("run.py: expected exit %d, got %d from %s\n"
                         % (expected, code, " ".join(cmd)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
