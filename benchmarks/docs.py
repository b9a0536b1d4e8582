"""Copy the benchmark table of ``benchmarks/results/full.md`` (written by ``python benchmarks/run.py``)
into the READMEs and every model card, between the markers below, so that the docs show exactly
what was measured.

    python benchmarks/docs.py            # update the docs
    python benchmarks/docs.py --check    # exit 1 if a doc's table differs from the results
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "full.md"
START = "<!-- benchmark table: copied from benchmarks/results/full.md by python benchmarks/docs.py -->"
END = "<!-- end of benchmark table -->"


def documents():
    return [ROOT / "README.md", ROOT / "README_CN.md"] + sorted((ROOT / "models").glob("*/README.md"))


def block(results=RESULTS):
    """The lines to show: the results' heading line, table and notes."""
    return Path(results).read_text(encoding="utf-8").strip()


def current(text):
    """The text between the markers of a document, or None when it has none."""
    if START not in text or END not in text:
        return None
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    want, stale = block(), []
    for doc in documents():
        text = doc.read_text(encoding="utf-8")
        have = current(text)
        if have is None:
            stale.append(f"{doc}: no benchmark table markers")
        elif have != want:
            if args.check:
                stale.append(f"{doc}: its table differs from {RESULTS}")
            else:
                head, rest = text.split(START, 1)
                doc.write_text(head + START + "\n" + want + "\n" + END + rest.split(END, 1)[1], encoding="utf-8")
                print(f"updated {doc}")
    for line in stale:
        print(line, file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
