"""`corpusgate classifier train|eval|list`: build and measure the fastText harm classifiers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

_TRAIN_EPILOG = """\
examples:
  # rebuild every shipped model from the shared data into ./models
  corpusgate classifier train --model all --data ../shared/data --out models

  # rebuild one model in place (the command each model card records)
  corpusgate classifier train --model zh_sexism_swsr_v2 --data ../shared/data --out configs/models

Training is single-threaded with fixed seeds, so the same data gives the same model and the
same metrics. The card written beside each model records data hashes, split, hyperparameters,
dev metrics and false-positive rates on identity templates and clean Wikipedia text.
"""

_EVAL_EPILOG = """\
examples:
  # the model's own dev split (needs the shared data folder)
  corpusgate classifier eval zh_offensive_cold_v2

  # your own labelled data: a CSV or JSONL file with a text column and a 0/1 label column
  corpusgate classifier eval en_hate_offensive_davidson_v3 --data mine.jsonl \\
      --text-column body --label-column is_toxic --json

Positive (1) means harmful. Precision, recall and F1 are for the harmful class; specificity
is the true-negative rate. Exit code 2 when the file has a bad row (named by line).
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "classifier",
        help="train and evaluate the fastText harm classifiers",
        description=(
            "Train the project's fastText harm classifiers (B.1.4) on labelled data and "
            "evaluate any model on any labelled CSV/JSONL file."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run `corpusgate classifier train --help` or `... eval --help` for examples.",
    )
    actions = parser.add_subparsers(dest="classifier_command", metavar="ACTION")
    parser.set_defaults(handler=_no_action(parser))

    train = actions.add_parser(
        "train",
        help="train models from their recipes",
        description=(
            "Train, quantise and evaluate the named model (or all) from its recipe, writing "
            "NAME.ftz and NAME.card.yaml into --out."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_TRAIN_EPILOG,
    )
    train.add_argument("--model", default="all", help="a recipe name, or 'all' (default)")
    train.add_argument(
        "--data",
        type=Path,
        help="shared data folder (default: $CORPUSGATE_SHARED_DATA or "
        "../shared/data beside the repository)",
    )
    train.add_argument("--out", type=Path, default=Path("models"), help="output folder")
    train.add_argument("--json", action="store_true", help="print the cards as one JSON document")
    train.set_defaults(handler=_train)

    ev = actions.add_parser(
        "eval",
        help="precision, recall, F1 and accuracy of a model on labelled data",
        description=(
            "Score every row of a labelled file with MODEL (a shipped model name or a path to "
            "a .ftz with its .card.yaml beside it) and compare with the 0/1 labels."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_EVAL_EPILOG,
    )
    ev.add_argument("model", metavar="MODEL", help="shipped model name or path to a .ftz")
    ev.add_argument("--data", type=Path, help="CSV or JSONL file (default: the model's dev split)")
    ev.add_argument("--text-column", default="text", help="text column (default: text)")
    ev.add_argument("--label-column", default="label", help="0/1 label column (default: label)")
    ev.add_argument("--json", action="store_true", help="print one JSON document")
    ev.set_defaults(handler=_eval)

    lst = actions.add_parser(
        "list",
        help="shipped models with their Appendix A codes and dev metrics",
        description="List the models shipped in corpusgate.configs/models.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  corpusgate classifier list --json\n",
    )
    lst.add_argument("--json", action="store_true", help="print one JSON document")
    lst.set_defaults(handler=_list)


def _no_action(parser: argparse.ArgumentParser) -> Any:
    def handler(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return handler


def _data_dir(given: Path | None) -> Path:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.training import default_data_dir

    path = given if given is not None else default_data_dir()
    if path is None or not path.is_dir():
        raise CliError(
            f"data folder {given or '../shared/data'} not found; pass --data DIR or set "
            "CORPUSGATE_SHARED_DATA"
        )
    return path


def _train(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.training import RECIPES, train_isolated

    if args.model == "all":
        names = list(RECIPES)
    elif args.model in RECIPES:
        names = [args.model]
    else:
        raise CliError(f"unknown model {args.model!r}; recipes: {', '.join(RECIPES)}, all")
    data_dir = _data_dir(args.data)
    cards = []
    for name in names:
        print(f"training {name} ...", file=sys.stderr, flush=True)
        try:
            card = train_isolated(name, data_dir, args.out)
        except ValueError as err:
            raise CliError(str(err)) from None
        cards.append(card)
        dev = card["metrics"]["dev"]
        if not args.json:
            print(
                f"{name}: {card['model_file']['size_bytes']} bytes, dev accuracy "
                f"{dev['accuracy']:.4f} F1 {dev['f1']:.4f} -> {args.out / name}.ftz"
            )
    if args.json:
        print(json.dumps({"models": cards}, ensure_ascii=False))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.classifier import (
        HarmClassifier,
        evaluate,
        load_labelled,
        resolve_model,
    )
    from corpusgate.transforms.harm.training import RECIPES, recipe_rows

    try:
        model = HarmClassifier.load(resolve_model(args.model))
    except ValueError as err:
        raise CliError(str(err)) from None
    try:
        if args.data is not None:
            rows = load_labelled(args.data, args.text_column, args.label_column)
            source = str(args.data)
        else:
            recipe = RECIPES.get(model.name)
            if recipe is None:
                raise CliError(
                    f"model {model.name!r} has no recipe, so no default dev split; pass --data FILE"
                )
            rows = recipe_rows(recipe, _data_dir(None), "dev")
            source = f"{recipe.dataset} dev split ({model.card.get('split', {}).get('method')})"
    except ValueError as err:
        raise CliError(str(err)) from None
    metrics = evaluate(model, rows)
    result = {
        "model": model.name,
        "data": source,
        "threshold": model.threshold,
        **metrics.as_dict(),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"model      {model.name} (threshold {model.threshold})")
        print(f"data       {source}")
        print(
            f"rows       {metrics.n} (tp {metrics.tp} fp {metrics.fp} "
            f"tn {metrics.tn} fn {metrics.fn})"
        )
        for key in ("precision", "recall", "f1", "accuracy", "specificity"):
            print(f"{key:<10} {result[key]:.4f}")
    return 0


def _list(args: argparse.Namespace) -> int:
    import yaml

    from corpusgate.transforms.harm.classifier import (
        card_path_for,
        shipped_model_names,
        shipped_models_dir,
    )

    models = []
    for name in shipped_model_names():
        card_path = card_path_for(shipped_models_dir() / f"{name}.ftz")
        card = yaml.safe_load(card_path.read_text(encoding="utf-8")) if card_path.is_file() else {}
        dev = card.get("metrics", {}).get("dev", {})
        models.append(
            {
                "name": name,
                "language": card.get("language"),
                "appendix_a": card.get("appendix_a", []),
                "dev_accuracy": dev.get("accuracy"),
                "dev_f1": dev.get("f1"),
            }
        )
    if args.json:
        print(json.dumps({"models": models}, ensure_ascii=False))
    else:
        for m in models:
            print(
                f"{m['name']:<34} {m['language'] or '?':<3} acc {m['dev_accuracy']} "
                f"f1 {m['dev_f1']}  {' '.join(m['appendix_a'])}"
            )
    return 0
