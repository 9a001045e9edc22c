"""Engine settings from the command line, written once for every command and the window."""

import main as cli
from engine.session.config import config_from_args


def test_each_command_s_options_reach_the_config():
    args = cli.build_parser().parse_args(
        ["export", "--source", "x.png", "--out", "o", "--cmap", "magma", "--gamma", "0.7",
         "--norm", "channel", "--layers", "a,b", "--variants", "max,blur", "--input-size",
         "64", "--circular", "--threads", "1"])
    cfg = config_from_args(args)
    assert (cfg.colormap, cfg.gamma, cfg.norm, cfg.layers) == ("magma", 0.7, "channel",
                                                               ("a", "b"))
    assert cfg.variants == ("max", "blur") and cfg.input_size == 64
    assert cfg.circular and cfg.threads == 1 and cfg.max_side is None
    bench = config_from_args(cli.build_parser().parse_args(["bench", "--max-side", "96"]))
    assert bench.max_side == 96 and bench.variants == ("max", "avg", "stride", "blur")


def test_given_options_win_over_the_fallback_and_fixed_fields_over_both():
    args = cli.build_parser().parse_args(["--model", "vgg16"])   # the window's own options
    cfg = config_from_args(args, {"model": "tiny", "device": "cpu", "variants": ("max",)},
                           max_side=384)
    assert (cfg.model, cfg.device, cfg.variants, cfg.max_side) == ("vgg16", "cpu", ("max",),
                                                                   384)
    cfg = config_from_args(object(), {"model": "tiny"})
    assert cfg.model == "tiny" and cfg.device == "auto"           # nothing given: defaults
