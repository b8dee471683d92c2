"""Keras layers and models built from one configuration dataclass (:mod:`attngan_tf.config`).

Also :data:`PACKAGE`, the package name every serialisable class of
``attngan_tf`` registers under (``keras.saving.register_keras_serializable``):
saved models name their classes ``attngan_tf>ClassName``.
"""

from __future__ import annotations

import keras

#: Keras serialisation package of every registered class in ``attngan_tf``.
PACKAGE = "attngan_tf"


class _ConfigMixin:
    """Takes one config dataclass (or its dict form) and serialises it as a dict.

    Subclasses set ``config_class``.
    """

    config_class: type = type(None)

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        if isinstance(config, dict):
            config = self.config_class.from_dict(config)
        if not isinstance(config, self.config_class):
            raise ValueError(f"config: expected a {self.config_class.__name__}, "
                             f"got {type(config).__name__}")
        self.config = config

    def get_config(self):
        return {**super().get_config(), "config": self.config.to_dict()}


class ConfigLayer(_ConfigMixin, keras.layers.Layer):
    """A layer built from one config dataclass."""


class ConfigModel(_ConfigMixin, keras.Model):
    """Base of the public models: built from one config dataclass.

    ``build()`` creates every weight from the config alone (input shapes are
    not needed), which is also how a ``.keras`` file is rebuilt before its
    weights are loaded.
    """

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(cls.config_class.from_dict(config.pop("config")), **config)

    def build_from_config(self, config):
        self.build()
