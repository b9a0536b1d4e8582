"""``lstm-ms COMMAND [flags]``: the console command of an installed lstm_ms, one subcommand per command
module (the same code as the root scripts: ``lstm-ms train ...`` is ``python train.py ...``)."""
import importlib
import sys

from . import run

COMMANDS = {
    "train": "train a model (python train.py)",
    "eval": "evaluate a checkpoint (python eval.py)",
    "export": "export a checkpoint to MINDIR/AIR (python export.py)",
    "predict": "predict on raw text or audio (python predict.py)",
    "preprocess": "a test split to the 310 input bins (python preprocess.py)",
    "postprocess": "the 310 result bins to the task's metric (python postprocess.py)",
    "sample": "write a small generated dataset in the real on-disk format",
}


def usage():
    width = max(map(len, COMMANDS))
    return ("usage: lstm-ms COMMAND [--model NAME] [flags]   (lstm-ms COMMAND --help: its flags)\n\ncommands:\n"
            + "".join(f"  {name:<{width}}  {text}\n" for name, text in COMMANDS.items()))


def console(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(usage())
        sys.exit(0 if argv else 2)
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        sys.stderr.write(f"error: lstm-ms: unknown command {name!r} (one of: {', '.join(COMMANDS)})\n")
        sys.exit(2)
    module = importlib.import_module(f"{__package__}.{name}")
    run(module.main, rest)


if __name__ == "__main__":
    console()
