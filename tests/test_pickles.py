import collections
import pickle

import pytest

from attngan_tf.pickles import load_plain_pickle
from attngan_tf.text.vocabulary import Vocabulary


class _Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_plain_data_loads_in_every_protocol(tmp_path):
    data = [[[1, 2, 3]], [[4]], {0: "<end>", 1: "red"},
            collections.OrderedDict([("<end>", 0), ("red", 1)])]
    for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
        with open(tmp_path / "p.pickle", "wb") as f:
            pickle.dump(data, f, protocol=protocol)
        with open(tmp_path / "p.pickle", "rb") as f:
            assert load_plain_pickle(f) == data


def test_a_pickle_naming_a_callable_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "captions.pickle"
    with open(path, "wb") as f:
        pickle.dump([[], [], {0: "<end>"}, {"<end>": 0}, _Payload(marker)], f, protocol=2)
    with open(path, "rb") as f, pytest.raises(pickle.UnpicklingError, match="refusing"):
        load_plain_pickle(f)
    with pytest.raises(ValueError, match="not a reference captions.pickle"):
        Vocabulary.from_reference_pickle(path)
    assert not marker.exists()
