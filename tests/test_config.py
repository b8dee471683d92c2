import json

import pytest

from attngan_tf.config import (AttnGANConfig, DiscriminatorConfig, GeneratorConfig, LossConfig,
                               TextConfig, get_preset, preset_names)


def test_birds_preset_matches_paper_config():
    cfg = get_preset("birds")
    assert (cfg.generator.gf_dim, cfg.discriminator.df_dim, cfg.generator.z_dim) == (32, 64, 100)
    assert cfg.generator.r_num == 2 and cfg.generator.branch_num == 3
    assert cfg.text.embedding_dim == 256 and cfg.generator.condition_dim == 100
    assert cfg.text.words_num == 18 and cfg.text.captions_per_image == 10
    assert cfg.text.word_dim == 300
    assert (cfg.loss.gamma1, cfg.loss.gamma2, cfg.loss.gamma3) == (4.0, 5.0, 10.0)
    assert cfg.loss.damsm_lambda == 5.0
    assert cfg.generator.image_sizes == (64, 128, 256)
    assert cfg.generator.reference_mask_quirk is False
    assert cfg.image_encoder.resize_align_corners is True


def test_coco_preset_differs_where_the_paper_does():
    birds, coco = get_preset("birds"), get_preset("coco")
    assert (coco.generator.gf_dim, coco.discriminator.df_dim, coco.generator.r_num) == (48, 96, 3)
    assert coco.text.words_num == 12 and coco.text.captions_per_image == 5
    assert coco.loss.damsm_lambda == 50.0
    assert coco.generator.z_dim == birds.generator.z_dim
    assert coco.loss.gamma1 == birds.loss.gamma1


@pytest.mark.parametrize("name", preset_names())
def test_presets_round_trip_through_json(name):
    cfg = get_preset(name)
    text = cfg.to_json()
    assert AttnGANConfig.from_json(text) == cfg
    assert AttnGANConfig.from_dict(json.loads(text)).to_dict() == cfg.to_dict()


def test_unknown_preset_lists_valid_names():
    with pytest.raises(ValueError, match="birds"):
        get_preset("flowers")


@pytest.mark.parametrize("cls, field, value", [
    (TextConfig, "vocab_size", 0),
    (TextConfig, "embedding_dim", 255),
    (TextConfig, "dropout", 1.5),
    (GeneratorConfig, "branch_num", 4),
    (GeneratorConfig, "gf_dim", -1),
    (GeneratorConfig, "reference_mask_quirk", "yes"),
    (LossConfig, "gamma1", 0),
])
def test_invalid_field_raises_value_error_naming_it(cls, field, value):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\.{field}"):
        cls(**{field: value})


def test_inconsistent_sections_are_rejected():
    cfg = get_preset("tiny")
    with pytest.raises(ValueError, match="generator.embedding_dim"):
        cfg.replace(generator=cfg.generator.replace(embedding_dim=64))
    with pytest.raises(ValueError, match="discriminator.branch_num"):
        cfg.replace(discriminator=cfg.discriminator.replace(branch_num=2))


def test_unknown_dict_field_is_rejected():
    data = get_preset("tiny").to_dict()
    data["generator"]["gf_dimm"] = 3
    with pytest.raises(ValueError, match="gf_dimm"):
        AttnGANConfig.from_dict(data)


def test_configs_are_frozen():
    cfg = get_preset("tiny")
    with pytest.raises(Exception):
        cfg.text.vocab_size = 3  # type: ignore[misc]


def test_synbirds_demo_preset_and_initial_size_checks():
    demo = get_preset("synbirds_demo")
    assert demo.name == "synbirds_demo" and demo.generator.image_sizes == (32, 64)
    assert demo.discriminator.initial_size == 32 and demo.image_encoder.image_size == 32
    assert get_preset("synbirds").generator.image_sizes == (64, 128, 256)
    assert get_preset("birds").generator.initial_size == 64  # the reference's
    with pytest.raises(ValueError, match="discriminator.initial_size: must equal"):
        demo.replace(discriminator=demo.discriminator.replace(initial_size=64))
    with pytest.raises(ValueError, match="GeneratorConfig.initial_size"):
        demo.generator.replace(initial_size=16)
    # Configurations written before the field existed load as 64 px.
    old = get_preset("birds").to_dict()
    del old["generator"]["initial_size"], old["discriminator"]["initial_size"]
    assert AttnGANConfig.from_dict(old) == get_preset("birds")


def test_attndcgan_fields_are_checked_and_older_files_still_load():
    assert GeneratorConfig(r_num=0).r_num == 0
    with pytest.raises(ValueError, match=r"GeneratorConfig\.r_num"):
        GeneratorConfig(r_num=-1)
    with pytest.raises(ValueError, match=r"DiscriminatorConfig\.unconditional"):
        DiscriminatorConfig(unconditional="no")
    tiny = get_preset("tiny")
    with pytest.raises(ValueError, match=r"discriminator\.single_image"):
        tiny.replace(generator=tiny.generator.replace(single_image=True))
    # a config.json written before these fields existed
    old = tiny.to_dict()
    for section, field in (("generator", "single_image"), ("discriminator", "single_image"),
                           ("discriminator", "unconditional")):
        del old[section][field]
    assert AttnGANConfig.from_dict(old) == tiny


def test_recipes_name_existing_presets_and_unknown_names_list_the_valid_ones():
    from attngan_tf.config import (DAMSM_PRESETS, EVAL_PRESETS, EvaluationConfig,
                                   get_damsm_preset, get_eval_preset)

    for recipe in [*DAMSM_PRESETS.values(), *EVAL_PRESETS.values()]:
        assert get_preset(recipe.model_preset)
    assert get_eval_preset("eval_coco").words_num == 20
    assert get_damsm_preset("damsm_coco").words_num == 15
    with pytest.raises(ValueError, match="eval_bird, eval_coco"):
        get_eval_preset("eval_flowers")
    with pytest.raises(ValueError, match="model_preset"):
        EvaluationConfig("flowers")
    with pytest.raises(ValueError, match="bird_attn2"):
        get_preset("flowers")
