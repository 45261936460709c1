"""Runs a command with a file's bytes behind a pipe, as `<(cat FILE)` does.

Usage: pipe.py FILE COMMAND [ARGS...]   (the argument PIPE becomes /dev/fd/N)

A thread feeds the pipe; exits with the command's exit code (60 s limit).
"""
import os
import subprocess
import sys
import threading

path, cmd = sys.argv[1], sys.argv[2:]
r, w = os.pipe()
data = open(path, "rb").read()


def feed():
    try:
        os.write(w, data)
    except BrokenPipeError:
        pass
    os.close(w)


threading.Thread(target=feed, daemon=True).start()
args = [a.replace("PIPE", "/dev/fd/%d" % r) for a in cmd]
sys.exit(subprocess.call(args, pass_fds=[r], timeout=60))
