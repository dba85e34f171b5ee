"""`fairdf demo [--out DIR]`: the whole job on built-in synthetic data, in minutes on a CPU."""

from __future__ import annotations

import argparse

from fairdf.commands.argtypes import bounded


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="fairdf-demo", help="output folder (default fairdf-demo)")
    parser.add_argument(
        "--n", type=bounded("demo --n"), default=1200, help="number of synthetic images"
    )
    parser.add_argument(
        "--epochs", type=bounded("demo --epochs"), help="training epochs (default from the config)"
    )
    parser.add_argument(
        "--seed", type=bounded("--seed"), default=0, help="seed of the synthetic data"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a value of the demo config, e.g. --set optim.sam=false",
    )

    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the output of an earlier demo in --out (its checkpoint included)",
    )
    parser.add_argument(
        "--threads",
        type=bounded("demo --threads"),
        help="CPU threads (default: the cores idle right now, 1 to 4)",
    )


def run(args: argparse.Namespace) -> int:
    from fairdf.demo import run_demo
    from fairdf.errors import ConfigError
    from fairdf.paths import check_output_folder

    if args.threads is not None and args.threads < 1:
        raise ConfigError(f"--threads {args.threads}: give 1 or more")
    check_output_folder(args.out, "--out")
    result = run_demo(
        args.out,
        n_images=args.n,
        epochs=args.epochs,
        seed=args.seed,
        overrides=args.overrides,
        threads=args.threads,
        overwrite=args.overwrite,
    )
    print(result.tables)
    print(
        f"\ndemo finished in {result.seconds:.0f} s: test AUC {100 * result.auc:.2f}%; "
        f"results in {result.out}"
    )
    return 0
