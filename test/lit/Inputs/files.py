"""Small file utilities for RUN lines (lit's internal shell has few builtins).

  files.py ls DIR              '== DIR-listing', sorted entry names, '== end'
  files.py head SRC DST FRAC   write the first FRAC (0..1) of SRC's bytes to DST
  files.py hex DST HEXBYTES    write the bytes given in hex to DST
  files.py text DST TEXT       write TEXT (with \\n escapes expanded) to DST
  files.py sha256 FILE         print '<sha256>'
  files.py size FILE           print the size in bytes
"""
import hashlib
import os
import sys


def main(argv):
    if not argv:
        sys.exit(__doc__)
    cmd, args = argv[0], argv[1:]
    if cmd == "ls":
        print("== listing")
        for name in sorted(os.listdir(args[0])):
            print(name)
        print("== end")
    elif cmd == "head":
        with open(args[0], "rb") as f:
            data = f.read()
        with open(args[1], "wb") as f:
            f.write(data[: int(len(data) * float(args[2]))])
    elif cmd == "hex":
        with open(args[0], "wb") as f:
            f.write(bytes.fromhex(args[1]))
    elif cmd == "text":
        with open(args[0], "w") as f:
            f.write(args[1].encode().decode("unicode_escape"))
    elif cmd == "sha256":
        with open(args[0], "rb") as f:
            print(hashlib.sha256(f.read()).hexdigest())
    elif cmd == "size":
        print(os.path.getsize(args[0]))
    else:
        sys.exit("files.py: unknown command " + cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
