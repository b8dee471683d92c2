"""Reading the original code's data pickles without running code from them.

The reference stores its vocabulary (``captions.pickle``) and file lists
(``filenames.pickle``) as pickles of plain lists, dicts, strings and numbers.
:func:`load_plain_pickle` reads exactly that: an ordinary ``pickle.load`` would
also import and call whatever classes a doctored file names.
"""

from __future__ import annotations

import collections
import pickle
from typing import BinaryIO

__all__ = ["load_plain_pickle"]

#: Classes a plain-data pickle may need (Python 2 pickles of OrderedDict / defaultdict(int)).
_ALLOWED = {("collections", "OrderedDict"): collections.OrderedDict,
            ("collections", "defaultdict"): collections.defaultdict,
            ("builtins", "int"): int, ("__builtin__", "int"): int}


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: only lists, dicts, strings and numbers "
                f"are expected in this file") from None


def load_plain_pickle(f: BinaryIO):
    """``pickle.load`` for files of plain data (Python 2 strings decoded as latin-1).

    Raises ``pickle.UnpicklingError`` for a file that names any other class.
    """
    return _PlainUnpickler(f, encoding="latin1").load()
