"""Entry point: `python predict.py --help`. The work is done in lstm_ms.cli.predict."""
from lstm_ms.cli import run
from lstm_ms.cli.predict import main

if __name__ == "__main__":
    run(main)
