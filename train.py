"""Entry point: `python train.py --help`. The work is done in lstm_ms.cli.train."""
from lstm_ms.cli import run
from lstm_ms.cli.train import main

if __name__ == "__main__":
    run(main)
