"""Optional extension points between apps (demo data, village page sections)."""

import importlib
import importlib.util


def optional_hook(dotted):
    """The callable at ``module.attr``, or None when that module does not exist.

    A module that exists but fails to import raises, so real errors are never hidden.
    """
    module_name, _, attr = dotted.rpartition(".")
    if importlib.util.find_spec(module_name) is None:
        return None
    return getattr(importlib.import_module(module_name), attr, None)
