"""Entry point: `python preprocess.py --help`. The work is done in lstm_ms.cli.preprocess."""
from lstm_ms.cli import run
from lstm_ms.cli.preprocess import main

if __name__ == "__main__":
    run(main)
