"""The shape every kfreqgan command-line program shares: parser, errors, exit status.

Every program (`kfreqgan-train`, `-demo`, `-spectrum`, `-export`, `-dehaze`
and the `python -m kfreqgan.training.*` scripts) is built the same way:

    def main(argv=None):
        return run_main(_parser(), _run, argv)

with `_parser()` an `ArgumentParser` from this module and `_run(args)` the
program's work, returning its exit status (or None for 0). `run_main` keeps
the error contract, the same for every program:

- 0: success.
- 1 (`EXIT_PARTIAL`): partly done, where a program documents it
  (`kfreqgan-dehaze`: some images failed, the others are written).
- 2 (`EXIT_ERROR`): a usage or input error, or any other failure: one line
  on stderr, `<prog>: error: <what is wrong>`, no usage text and no
  traceback. An OS error (a full disk, no permission, a read-only file
  system) is one line too, naming the file and the reason.
- 130 (`EXIT_INTERRUPTED`): interrupted (Ctrl-C): one line,
  `<prog>: interrupted`, no traceback. A Ctrl-C is not lost when its
  `KeyboardInterrupt` lands in a finalizer (TensorFlow deletes resources in
  `__del__`, where Python ignores exceptions): `run_main` remembers it, and
  long loops call `raise_if_interrupted()` (training: `interrupt_callback()`)
  to raise it again where it can stop the program. During training the
  signal is only remembered (`deferred_interrupts()`) and raised between
  steps, never inside a backup write or TensorFlow's own Python code.

`--debug` (added by the parser) shows the traceback instead of the line
(and turns off Keras's traceback filtering).

A program started from the command line (`argv=None`) that fails or is
interrupted exits right after its line (`os._exit`, stdout and stderr
flushed), without the interpreter's teardown: libraries whose cleanup
fails on a broken disk (h5py closing a file on a full disk) would
otherwise print tracebacks after it, or crash (exit status 139). Called
with an `argv` list (tests, notebooks), `main` returns the status instead.
"""

import argparse
import contextlib
import gc
import os
import signal
import sys
import threading

from kfreqgan._validation import first_line

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


class ArgumentParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` with `--debug` whose usage errors are one line (exit status 2).

    argparse prints the whole usage text before the error; the programs
    print only the error, like their other errors (`--help` shows the usage).

    Args:
        prog: the program's name, as the user types it (`kfreqgan-train`).
        description: the first paragraph of `--help`.
        **kwargs: passed to `argparse.ArgumentParser`.
    """

    def __init__(self, prog, description=None, **kwargs):
        super().__init__(prog=prog, description=description, **kwargs)
        self.add_argument("--debug", action="store_true", help="show tracebacks")

    def error(self, message):
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def int_at_least(minimum):
    """An argparse `type`: an integer >= `minimum`, else a one-line usage error.

    `parser.add_argument("--size", type=int_at_least(16))` makes
    `--size 4` fail as `<prog>: error: argument --size: must be an integer
    >= 16. Received: '4'` (exit status 2), before the program does anything.
    """

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}. Received: {text!r}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def output_folder(text):
    """An argparse `type` for a program's output folder (`--out`).

    An `--out` that is a file, or lies under one (`photo.jpg/sub`), can
    never be written into; `parser.add_argument("--out", type=output_folder)`
    refuses it as a one-line usage error (exit status 2) when the command
    line is read, before a model or data loads or a file is written:
    `<prog>: error: argument --out: must be a folder, not a file or a path
    under one (photo.jpg is not a folder). Received: 'photo.jpg/sub'`. The
    rule is `kfreqgan.paths.blocking_file`.
    """
    from kfreqgan.paths import blocking_file

    blocker = blocking_file(text)
    if blocker is not None:
        what = "a symlink to nothing" if os.path.islink(blocker) and not os.path.exists(blocker) else "not a folder"
        raise argparse.ArgumentTypeError(
            f"must be a folder, not a file or a path under one ({blocker} is {what}). Received: {text!r}"
        )
    return text


def error_line(error):
    """One line that says what went wrong, for stderr.

    An `OSError` with an error number reads `<reason>: <file>` (e.g. `No
    space left on device: runs/x/generator.keras`); any other error gives the
    first non-empty line of its message, with ` (more with --debug)`
    appended when there is more, or its type name when it has no message.
    """
    if isinstance(error, OSError) and error.errno is not None:
        # h5py and TensorFlow put pages of their own text in strerror: the
        # errno says it in a few words (No space left on device, ...).
        reason = os.strerror(error.errno)
        if error.filename is not None:
            names = [error.filename] + ([error.filename2] if error.filename2 is not None else [])
            return f"{reason}: {' -> '.join(map(str, names))}"
        return reason
    more = sum(1 for line in str(error).splitlines() if line.strip()) > 1
    return first_line(error) + (" (more with --debug)" if more else "")


def printable(text):
    """`text` with its control characters escaped (`\\n`, `\\x1b`, ...), so
    that a file name holding a newline or a terminal escape code stays on
    one line and cannot drive the terminal. Other characters (accents,
    non-Latin scripts) are kept."""
    text = str(text)
    if all(character.isprintable() or character == " " for character in text):
        return text
    return "".join(character if character.isprintable() or character == " " else repr(character)[1:-1] for character in text)


def print_error(prog, message):
    """Prints `<prog>: error: <message>` on stderr (on one line: control
    characters escaped, `printable`)."""
    print(f"{prog}: error: {printable(message)}", file=sys.stderr, flush=True)


def _release(error):
    """Frees what a failed run still holds (open HDF5 files in the traceback's
    frames) now, with their close errors silenced: a file that cannot be
    flushed on a full disk must not print a traceback, or crash at exit."""
    error.__traceback__ = None
    error.__context__ = error.__cause__ = None
    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = previous


def quiet_tensorflow(debug=False):
    """Imports TensorFlow without its start-up log lines, unless `debug`.

    TensorFlow's C++ start-up lines (`I0000 ... oneDNN custom operations
    are on`, `cudart_stub.cc`, `cpu_feature_guard.cc`, "All log messages
    before absl::InitializeLog() ...") are written before
    `TF_CPP_MIN_LOG_LEVEL` is read, so they are silenced by pointing the
    stderr file descriptor at /dev/null while `tensorflow` is first
    imported; `TF_CPP_MIN_LOG_LEVEL` (default 3 here: fatal errors only) then
    quiets the later C++ lines, and absl's Python logging is set to errors.
    With `debug`, `TF_CPP_MIN_LOG_LEVEL` defaults to 0 and nothing is
    silenced. A value the user set in the environment is kept. Called by
    `run_main` after the arguments are parsed, so `--help` and usage errors
    never import TensorFlow. A failing import still raises (its Python
    error is not hidden, only the C++ lines printed while it runs).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if debug else "3")
    if debug or "tensorflow" in sys.modules:
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (a notebook): nothing to silence
        saved = None
    try:
        if saved is not None:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
        import tensorflow  # noqa: F401
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.ERROR)


_INTERRUPTED = threading.Event()
_DEFERRING = []  # one entry per open `deferred_interrupts` block


def _on_interrupt(signum, frame):
    # A second Ctrl-C is not deferred: a step that hangs can still be stopped.
    again = _INTERRUPTED.is_set()
    _INTERRUPTED.set()
    if again or not _DEFERRING:
        raise KeyboardInterrupt


def raise_if_interrupted():
    """Raises `KeyboardInterrupt` if Ctrl-C came during this command.

    The first `KeyboardInterrupt` is raised wherever the program is when the
    signal arrives; if that is a finalizer (`__del__`, a weakref callback),
    Python prints nothing and carries on. Loops that run for long call this
    between steps so that the interrupt stops the program all the same.
    """
    if _INTERRUPTED.is_set():
        raise KeyboardInterrupt


def interrupt_callback():
    """A Keras callback that calls `raise_if_interrupted` after every batch."""
    import keras

    class RaiseIfInterrupted(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise_if_interrupted()

        def on_epoch_end(self, epoch, logs=None):
            raise_if_interrupted()

    return RaiseIfInterrupted()


@contextlib.contextmanager
def deferred_interrupts():
    """Within this block a Ctrl-C is only remembered; it is raised at clean points.

    An interrupt raised wherever the main thread happens to be can land in
    the middle of a library's Python code that keeps native state
    consistent (h5py writing a backup, TensorFlow pushing and popping its
    C++ scopes, a tf.data iterator's bookkeeping); unwinding from there can
    leave that state torn. Training runs inside this block: the signal only
    sets the flag, `raise_if_interrupted()` (called by `interrupt_callback()`
    after every batch and epoch) raises it between steps, and leaving the
    block raises a Ctrl-C that no such call saw.

    It defers only under `run_main`'s handler (a command started from the
    command line); elsewhere (a notebook, a test runner) Ctrl-C behaves as
    Python's own. A second Ctrl-C is raised at once, wherever it lands (a
    step that hangs can still be stopped).
    """
    _DEFERRING.append(True)
    try:
        yield
    finally:
        _DEFERRING.pop()
    if signal.getsignal(signal.SIGINT) is _on_interrupt:
        raise_if_interrupted()


@contextlib.contextmanager
def _remembering_interrupts():
    """SIGINT raises KeyboardInterrupt and is remembered, for this block.

    Only where Python's own handler is in place: a SIGINT that the parent
    process made ignored (a background job, a test runner's worker) stays
    ignored, and outside the main thread nothing changes.
    """
    _INTERRUPTED.clear()
    previous = None
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            previous = signal.signal(signal.SIGINT, _on_interrupt)
    except (ValueError, OSError):  # not the main thread: leave the handler alone
        previous = None
    try:
        yield
    finally:
        _INTERRUPTED.clear()  # a later command or training in this process starts afresh
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def run_main(parser, run, argv=None):
    """Parses `argv`, calls `run(args)` and keeps the error contract (see the module docstring).

    Args:
        parser: the program's `ArgumentParser` (from this module).
        run: a callable taking the parsed arguments; it does the work and
            returns the exit status (None means 0).
        argv: the arguments (default: `sys.argv[1:]`).

    Returns:
        The exit status.
    """
    args = parser.parse_args(argv)
    prog = parser.prog
    quiet_tensorflow(debug=args.debug)
    if args.debug:
        import keras

        keras.config.disable_traceback_filtering()
        status = run(args)
        return EXIT_OK if status is None else int(status)
    try:
        with _remembering_interrupts():
            status = run(args)
    except KeyboardInterrupt as error:
        print(f"{prog}: interrupted", file=sys.stderr, flush=True)
        return _failed(error, EXIT_INTERRUPTED, argv)
    except Exception as error:  # one clear line for users, the traceback with --debug
        print_error(prog, error_line(error))
        return _failed(error, EXIT_ERROR, argv)
    return EXIT_OK if status is None else int(status)


def _failed(error, status, argv):
    """Ends a failed run: at once for a command-line run (see the module docstring)."""
    if argv is None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(status)
    _release(error)
    return status
