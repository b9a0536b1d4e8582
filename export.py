"""Entry point: `python export.py --help`. The work is done in lstm_ms.cli.export."""
from lstm_ms.cli import run
from lstm_ms.cli.export import main

if __name__ == "__main__":
    run(main)
