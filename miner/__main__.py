"""`python -m miner`: the command line.

`-m` puts the working folder first on `sys.path`; run from inside a mined
folder, its `git.py` or `joblib.py` would be imported (and run) in place of
the library. This package is already imported, so the folder is dropped
before anything else is.
"""
import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()) and not sys.flags.safe_path:
    del sys.path[0]

try:
    from miner.cli import main_entry  # noqa: E402 - after the path is made safe
except KeyboardInterrupt:  # Ctrl-C while the libraries load: nothing was started, nothing written
    sys.stderr.write("interrupted: nothing done\n")
    sys.exit(130)

main_entry()
