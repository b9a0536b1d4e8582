"""lstm_ms: the recurrent-model zoo on MindSpore over a framework-agnostic numpy core."""

__version__ = "0.1.0"
