"""How release reports a solution notebook that breaks the authoring conventions."""


class ReleaseError(Exception):
    """A solution notebook breaks the authoring conventions; ``problems`` are one-liners."""

    def __init__(self, name, problems):
        self.name, self.problems = name, list(problems)
        super().__init__("\n".join(f"{name}: {p}" for p in self.problems))


class CellProblem(Exception):
    """One problem inside a cell; ``line`` is 0-based or None."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line
