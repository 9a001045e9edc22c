"""PoolScope command line: the GUI by default, plus headless sub-commands.

    python main.py [--source SRC] [--model M] ...        the desktop explorer
    python main.py export --source SRC --out DIR ...     images, sheet, data, JSON; no display
    python main.py info --model M [--json]               shapes, params, MACs, RF, ms
    python main.py measure --source SRC --out DIR        shift, aliasing, flicker, cost: CSV
    python main.py bench --engine                        Engine.step against bare forwards
    python main.py ask QUESTION|all [--out DIR]          answers, as experiments, with figures
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

VARIANTS_DEFAULT = "max,avg,stride,blur"


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr, exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message}\n")


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _size(text: str) -> int | tuple[int, int]:
    try:
        if "x" in text.lower():
            h, w = text.lower().split("x")
            return int(h), int(w)
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 224 or 224x320)") from None


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not numbers: {text!r} (e.g. 0.5 or "
                                         "0.485,0.456,0.406)") from None


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {n}")
    return n


def _model_options(p: argparse.ArgumentParser, variants: str = VARIANTS_DEFAULT,
                   remembered: bool = False) -> None:
    """Network options; with ``remembered`` they default to None (the GUI's saved settings)."""
    p.add_argument("--model", default=None if remembered else "tiny",
                   help="built-in network: tiny (default), allcnn-c, vgg16, resnet18; or your "
                   "own: path/to/file.py:function or package.module:function (returns an "
                   "nn.Module)")
    p.add_argument("--variants", type=_csv, default=None if remembered else _csv(variants),
                   help=f"comma-separated downsampling variants (default {variants}; "
                   "also: plain = the network as written)")
    p.add_argument("--input-size", type=_size, default=None,
                   help="resolution the network sees, N or HxW (default: the network's own)")
    p.add_argument("--device", default=None if remembered else "auto",
                   help="auto (CUDA, then MPS, then CPU), cpu, cuda, mps")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    p.add_argument("--weights", default=None,
                   help="weights file for the network (a state dict, loaded safely), or "
                   "'imagenet' for the published VGG-16 / ResNet-18 weights (downloaded once)")
    p.add_argument("--trained", default=None, metavar="DIR",
                   help="checkpoints made by `train` (MODEL-VARIANT.pt): each variant gets its "
                   "own trained weights")
    p.add_argument("--fit", choices=("crop", "squash", "letterbox"), default=None,
                   help="how a frame of another shape goes in: crop its centre (default), "
                   "squash it whole, or letterbox it")
    p.add_argument("--circular", action="store_true",
                   help="build every conv and pool with circular padding (exact equivariance "
                        "at multiples of each layer's stride)")
    p.add_argument("--mean", type=_floats, default=None,
                   help="input mean of a user model, one value or one per channel (0.5)")
    p.add_argument("--std", type=_floats, default=None,
                   help="input std of a user model, one value or one per channel (0.5)")
    p.add_argument("--threads", type=_positive, default=None,
                   help="CPU threads for torch and OpenCV (default: every core; the window "
                        "and bench --gui leave one core to the display)")


def build_parser() -> argparse.ArgumentParser:
    from engine.sources.openers import describe_sources

    parser = OneLineParser(prog="poolscope", description="See and measure why CNNs downsample "
                           "with pooling or strided convolution.", epilog=describe_sources())
    parser.add_argument("--source", default=None,
                        help="camera, camera:N, a file or folder, or pattern:NAME "
                        "(default: the last one used, else the webcam if one opens, else "
                        "pattern:shapes)")
    _model_options(parser, remembered=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)

    ex = sub.add_parser("export", help="write mosaics, the side-by-side sheet, data and a "
                        "JSON record for frames of a source, with no display",
                        epilog=describe_sources())
    ex.add_argument("--source", required=True, help="camera[:N], file, folder or pattern:NAME")
    ex.add_argument("--out", required=True, help="folder; each export goes into a new "
                    "date-time sub-folder")
    _model_options(ex)
    ex.add_argument("--layers", type=_csv, default=None,
                    help="comma-separated layer names (default: all; see `info`)")
    ex.add_argument("--frames", type=_positive, default=1, help="frames to export (default 1)")
    ex.add_argument("--npz", action="store_true", help="also save float activations (.npz)")
    ex.add_argument("--video", action="store_true", help="the labelled sheet of every frame "
                    "into one video, sheets.mp4 (H.264 where imageio-ffmpeg is installed)")
    ex.add_argument("--norm", default="shared", choices=("shared", "layer", "channel"),
                    help="mosaic normalisation (default shared: one range across variants)")
    ex.add_argument("--cmap", default="viridis",
                    help="colour map: viridis, magma, inferno, grey, coolwarm (diverging)")
    ex.add_argument("--gamma", type=float, default=0.5,
                    help="display gamma of the colour map, as in the GUI (default 0.5; 1 is "
                    "linear)")

    tr = sub.add_parser("train", help="train each variant separately on the synthetic "
                        "dataset; a table of accuracy, consistency, params and MACs")
    tr.add_argument("--model", default="tiny", help="built-in network (default tiny)")
    tr.add_argument("--variants", type=_csv, default=_csv(VARIANTS_DEFAULT + ",learned"),
                    help="variants to train (default max,avg,stride,blur,learned)")
    tr.add_argument("--dataset", default="synthetic",
                    help="synthetic (generated, seeded; the default) or a folder with one "
                    "sub-folder of images per class (every fifth image held out)")
    tr.add_argument("--epochs", type=_positive, default=3)
    tr.add_argument("--out", default="checkpoints", help="folder for the checkpoints")
    tr.add_argument("--input-size", type=_positive, default=64)
    tr.add_argument("--train-size", type=_positive, default=6000)
    tr.add_argument("--test-size", type=_positive, default=1200)
    tr.add_argument("--batch", type=_positive, default=64)
    tr.add_argument("--lr", type=float, default=1e-3)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--fresh", action="store_true", help="start over instead of resuming")
    tr.add_argument("--slim", action="store_true",
                    help="leave the optimiser state out of the final checkpoints (to ship them)")

    info = sub.add_parser("info", help="per variant and layer: shape, params, MACs, "
                          "receptive field and jump")
    _model_options(info, variants="plain," + VARIANTS_DEFAULT)
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    info.add_argument("--no-timing", action="store_true",
                      help="skip the measured milliseconds per layer (a few forward passes)")

    me = sub.add_parser("measure", help="measure shift equivariance, aliasing, flicker, "
                        "consistency and cost per variant and layer; save them as CSV")
    me.add_argument("--source", required=True, help="camera[:N], file, folder or pattern:NAME")
    me.add_argument("--out", required=True, help="folder; each run goes into a new "
                    "sub-folder named by date and time")
    me.add_argument("--layers", type=_csv, default=None,
                    help="comma-separated rows (default: all)")
    me.add_argument("--frames", type=_positive, default=10, help="frames to measure (default 10)")
    _model_options(me)

    ak = sub.add_parser("ask", help="answer a question about pooling and stride with an "
                        "experiment run now: numbers, figures and a verdict (--list: which)")
    ak.add_argument("question", nargs="?", help="a question (see --list), or all")
    ak.add_argument("--list", action="store_true", help="list the questions")
    ak.add_argument("--source", default=None, help="a photo, video or pattern:NAME instead of "
                    "the synthetic held-out set")
    ak.add_argument("--out", default=None, help="folder: each run goes into a new date-time "
                    "sub-folder with answers.json, the figures and index.html (the report)")
    ak.add_argument("--samples", type=_positive, default=32,
                    help="images (or pairs of them) a statistic is taken over (default 32)")
    ak.add_argument("--matrix", default=None, help='calculator: rows by ";", values by ",", '
                    'e.g. "1,3,2,4;5,6,1,2;0,1,3,1;2,4,5,2" (the default)')
    for opt, default in (("--kernel", 2), ("--stride", 2), ("--padding", 0)):
        ak.add_argument(opt, type=int, default=default, help=f"calculator (default {default})")
    _model_options(ak, variants="max,avg,stride,blur,learned")

    bench = sub.add_parser("bench", help="measure speed")
    what = bench.add_mutually_exclusive_group()
    what.add_argument("--engine", action="store_true",
                      help="Engine.step against the bare forward passes (the default)")
    what.add_argument("--gui", action="store_true",
                      help="frames displayed by the window (offscreen) against the engine alone")
    _model_options(bench)
    bench.add_argument("--seconds", type=float, default=10.0, help="measuring time")
    bench.add_argument("--max-side", type=int, default=None,
                       help="shrink mosaics to fit N pixels (as the live display does)")
    bench.add_argument("--frames", type=_positive, default=None,
                       help="with --gui: run until this many frames were displayed")
    bench.add_argument("--no-measures", action="store_true",
                       help="with --gui: live measures off (on by default, as in the window)")
    return parser


def cmd_export(args) -> int:
    from engine import Engine, config_from_args
    from engine.output.exporting import export_command

    return export_command(Engine(config_from_args(args)), args.source, args.out, args.frames,
                          npz=args.npz, video=args.video)


def cmd_measure(args) -> int:
    from engine import Engine, config_from_args
    from engine.output.export import new_export_dir
    from engine.output.records import format_summary, run_record, summarise, write_csv, write_json
    from engine.sources.frames import EndOfStream
    from engine.sources.openers import open_source

    engine = Engine(config_from_args(args))
    rows, records = [], []
    with open_source(args.source, realtime=False) as src:
        for _ in range(args.frames):
            try:
                frame = src.read()
            except EndOfStream:
                break
            result = engine.step(frame)
            m = engine.measure()
            rows += m.rows(result.frame_index)
            records.append(m)
    if not records:
        print(f"poolscope: error: {args.source}: no frame to measure", file=sys.stderr)
        return 2
    folder = new_export_dir(args.out)
    write_csv(folder / "measures.csv", rows)
    summary = summarise(rows)
    layers = [ly.name for ly in engine.layers]
    write_json(folder / "measures.json", run_record(engine, args.source, records, summary))
    print(format_summary(summary, engine.variant_names, layers))
    print(f"measured {len(records)} frame{'s' * (len(records) != 1)} of {args.source}: "
          f"{len(rows)} values in {folder / 'measures.csv'}")
    return 0


def cmd_train(args) -> int:
    from engine.train.train import train_variants

    train_variants(args.model, args.variants, args.out, args.epochs, args.dataset,
                   args.input_size, args.train_size, args.test_size, args.batch, args.lr,
                   args.seed, resume=not args.fresh, slim=args.slim)
    return 0


def cmd_info(args) -> int:
    from engine.device import set_host_threads
    from engine.network.info import network_info
    from engine.network.load import load_network
    from engine.output.info_table import format_info, info_json

    set_host_threads(args.threads)
    net = load_network(args.model, args.variants, args.input_size, args.seed, args.weights,
                       args.mean, args.std, trained=args.trained, circular=args.circular)
    info = network_info(net)
    if not args.no_timing:
        from engine.bench import add_timings

        add_timings(info, net, args.device)
    print(info_json(info) if args.json else format_info(info))
    return 0


def cmd_ask(args) -> int:
    from engine.answers.base import Setup
    from engine.answers.report import command
    from engine.device import set_host_threads

    set_host_threads(args.threads)
    setup = Setup(model=args.model, weights=args.weights, trained=args.trained,
                  source=args.source, variants=tuple(args.variants), input_size=args.input_size,
                  samples=args.samples, seed=args.seed, circular=args.circular, matrix=args.matrix,
                  kernel=args.kernel, stride=args.stride, padding=args.padding)
    return command(None if args.list else args.question, setup, args.out)


def cmd_bench(args) -> int:
    from dataclasses import replace

    from engine import config_from_args

    config = config_from_args(args)
    if args.gui:
        from engine.device import display_threads
        from gui.app import MEASURE_EVERY
        from gui.bench import bench_gui

        config = replace(config, measure_every=0 if args.no_measures else MEASURE_EVERY,
                         threads=args.threads or display_threads())  # as the window runs it
        bench_gui(config, seconds=args.seconds, frames=args.frames)
    else:
        from engine.bench import bench_engine

        bench_engine(config, seconds=args.seconds)
    return 0


def cmd_gui(args) -> int:
    from gui.app import run

    return run(args)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python main.py`` and the ``poolscope`` command."""
    args = build_parser().parse_args(argv)
    from engine.errors import PoolScopeError

    commands = {"export": cmd_export, "info": cmd_info, "bench": cmd_bench, "train": cmd_train,
                "measure": cmd_measure, "ask": cmd_ask, None: cmd_gui}
    try:
        return commands[args.command](args)
    except PoolScopeError as e:
        print(f"poolscope: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
