"""Open uploaded roster files in a child process with hard limits, so that no file can take a web worker down.

The readers trust the file they parse (see ``prescan`` for what that cost, measured). ``open_book`` first
runs the cheap ``prescan`` in this process, then reads the book in a child with an address-space limit
(RLIMIT_AS, ``ROSTER_IMPORT_SANDBOX_MEMORY_MB``), a CPU-time limit (RLIMIT_CPU,
``ROSTER_IMPORT_SANDBOX_SECONDS``) and a wall-clock limit (twice the CPU time: a busy server shares its cores).
The child opens the book with ``readers.read_book``, reads every visible sheet and sends the rows back in
pickled chunks; this process keeps the chunks as bytes and unpickles one at a time as the importer streams
rows, so a big sheet never exists as Python objects all at once here either. A child that dies from a limit
(python-calamine aborts when an allocation fails) or runs out of time becomes one ImportFileError.

Children come from a forkserver, never from this (threaded) process: the server is started once, sets
Django up once (``sandbox_boot``), and forks a ready child per file in about 30 ms; a fresh "spawn"
interpreter would cost 1-2 s per file (measured on the 2-core test machine).
"""

import io
import multiprocessing
import multiprocessing.forkserver
import os
import pickle
import resource
import threading
import time
import traceback
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from . import errors
from .errors import ImportFileError
from .prescan import prescan
from .readers import Book, RowStream, read_book

CHUNK_ROWS = 2000  # rows per message from the child
POLL_SECONDS = 0.05  # how often the parent looks at the child's memory while it waits
SETTINGS_FOR_CHILD = ("ROSTER_IMPORT_MAX_ROWS", "ROSTER_IMPORT_MAX_BYTES")  # read by the readers
# the only classes a child's pickles may name: the values python-calamine returns besides str/int/float/bool
_ALLOWED_GLOBALS = {("datetime", name) for name in ("date", "datetime", "time", "timedelta")}
_context_lock = threading.Lock()
_context = None


def limit_error():
    return ImportFileError(
        _("文件过大或过于复杂，无法在限定的内存/时间内读取。请只保留名单所在区域，另存为 .xlsx 后再上传。")
    )


class SandboxCrashed(RuntimeError):
    """The reader failed in the child with something other than ImportFileError (a bug): its traceback."""


def open_book(data, filename):
    """``readers.read_book`` in a child with hard limits, after ``prescan``: the same ``Book``, or ImportFileError."""
    if len(data) > settings.ROSTER_IMPORT_MAX_BYTES:
        return read_book(data, filename)  # refuses by size at once, before parsing anything
    prescan(data)
    return read_in_sandbox(data, filename)


@dataclass
class SandboxedBook(Book):
    """A ``Book`` read in the child: each visible sheet's row count, merged ranges and pickled row chunks."""

    peak_kb: int = 0  # the child's peak resident memory
    _read: dict = field(default_factory=dict)  # sheet name → _SheetRead

    def stream(self, sheet_name=""):
        name = "" if self.kind == "csv" else sheet_name or self.sheets[0]
        sheet = self._read.get(name)
        if sheet is None:
            raise ImportFileError(_("找不到工作表“%(name)s”") % {"name": name})
        if sheet.count is None:  # the reader refused the sheet when asked for it
            raise sheet.error()
        return RowStream(sheet.count, _unpickled(sheet), sheet.merged)


@dataclass
class _SheetRead:
    count: int = None
    merged: tuple = ()
    chunks: list = field(default_factory=list)
    error_class: str = ""
    error_message: str = ""

    def error(self):
        cls = getattr(errors, self.error_class, ImportFileError)
        return (cls if isinstance(cls, type) and issubclass(cls, ImportFileError) else ImportFileError)(
            self.error_message
        )


def _unpickled(sheet):
    for chunk in sheet.chunks:
        yield from _loads(chunk)
    if sheet.error_class:  # the reader failed part way through the sheet, as it would have here
        raise sheet.error()


