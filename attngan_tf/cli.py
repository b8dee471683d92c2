"""The ``attngan`` command line.

Usage::

    attngan info --preset birds       # parameter counts of every network
    attngan parity FILE.npz           # compare with the original PyTorch outputs

Subcommands are the first positional argument; flags are absl flags.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from .config import get_preset, preset_names  # noqa: E402

FLAGS = flags.FLAGS

flags.DEFINE_enum("preset", "birds", list(preset_names()), "Configuration preset.")
flags.DEFINE_integer("vocab_size", None, "info: override the preset's vocabulary size.")
flags.DEFINE_boolean("quiet", False, "parity: print only the summary line.")


def _info(args: list[str]) -> int:
    """Prints the parameter count and a one-line summary of every network."""
    if args:
        raise app.UsageError(f"info takes no positional arguments, got {args}")
    from .info import describe

    config = get_preset(FLAGS.preset)
    if FLAGS.vocab_size is not None:
        config = config.replace(text=config.text.replace(vocab_size=FLAGS.vocab_size))
    print(f"preset {config.name}: vocabulary {config.text.vocab_size}, "
          f"{config.text.words_num} words/caption, embedding {config.text.embedding_dim}, "
          f"{config.generator.branch_num} stages")
    print(f"{'network':<22s} {'parameters':>12s}  summary")
    for net in describe(config):
        print(net.line())
    return 0


def _parity(args: list[str]) -> int:
    """Runs the parity check on a reference-vectors file."""
    if len(args) != 1:
        raise app.UsageError("usage: attngan parity FILE.npz")
    from .tools import parity

    return parity.run(args[0], verbose=not FLAGS.quiet)


COMMANDS = {
    "info": _info,
    "parity": _parity,
}


def _usage() -> str:
    lines = ["usage: attngan COMMAND [flags]", "", "commands:"]
    for name, fn in COMMANDS.items():
        lines.append(f"  {name:<10s} {fn.__doc__.strip().splitlines()[0]}")
    return "\n".join(lines)


def _main(argv: list[str]) -> int:
    if len(argv) < 2:
        raise app.UsageError(_usage())
    command, args = argv[1], argv[2:]
    if command not in COMMANDS:
        raise app.UsageError(f"unknown command {command!r}\n\n{_usage()}")
    return COMMANDS[command](args)


def main() -> None:
    """Console-script entry point (``attngan``)."""
    app.run(_main)


def run_subcommand(name: str, args: list[str]) -> None:
    """Runs one subcommand as if called as ``attngan NAME ARGS`` (exits)."""
    app.run(_main, argv=[sys.argv[0], name, *args])


if __name__ == "__main__":
    main()
