"""One module per command; each catches UserError and prints one line ``error: <path>: <problem>``."""
import os
import sys


def run(main, argv=None):
    """Call ``main(argv)``: bad input -> one line on stderr and exit 2; Ctrl-C -> exit 130."""
    os.environ.setdefault("GLOG_v", "3")  # MindSpore: errors only, set before it is imported
    from ..core.errors import UserError

    try:
        code = main(sys.argv[1:] if argv is None else argv)
    except UserError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    sys.exit(code or 0)


def log(message):
    print(message, flush=True)
