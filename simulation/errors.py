"""The two ways a command ends early that users see: bad input (it names the file, the field and
what is allowed) and work stopped part-way (it says what is kept and how to complete it)."""


class InputError(Exception):
    """Bad input from a data, scenario or results file; the CLI prints it and exits 2."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(f"{source}: {field}: {problem}")


class Interrupted(Exception):
    """Work stopped before the end (Ctrl-C, a stop signal, a dead worker) whose finished part is
    kept; the message says where and how to complete it. The CLI prints it and exits 130."""
