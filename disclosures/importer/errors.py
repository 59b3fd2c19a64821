class ImportFileError(Exception):
    """A file that cannot be imported at all; ``str()`` is one clear message for the clerk."""

    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)

    def __str__(self):
        return self.message


class NoHeaderError(ImportFileError):
    """No row of the first ones looks like a roster header."""
