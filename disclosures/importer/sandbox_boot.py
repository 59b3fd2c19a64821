"""Imported once, by the sandbox's forkserver (never by the web process): Django is set up there, so that each
child forked to read a file starts ready in milliseconds instead of paying for ``django.setup()`` itself."""

import django

try:
    django.setup()
    from . import readers, sandbox  # noqa: F401  (loaded once here, shared by every child)
except Exception:  # noqa: BLE001  a child that finds Django not ready sets it up itself and reports what fails
    pass

try:  # the same forkserver forks the bulletin renderer's children (one forkserver per process): WeasyPrint too
    from .. import bulletin_child

    bulletin_child.warm_up()
except Exception:  # noqa: BLE001  a renderer child then imports WeasyPrint itself (slower, same result)
    pass
