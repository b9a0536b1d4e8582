"""The one exception type for bad user input."""


class UserError(Exception):
    """Bad input that the user can fix: the CLI prints ``error: <path>: <problem>`` and exits 2."""

    def __init__(self, path, problem, line=None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.problem = problem
        where = self.path or ""
        if where and line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {problem}" if where else problem)
