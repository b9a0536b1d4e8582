"""PyTorch twins of our networks, for parity tests and benchmarks only (needs the ``test`` extra)."""
