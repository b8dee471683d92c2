"""Configuration of the AttnGAN model family.

Every network takes one frozen dataclass describing its architecture. The
dataclasses nest into :class:`AttnGANConfig`, which also checks that the parts
agree with each other (for example that the text and image embeddings have the
same size). Configurations round-trip through plain dictionaries, so they can be
stored as JSON next to checkpoints and inside ``.keras`` files.

Presets follow the original release's YAML files:

* ``birds``  -- ``cfg/bird_attn2.yml`` + ``cfg/DAMSM/bird.yml`` (CUB-200-2011);
  alias ``bird_attn2``.
* ``bird_attndcgan2`` -- ``cfg/bird_attnDCGAN2.yml``: AttnDCGAN (one image,
  one discriminator without the unconditional head).
* ``coco``   -- ``cfg/coco_attn2.yml`` + ``cfg/DAMSM/coco.yml`` (COCO-2014);
  alias ``coco_attn2``.
* ``tiny``   -- a small configuration for tests and CPU demos.
* ``synbirds`` -- the built-in SynBirds data on a CPU (three stages, 256 px).
* ``synbirds_demo`` -- ``attngan demo``'s: SynBirds in two stages of 32 and 64 px.
* ``reference_small`` -- the configuration of ``shared/reference_vectors``.

The original's DAMSM pretraining files (``cfg/DAMSM/bird.yml``, ``coco.yml``)
are :data:`DAMSM_PRESETS` (``damsm_bird``, ``damsm_coco``), its evaluation
files (``cfg/eval_*.yml``) :data:`EVAL_PRESETS` (``eval_bird``, ``eval_coco``,
``eval_bird_attndcgan2``).

Names follow the paper where it names things (``embedding_dim`` is the paper's
D, ``condition_dim`` the size of the conditioning-augmentation code); the
original configuration key is given in each field's comment.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping

__all__ = [
    "DemoRun",
    "TextConfig",
    "ImageEncoderConfig",
    "GeneratorConfig",
    "DiscriminatorConfig",
    "LossConfig",
    "AttnGANConfig",
    "PRESETS",
    "PRESET_ALIASES",
    "INITIAL_SIZES",
    "get_preset",
    "preset_names",
    "DamsmTrainingConfig",
    "DAMSM_PRESETS",
    "get_damsm_preset",
    "EvaluationConfig",
    "EVAL_PRESETS",
    "get_eval_preset",
]


#: Allowed sides of the first stage's image (the reference's 64, or 32 for small CPU runs).
INITIAL_SIZES = (32, 64)


def _require(condition: bool, cls_name: str, field: str, message: str) -> None:
    if not condition:
        raise ValueError(f"{cls_name}.{field}: {message}")


def _positive(obj: Any, *fields: str, integer: bool = True) -> None:
    types = int if integer else (int, float)
    kind = "integer" if integer else "number"
    for field in fields:
        value = getattr(obj, field)
        _require(isinstance(value, types) and not isinstance(value, bool) and value > 0,
                 type(obj).__name__, field, f"must be a positive {kind}, got {value!r}")


def _is_bool(obj: Any, *fields: str) -> None:
    for field in fields:
        value = getattr(obj, field)
        _require(
            isinstance(value, bool),
            type(obj).__name__,
            field,
            f"must be a bool, got {value!r}",
        )


class _DictMixin:
    """``to_dict``/``from_dict`` for flat frozen dataclasses."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]):
        if not isinstance(values, Mapping):
            raise ValueError(f"{cls.__name__}: expected a mapping, got {type(values).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown field(s) {', '.join(unknown)}")
        return cls(**dict(values))

    def replace(self, **changes):
        """Returns a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)


@dataclasses.dataclass(frozen=True)
class TextConfig(_DictMixin):
    """Bi-LSTM text encoder (the reference's ``RNN_ENCODER``)."""

    vocab_size: int = 5450  # number of token ids, id 0 = padding / <end>
    words_num: int = 18  # TEXT.WORDS_NUM: caption length T, padding included
    embedding_dim: int = 256  # TEXT.EMBEDDING_DIM (nef): words_emb / sent_emb size
    word_dim: int = 300  # size of the word embedding fed to the LSTM (ninput)
    dropout: float = 0.5  # dropout after the word embedding, training only
    captions_per_image: int = 10  # TEXT.CAPTIONS_PER_IMAGE

    def __post_init__(self):
        _positive(self, "vocab_size", "words_num", "embedding_dim", "word_dim",
                  "captions_per_image")
        _require(self.vocab_size >= 2, "TextConfig", "vocab_size",
                 f"needs the padding id and at least one word, got {self.vocab_size}")
        _require(self.embedding_dim % 2 == 0, "TextConfig", "embedding_dim",
                 f"must be even (two LSTM directions of embedding_dim/2), got {self.embedding_dim}")
        _require(isinstance(self.dropout, (int, float)) and 0.0 <= self.dropout < 1.0,
                 "TextConfig", "dropout", f"must be in [0, 1), got {self.dropout!r}")


@dataclasses.dataclass(frozen=True)
class ImageEncoderConfig(_DictMixin):
    """Image encoder of DAMSM (the reference's ``CNN_ENCODER``).

    ``trunk="inception_v3"`` is the paper's: images resized to 299 px, a
    frozen Inception-v3 (pretrained weights from a local file), 17×17 regions.
    ``trunk="small_cnn"`` is a built-in five-layer CNN for small images
    (``image_size`` px, regions at 1/8 of that), meant to be trained from
    scratch on a CPU when no pretrained Inception weights are available.
    """

    embedding_dim: int = 256  # nef: size of region_features and cnn_code
    # The released DAMSM was trained with torch<=0.3 bilinear upsampling, which
    # torch>=0.4 calls align_corners=True. False = half-pixel centres.
    resize_align_corners: bool = True
    image_size: int = 299  # input size the trunk sees (Inception-v3: 299)
    trunk: str = "inception_v3"  # "inception_v3" or "small_cnn"
    train_trunk: bool = False  # train the trunk too (the reference keeps Inception frozen)
    trunk_width: int = 32  # small_cnn: channels of the first layer (doubling per layer)

    def __post_init__(self):
        _positive(self, "embedding_dim", "image_size", "trunk_width")
        _is_bool(self, "resize_align_corners", "train_trunk")
        _require(self.trunk in ("inception_v3", "small_cnn"), "ImageEncoderConfig", "trunk",
                 f"must be 'inception_v3' or 'small_cnn', got {self.trunk!r}")
        if self.trunk == "inception_v3":
            _require(self.image_size >= 75, "ImageEncoderConfig", "image_size",
                     f"Inception-v3 needs at least 75 px, got {self.image_size}")
        else:
            _require(self.image_size >= 32 and self.image_size % 8 == 0, "ImageEncoderConfig",
                     "image_size", f"small_cnn needs a multiple of 8, >= 32, got {self.image_size}")


@dataclasses.dataclass(frozen=True)
class GeneratorConfig(_DictMixin):
    """Attentional multi-stage generator (the reference's ``G_NET``)."""

    gf_dim: int = 32  # GAN.GF_DIM (ngf)
    z_dim: int = 100  # GAN.Z_DIM
    condition_dim: int = 100  # GAN.CONDITION_DIM
    embedding_dim: int = 256  # nef, must match the text encoder
    r_num: int = 2  # GAN.R_NUM: residual blocks per refinement stage (0: none)
    branch_num: int = 3  # TREE.BRANCH_NUM: 1..3 stages of 64, 128, 256 px
    # GAN.B_DCGAN: the AttnDCGAN variant (the reference's G_DCGAN): the stages
    # hand on only their hidden code and one image is drawn, by the last stage.
    single_image: bool = False
    # Side of the first stage's image (the reference: 64; 32 halves every stage's
    # size -- 32, 64, 128 px -- with one up-block fewer in the first stage).
    initial_size: int = 64
    # Reproduce the reference's mis-tiled attention padding mask (pixel p of
    # sample b uses the mask of sample (b*h*w + p) mod B). Needed to reproduce
    # models trained by the original code, such as its released weights.
    reference_mask_quirk: bool = False

    def __post_init__(self):
        _positive(self, "gf_dim", "z_dim", "condition_dim", "embedding_dim", "branch_num")
        _require(isinstance(self.r_num, int) and not isinstance(self.r_num, bool)
                 and self.r_num >= 0, "GeneratorConfig", "r_num",
                 f"must be a non-negative integer, got {self.r_num!r}")
        _require(1 <= self.branch_num <= 3, "GeneratorConfig", "branch_num",
                 f"must be 1, 2 or 3, got {self.branch_num}")
        _is_bool(self, "reference_mask_quirk", "single_image")
        _require(self.initial_size in INITIAL_SIZES, "GeneratorConfig", "initial_size",
                 f"must be one of {INITIAL_SIZES}, got {self.initial_size!r}")

    @property
    def image_sizes(self) -> tuple[int, ...]:
        """Side length of each stage's hidden code (and image, unless ``single_image``)."""
        return tuple(self.initial_size * 2**i for i in range(self.branch_num))

    @property
    def output_sizes(self) -> tuple[int, ...]:
        """Side length of each image the generator returns (one per discriminator)."""
        return self.image_sizes[-1:] if self.single_image else self.image_sizes


@dataclasses.dataclass(frozen=True)
class DiscriminatorConfig(_DictMixin):
    """Per-scale discriminators (the reference's ``D_NET64/128/256``)."""

    df_dim: int = 64  # GAN.DF_DIM (ndf)
    embedding_dim: int = 256  # nef: size of the sentence condition
    branch_num: int = 3  # one discriminator per generator stage
    initial_size: int = 64  # image side of the first discriminator (the generator's)
    # AttnDCGAN (GAN.B_DCGAN): one discriminator, for the last stage's image size.
    single_image: bool = False
    # The reference's b_jcu: an unconditional real/fake head next to the
    # conditional one (False for AttnDCGAN's D_NET256(b_jcu=False)).
    unconditional: bool = True

    def __post_init__(self):
        _positive(self, "df_dim", "embedding_dim", "branch_num")
        _is_bool(self, "single_image", "unconditional")
        _require(1 <= self.branch_num <= 3, "DiscriminatorConfig", "branch_num",
                 f"must be 1, 2 or 3, got {self.branch_num}")
        _require(self.initial_size in INITIAL_SIZES, "DiscriminatorConfig", "initial_size",
                 f"must be one of {INITIAL_SIZES}, got {self.initial_size!r}")


@dataclasses.dataclass(frozen=True)
class LossConfig(_DictMixin):
    """Weights of the DAMSM and generator losses (TRAIN.SMOOTH.*)."""

    gamma1: float = 4.0  # attention sharpness over regions (Eq. 9)
    gamma2: float = 5.0  # word-level aggregation (Eq. 10)
    gamma3: float = 10.0  # matching-score smoothing (Eq. 11)
    damsm_lambda: float = 5.0  # LAMBDA: weight of the DAMSM loss in the G loss

    def __post_init__(self):
        _positive(self, "gamma1", "gamma2", "gamma3", integer=False)
        _require(isinstance(self.damsm_lambda, (int, float)) and self.damsm_lambda >= 0,
                 "LossConfig", "damsm_lambda", f"must be >= 0, got {self.damsm_lambda!r}")


_SECTIONS = {
    "text": TextConfig,
    "image_encoder": ImageEncoderConfig,
    "generator": GeneratorConfig,
    "discriminator": DiscriminatorConfig,
    "loss": LossConfig,
}


@dataclasses.dataclass(frozen=True)
class AttnGANConfig:
    """Complete configuration: all networks and the loss weights.

    Checks on construction that the embedding sizes and branch counts of the
    parts agree. ``to_dict``/``from_dict``/``to_json``/``from_json`` round-trip.
    """

    name: str = "birds"
    text: TextConfig = dataclasses.field(default_factory=TextConfig)
    image_encoder: ImageEncoderConfig = dataclasses.field(default_factory=ImageEncoderConfig)
    generator: GeneratorConfig = dataclasses.field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = dataclasses.field(default_factory=DiscriminatorConfig)
    loss: LossConfig = dataclasses.field(default_factory=LossConfig)

    def __post_init__(self):
        _require(isinstance(self.name, str) and bool(self.name), "AttnGANConfig", "name",
                 f"must be a non-empty string, got {self.name!r}")
        for field, cls in _SECTIONS.items():
            value = getattr(self, field)
            _require(isinstance(value, cls), "AttnGANConfig", field,
                     f"must be a {cls.__name__}, got {type(value).__name__}")
        nef = self.text.embedding_dim
        for field in ("image_encoder", "generator", "discriminator"):
            other = getattr(self, field).embedding_dim
            _require(other == nef, "AttnGANConfig", f"{field}.embedding_dim",
                     f"must equal text.embedding_dim ({nef}), got {other}")
        for field in ("branch_num", "initial_size", "single_image"):
            mine, theirs = getattr(self.discriminator, field), getattr(self.generator, field)
            _require(mine == theirs, "AttnGANConfig", f"discriminator.{field}",
                     f"must equal generator.{field} ({theirs}), got {mine}")

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"name": self.name}
        for field in _SECTIONS:
            out[field] = getattr(self, field).to_dict()
        return out

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "AttnGANConfig":
        if not isinstance(values, Mapping):
            raise ValueError(f"AttnGANConfig: expected a mapping, got {type(values).__name__}")
        unknown = sorted(set(values) - set(_SECTIONS) - {"name"})
        if unknown:
            raise ValueError(f"AttnGANConfig: unknown field(s) {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        if "name" in values:
            kwargs["name"] = values["name"]
        for field, section in _SECTIONS.items():
            if field in values:
                kwargs[field] = section.from_dict(values[field])
        return cls(**kwargs)

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> "AttnGANConfig":
        return cls.from_dict(json.loads(text))

    def replace(self, **changes) -> "AttnGANConfig":
        """Returns a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def build(cls, name: str, *, vocab_size: int, words_num: int, captions_per_image: int,
              embedding_dim: int, gf_dim: int, df_dim: int, z_dim: int, condition_dim: int,
              r_num: int, branch_num: int, gamma1: float = 4.0, gamma2: float = 5.0,
              gamma3: float = 10.0, damsm_lambda: float = 5.0, word_dim: int = 300,
              reference_mask_quirk: bool = False,
              resize_align_corners: bool = True) -> "AttnGANConfig":
        """Builds a consistent config from the flat hyper-parameters of the paper."""
        return cls(
            name=name,
            text=TextConfig(vocab_size=vocab_size, words_num=words_num,
                            embedding_dim=embedding_dim, word_dim=word_dim,
                            captions_per_image=captions_per_image),
            image_encoder=ImageEncoderConfig(embedding_dim=embedding_dim,
                                             resize_align_corners=resize_align_corners),
            generator=GeneratorConfig(gf_dim=gf_dim, z_dim=z_dim, condition_dim=condition_dim,
                                      embedding_dim=embedding_dim, r_num=r_num,
                                      branch_num=branch_num,
                                      reference_mask_quirk=reference_mask_quirk),
            discriminator=DiscriminatorConfig(df_dim=df_dim, embedding_dim=embedding_dim,
                                              branch_num=branch_num),
            loss=LossConfig(gamma1=gamma1, gamma2=gamma2, gamma3=gamma3,
                            damsm_lambda=damsm_lambda),
        )


def _synbirds_preset() -> AttnGANConfig:
    config = AttnGANConfig.build(
        "synbirds", vocab_size=128, words_num=18, captions_per_image=10, embedding_dim=128,
        gf_dim=16, df_dim=16, z_dim=32, condition_dim=32, r_num=1, branch_num=3, word_dim=128)
    # A 96-word vocabulary where every word matters: lighter dropout than 0.5.
    return config.replace(text=config.text.replace(dropout=0.2))


def _bird_attndcgan2() -> AttnGANConfig:
    config = AttnGANConfig.build(
        "bird_attndcgan2", vocab_size=5450, words_num=18, captions_per_image=10,
        embedding_dim=256, gf_dim=32, df_dim=64, z_dim=100, condition_dim=100, r_num=0,
        branch_num=3, damsm_lambda=1.0)
    return config.replace(
        generator=config.generator.replace(single_image=True),
        discriminator=config.discriminator.replace(single_image=True, unconditional=False))


PRESETS: dict[str, AttnGANConfig] = {
    # cfg/bird_attn2.yml; vocabulary of the CUB captions (5,450 incl. <end>).
    "birds": AttnGANConfig.build(
        "birds", vocab_size=5450, words_num=18, captions_per_image=10, embedding_dim=256,
        gf_dim=32, df_dim=64, z_dim=100, condition_dim=100, r_num=2, branch_num=3,
        damsm_lambda=5.0),
    # cfg/bird_attnDCGAN2.yml: AttnDCGAN. The stages hand on only their hidden
    # code (no residual blocks, R_NUM 0) and one 256 px image is drawn, judged
    # by one D_NET256 without the unconditional head (b_jcu=False); LAMBDA 1.
    "bird_attndcgan2": _bird_attndcgan2(),
    # cfg/coco_attn2.yml; vocabulary of the COCO-2014 captions (27,297 incl. <end>).
    "coco": AttnGANConfig.build(
        "coco", vocab_size=27297, words_num=12, captions_per_image=5, embedding_dim=256,
        gf_dim=48, df_dim=96, z_dim=100, condition_dim=100, r_num=3, branch_num=3,
        damsm_lambda=50.0),
    # Small networks for tests and CPU demos (all three stages, narrow layers).
    "tiny": AttnGANConfig.build(
        "tiny", vocab_size=128, words_num=12, captions_per_image=10, embedding_dim=32,
        gf_dim=8, df_dim=8, z_dim=16, condition_dim=16, r_num=1, branch_num=3),
    # SynBirds on a CPU: small text space, the built-in CNN image encoder trained
    # from scratch at 64 px; vocab_size is replaced by the data's vocabulary size.
    "synbirds": _synbirds_preset().replace(image_encoder=ImageEncoderConfig(
            embedding_dim=128, image_size=64, trunk="small_cnn", train_trunk=True,
            trunk_width=32)),
    # The demo's (attngan demo): SynBirds in two stages of 32 and 64 px, the image
    # encoder's CNN at 32 px -- what learns within minutes on 2 CPU cores (the
    # learning curves in BENCHMARKS.md).
    "synbirds_demo": _synbirds_preset().replace(
        name="synbirds_demo",
        image_encoder=ImageEncoderConfig(embedding_dim=128, image_size=32, trunk="small_cnn",
                                         train_trunk=True, trunk_width=32),
        generator=_synbirds_preset().generator.replace(branch_num=2, initial_size=32),
        discriminator=_synbirds_preset().discriminator.replace(branch_num=2, initial_size=32)),
    # The configuration of shared/reference_vectors/attngan_small.npz.
    "reference_small": AttnGANConfig.build(
        "reference_small", vocab_size=50, words_num=12, captions_per_image=10,
        embedding_dim=32, gf_dim=8, df_dim=8, z_dim=16, condition_dim=16, r_num=1,
        branch_num=3),
}


#: The original's file names of the configurations above (``code/cfg/NAME.yml``).
PRESET_ALIASES: dict[str, str] = {"bird_attn2": "birds", "coco_attn2": "coco"}


def preset_names(aliases: bool = False) -> tuple[str, ...]:
    """Names of the model presets (with ``aliases``: also :data:`PRESET_ALIASES`)."""
    return tuple(PRESETS) + (tuple(PRESET_ALIASES) if aliases else ())


def get_preset(name: str) -> AttnGANConfig:
    """Returns the named preset (or alias); raises ``ValueError`` listing the valid names."""
    try:
        return PRESETS[PRESET_ALIASES.get(name, name)]
    except (KeyError, TypeError):
        raise ValueError(f"unknown preset {name!r}; choose one of "
                         f"{', '.join(preset_names(aliases=True))}") from None


# ---------------------------------------------------------------------------
# Recipes of the original's other configuration files


@dataclasses.dataclass(frozen=True)
class DamsmTrainingConfig(_DictMixin):
    """DAMSM pretraining (``code/cfg/DAMSM/*.yml``): what ``train-damsm`` runs.

    The networks are the model preset's text and image encoders; this holds
    the run's settings. ``attngan train-damsm --recipe NAME`` uses them (flags
    given explicitly win).
    """

    model_preset: str  # the networks (text and image encoder sections)
    epochs: int = 600  # TRAIN.MAX_EPOCH
    batch_size: int = 48  # TRAIN.BATCH_SIZE
    learning_rate: float = 2e-3  # TRAIN.ENCODER_LR (x0.98 per epoch, as the reference)
    text_grad_clip: float = 0.25  # TRAIN.RNN_GRAD_CLIP (global norm, text encoder)
    words_num: int = 18  # TEXT.WORDS_NUM: caption length while training
    snapshot_interval: int = 50  # TRAIN.SNAPSHOT_INTERVAL (epochs; ours checkpoint every epoch)

    def __post_init__(self):
        _require(self.model_preset in PRESETS, "DamsmTrainingConfig", "model_preset",
                 f"unknown preset {self.model_preset!r}")
        _positive(self, "epochs", "batch_size", "words_num", "snapshot_interval")
        _positive(self, "learning_rate", "text_grad_clip", integer=False)


#: ``cfg/DAMSM/bird.yml`` and ``cfg/DAMSM/coco.yml``.
DAMSM_PRESETS: dict[str, DamsmTrainingConfig] = {
    "damsm_bird": DamsmTrainingConfig("birds", words_num=18, snapshot_interval=50),
    "damsm_coco": DamsmTrainingConfig("coco", words_num=15, snapshot_interval=5),
}


@dataclasses.dataclass(frozen=True)
class EvaluationConfig(_DictMixin):
    """Sampling a trained model on the data set's example captions (``code/cfg/eval_*.yml``).

    ``attngan sample --model DIR --recipe NAME --data-dir DATA`` reads
    ``DATA/<captions>`` (one caption file per line, ``DATA/<line>.txt``) and
    draws every caption of every file, ``batch_size`` at a time, captions cut
    to ``words_num`` known words.
    """

    model_preset: str  # the architecture the released generator has
    batch_size: int = 100  # TRAIN.BATCH_SIZE
    words_num: int = 25  # TEXT.WORDS_NUM: longest caption sampled
    captions: str = "example_filenames.txt"  # list of caption files, under the data directory
    net_g: str = "bird_AttnGAN2.pth"  # TRAIN.NET_G: the release's generator file
    net_e: str = "text_encoder200.pth"  # TRAIN.NET_E: the release's text encoder file

    def __post_init__(self):
        _require(self.model_preset in PRESETS, "EvaluationConfig", "model_preset",
                 f"unknown preset {self.model_preset!r}")
        _positive(self, "batch_size", "words_num")


#: ``cfg/eval_bird.yml``, ``cfg/eval_coco.yml`` and ``cfg/eval_bird_attnDCGAN2.yml``.
EVAL_PRESETS: dict[str, EvaluationConfig] = {
    "eval_bird": EvaluationConfig("birds", words_num=25, net_g="bird_AttnGAN2.pth"),
    "eval_coco": EvaluationConfig("coco", words_num=20, net_g="coco_AttnGAN2.pth",
                                  net_e="text_encoder100.pth"),
    "eval_bird_attndcgan2": EvaluationConfig("bird_attndcgan2", words_num=25,
                                             net_g="bird_AttnDCGAN2.pth"),
}


def _named(table: Mapping[str, Any], kind: str, name: str):
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown {kind} {name!r}; choose one of {', '.join(table)}") from None


def get_damsm_preset(name: str) -> DamsmTrainingConfig:
    """The named DAMSM pretraining recipe (:data:`DAMSM_PRESETS`)."""
    return _named(DAMSM_PRESETS, "DAMSM recipe", name)


def get_eval_preset(name: str) -> EvaluationConfig:
    """The named evaluation (sampling) recipe (:data:`EVAL_PRESETS`)."""
    return _named(EVAL_PRESETS, "evaluation recipe", name)


@dataclasses.dataclass(frozen=True)
class DemoRun:
    """Options of ``attngan demo`` (:func:`attngan_tf.training.demo.run_demo`; the
    command's flags). Defaults: the recipe chosen from the learning curves
    (BENCHMARKS.md, "Learning curves")."""

    out: str
    data_dir: str | None = None
    damsm_minutes: float = 3.0
    gan_minutes: float = 8.0
    gan_batch_size: int = 8
    gan_steps_per_epoch: int = 20
    preset: str = "synbirds_demo"  # 2 stages, 32 and 64 px: what learns within the budget
    g_learning_rate: float = 1e-3  # 5x the reference's: faster early progress (the curves)
    d_learning_rate: float = 1e-3
    samples: int = 200  # test captions drawn and scored
    attention_figures: int = 4
    seed: int = 0
    verbose: int = 1
    synbirds: dict | None = None  # SynBirds options (num_train, num_test, ...)
    # SynBirds is rendered at this size (twice the demo's 64 px; faster to render and
    # decode than the library's default 256 px).
    image_size: int = 128
