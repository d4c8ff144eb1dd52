"""The one error type users see: it names the file, the field and what is allowed."""


class InputError(Exception):
    """Bad input from a data, scenario or results file; the CLI prints it and exits 2."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(f"{source}: {field}: {problem}")
