"""What the command-line programs share: errors as one line on stderr.

Every `kfreqgan-*` program exits with status 2 and prints one line,
`<prog>: error: <what is wrong>`, for a bad flag as for a bad input; the
traceback is shown only with `--debug`.
"""

import argparse


class ArgumentParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` whose usage errors are one line (exit status 2).

    argparse prints the whole usage text before the error; the programs
    print only the error, like their other errors (`--help` shows the usage).
    """

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def error_line(error):
    """The first non-empty line of an exception's message, for stderr.

    A longer message gets ` (more with --debug)` appended; an empty one
    becomes the exception's type name.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    return lines[0] + (" (more with --debug)" if len(lines) > 1 else "")
