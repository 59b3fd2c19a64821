"""Render a bulletin's HTML to PDF in child processes, so the memory WeasyPrint takes returns to the system.

WeasyPrint keeps every laid-out box of a document until it writes the PDF: one pass over a 5,000-row roster
peaked at 694 MB and a process that did it stayed near that size afterwards (glibc keeps freed memory). Each
part of a bulletin (``bulletin.PART_ROWS`` rows) is therefore rendered by its own child, forked from the
forkserver the import sandbox already runs (one per process; it preloads WeasyPrint, so a child starts in
milliseconds), under a CPU-time limit, while the parent kills it if its resident memory passes
``BULLETIN_RENDER_MEMORY_MB``. The parent keeps only file names; the parts are joined by ``pdfunite``
(poppler-utils), and the child's exit returns its memory.

Page numbers run on across parts: part k is told the number of its first page (``counter-set`` on the first
page), which the parent knows once part k-1 is written.
"""

import os
import resource
import subprocess
import time
import traceback
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from .importer.sandbox import _forkserver, _Watch

POLL_SECONDS = 0.05


class BulletinRenderError(RuntimeError):
    """The bulletin could not be rendered; the message says why, in words staff can act on."""


@dataclass
class RenderResult:
    content: bytes
    pages: int
    peak_kb: int  # the largest peak resident memory of any rendering child
    pids: list = field(default_factory=list)  # the children that rendered the parts


def render_parts(parts, *, workdir, base_url):
    """PDF bytes of ``parts`` (HTML strings, in order), each rendered by a child process, joined in order."""
    memory_mb, seconds = settings.BULLETIN_RENDER_MEMORY_MB, settings.BULLETIN_RENDER_SECONDS
    first_page, files, peak_kb, pids = 1, [], 0, []
    for number, html in enumerate(parts, start=1):
        target = os.path.join(workdir, f"part-{number:04d}.pdf")
        pages, part_peak_kb, pid = _render_in_child(html, first_page, target, base_url, memory_mb, seconds)
        first_page += pages
        files.append(target)
        peak_kb, pids = max(peak_kb, part_peak_kb), [*pids, pid]
    joined = files[0] if len(files) == 1 else _join(files, os.path.join(workdir, "joined.pdf"))
    with open(joined, "rb") as handle:
        return RenderResult(content=handle.read(), pages=first_page - 1, peak_kb=peak_kb, pids=pids)


def _join(files, target):
    result = subprocess.run(["pdfunite", *files, target], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise BulletinRenderError(_("合并公示栏 PDF 的各部分失败：%(error)s") % {"error": result.stderr.strip()[-300:]})
    return target


def _render_in_child(html, first_page, target, base_url, memory_mb, seconds):
    """(pages, peak_kb, pid) of one part rendered into ``target`` by a forkserver child under the limits."""
    context = _forkserver()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        args=(sender, html, first_page, target, base_url, seconds),
        daemon=True,
        name="bulletin-renderer",
    )
    watch = _Watch()
    try:
        child.start()
        sender.close()
        message = _wait(receiver, child, watch, time.monotonic() + 2 * seconds, memory_mb)
    finally:
        receiver.close()
        sender.close()
        if child.pid is not None:
            if child.is_alive():
                child.kill()
            child.join()
            child.close()
    if message[0] == "failed":
        raise BulletinRenderError(_("生成公示栏 PDF 时出错：%(error)s") % {"error": message[1]})
    _kind, pages, peak_kb, pid = message
    return pages, max(peak_kb, watch.peak_kb), pid


def _wait(receiver, child, watch, deadline, memory_mb):
    """The child's one message. A child whose resident memory passes ``memory_mb`` is killed from here, and so is
    one that outlives the wall clock; a child that dies first (RLIMIT_CPU) is the same clear error."""
    stopped = BulletinRenderError(
        _("生成公示栏 PDF 的进程超出限制（内存 %(mb)s MB 或时间）而停止。") % {"mb": memory_mb}
    )
    while True:
        if _resident_kb(child.pid) > memory_mb * 1024 or time.monotonic() > deadline:
            child.kill()
            raise stopped
        watch.sample(child.pid)
        if receiver.poll(POLL_SECONDS):
            break
        if not child.is_alive() and not receiver.poll(0):
            raise stopped
    try:
        return receiver.recv()
    except EOFError:
        raise stopped from None


def _resident_kb(pid):
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass  # gone already, or not Linux
    return 0


def warm_up():
    """Called once in the forkserver: import WeasyPrint and render one line of CJK text, so fontconfig and pango
    have loaded their caches and fonts before any child is forked (each child saved ~0.3 s, measured)."""
    from weasyprint import HTML

    HTML(string="<p style=\"font-family: 'Noto Sans CJK SC'\">公示</p>").write_pdf()


# ------------------------------------------------------------------------------------------- the child side


def _child(sender, html, first_page, target, base_url, seconds):
    """Runs in the child: limit its CPU time, render one part into ``target``, report pages, peak memory and pid.

    No RLIMIT_AS here (the parent watches the resident memory instead): when an allocation fails inside
    fontconfig, it takes the font cache for unreadable and writes an empty one for the system's font folders,
    which every process on the machine then reads (seen on the test machine with a 64 MB limit)."""
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        from weasyprint import CSS, HTML

        numbering = CSS(string=f"@page :first {{ counter-set: page {int(first_page)}; }}")
        document = HTML(string=html, base_url=base_url).render(stylesheets=[numbering])
        document.write_pdf(target)
        watch = _Watch()
        watch.sample("self")
        sender.send(("done", len(document.pages), watch.peak_kb, os.getpid()))
    except BaseException:
        sender.send(("failed", traceback.format_exc(limit=3).strip().splitlines()[-1][:300]))
    finally:
        sender.close()
