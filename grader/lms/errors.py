"""One exception type for everything the LMS round trip refuses, so that a command can
catch it, print its one-line message and exit with status 2."""


class LmsError(Exception):
    """A download, option or spreadsheet that cannot be used; the message is one line
    naming the file (and row) or the option, and what is wrong."""
