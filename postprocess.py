"""Entry point: `python postprocess.py --help`. The work is done in lstm_ms.cli.postprocess."""
from lstm_ms.cli import run
from lstm_ms.cli.postprocess import main

if __name__ == "__main__":
    run(main)