class _RowsUnpickler(pickle.Unpickler):
    """Rows hold plain values and dates; nothing a child sends may name any other class."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a cell value")


def _loads(data):
    return _RowsUnpickler(io.BytesIO(data)).load()


# ------------------------------------------------------------------------------------------- the parent side


def read_in_sandbox(data, filename):
    """Read ``data`` with ``readers.read_book`` in a child under the limits (no prescan: ``open_book`` runs it)."""
    memory_mb, seconds = settings.ROSTER_IMPORT_SANDBOX_MEMORY_MB, settings.ROSTER_IMPORT_SANDBOX_SECONDS
    overrides = {name: getattr(settings, name) for name in SETTINGS_FOR_CHILD}
    receiver, sender = multiprocessing.Pipe(duplex=False)
    child = _forkserver().Process(
        target=_child,
        args=(sender, data, filename, memory_mb, seconds, overrides, translation.get_language()),
        daemon=True,
        name="roster-reader",
    )
    watch = _Watch()
    try:
        child.start()
        sender.close()
        return _collect(receiver, child, watch, time.monotonic() + 2 * seconds)
    except ImportFileError as exc:
        exc.peak_kb = watch.peak_kb
        raise
    finally:
        receiver.close()
        sender.close()
        if child.pid is not None:  # started: stop it if it still runs, then free its handles
            if child.is_alive():
                child.kill()
            child.join()
            child.close()


class _Watch:
    """The child's peak resident memory (VmHWM) as sampled while waiting; the child reports it exactly when it
    finishes, but a child killed by a limit cannot."""

    peak_kb = 0

    def sample(self, pid):
        try:
            with open(f"/proc/{pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            pass  # gone already, or not Linux


def _collect(receiver, child, watch, deadline):
    book, current = None, None
    while True:
        message = _next_message(receiver, child, watch, deadline)
        kind = message[0]
        if kind == "book":
            _kind, sheets, encoding = message[1:]
            book = SandboxedBook(kind=_kind, sheets=list(sheets), encoding=encoding)
        elif kind == "sheet":
            current = book._read[message[1]] = _SheetRead(count=message[2], merged=tuple(message[3]))
        elif kind == "rows":
            current.chunks.append(message[1])
        elif kind == "sheet_refused":
            name, error_class, error_message = message[1:]
            current = book._read.setdefault(name, _SheetRead())
            current.error_class, current.error_message = error_class, error_message
        elif kind == "done":
            book.peak_kb = watch.peak_kb = max(watch.peak_kb, message[1])
            return book
        elif kind == "refused":
            raise _SheetRead(error_class=message[1], error_message=message[2]).error()
        elif kind == "limit":
            raise limit_error()
        else:  # "crashed"
            raise SandboxCrashed(message[1])


def _next_message(receiver, child, watch, deadline):
    while not receiver.poll(POLL_SECONDS):
        watch.sample(child.pid)
        if time.monotonic() > deadline:
            raise limit_error()
        if not child.is_alive() and not receiver.poll(0):
            raise limit_error()  # killed by RLIMIT_AS (an allocation failed) or RLIMIT_CPU
    try:
        return _loads(receiver.recv_bytes())
    except EOFError:
        raise limit_error()


def warm_up():
    """Start the forkserver now; it sets Django up in the background (2-3 s on the test machine), so the first
    file a web process reads does not wait for it. Call it where a web worker starts (gunicorn's
    ``post_worker_init`` hook), not at import: commands and tests need no reader process."""
    _forkserver()
    multiprocessing.forkserver.ensure_running()


def _forkserver():
    """The forkserver context, its server preloading Django (``sandbox_boot``) so each child starts ready."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["disclosures.importer.sandbox_boot"])
            # Python 3.11's forkserver imports its preload before it applies sys.path: make the project importable
            root = str(settings.BASE_DIR)
            paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
            if root not in paths:
                os.environ["PYTHONPATH"] = os.pathsep.join([root, *filter(None, paths)])
            _context = context
    return _context


# ------------------------------------------------------------------------------------------- the child side


def _child(sender, data, filename, memory_mb, seconds, overrides, language):
    """Runs in the child: limit itself, read the book, send it in messages, exit."""
    _limit(memory_mb, seconds)
    try:
        _prepare_django(overrides, language)
        book = read_book(data, filename)
        _send(sender, ("book", book.kind, list(book.sheets), book.encoding))
        for name in book.sheets:  # csv has one, named ""
            _send_sheet(sender, book, name)
        watch = _Watch()
        watch.sample("self")
        _send(sender, ("done", watch.peak_kb))
    except MemoryError:
        _send(sender, ("limit",))
    except ImportFileError as exc:
        _send(sender, ("refused", type(exc).__name__, str(exc)))
    except BaseException:
        _send(sender, ("crashed", traceback.format_exc()))
    finally:
        sender.close()


def _limit(memory_mb, seconds):
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1048576, memory_mb * 1048576))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))  # SIGXCPU, then SIGKILL
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort leaves no core file behind


def _prepare_django(overrides, language):
    import django
    from django.apps import apps

    if not apps.ready:  # the forkserver's preload failed; set up here (slower, same result)
        django.setup()
    for name, value in overrides.items():  # the parent's values, including a test's overrides
        setattr(settings, name, value)
    translation.activate(language or settings.LANGUAGE_CODE)


def _send_sheet(sender, book, name):
    try:
        stream = book.stream(name)
    except ImportFileError as exc:
        _send(sender, ("sheet_refused", name, type(exc).__name__, str(exc)))
        return
    _send(sender, ("sheet", name, stream.count, tuple(stream.merged)))
    chunk = []
    try:
        for row in stream.iterator:
            chunk.append(row)
            if len(chunk) == CHUNK_ROWS:
                _send(sender, ("rows", pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)))
                chunk = []
    except ImportFileError as exc:  # the rows before the damage first, as the reader yields them
        _send(sender, ("rows", pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)))
        _send(sender, ("sheet_refused", name, type(exc).__name__, str(exc)))
        return
    if chunk:
        _send(sender, ("rows", pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)))


def _send(sender, message):
    sender.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
