"""Entry point: `python eval.py --help`. The work is done in lstm_ms.cli.eval."""
from lstm_ms.cli import run
from lstm_ms.cli.eval import main

if __name__ == "__main__":
    run(main)
