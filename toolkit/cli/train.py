"""``kgtool train MODEL``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import click
from click.core import ParameterSource

from toolkit.cli.common import open_graph, parse_params, print_table
from toolkit.train.choices import (AGGREGATE_LEVELS, CENTER_MODES, CONSENSUS_METHODS, CONTROL_NAMES,
                                   DEFAULT_AGGREGATE, DEFAULT_CENTER, DEFAULT_CONTROL, DEFAULT_QC,
                                   EXPRESSION_CONTROL_NAMES, EXPRESSION_PREDICT, QC_MODES)

SPLITS = ["cold_compound", "random", "scaffold", "cold_cell"]
_ALIASES = {"param": "params", "split": "split_kind"}  # flag name -> option name where they differ
_NOT_IN_FILE = {"model", "config_file"}


def read_config(path: Path, known: Mapping[str, click.Parameter], ctx: click.Context) -> dict[str, Any]:
    """A JSON object whose keys are the flags' names (``batch_size`` or ``batch-size``); ``params``
    (or ``param``) is an object of model hyper-parameters."""
    from toolkit.errors import ConfigError

    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the training config ({exc}); pass a JSON object") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the training config must be a JSON object of flag names to values")
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = _ALIASES.get(key.replace("-", "_"), key.replace("-", "_"))
        if name not in known or name in _NOT_IN_FILE:
            allowed = sorted({v: k for k, v in _ALIASES.items()}.get(k, k) for k in known if k not in _NOT_IN_FILE)
            raise ConfigError(f"{path}: unknown key {key!r}; known: {', '.join(allowed)}")
        if name == "params":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: 'params' must be an object of hyper-parameters")
            out[name] = dict(value)
            continue
        try:
            out[name] = known[name].type_cast_value(ctx, value)
        except click.BadParameter as exc:
            raise ConfigError(f"{path}: {key}: {exc.format_message()}") from None
    return out


@click.command("train")
@click.argument("model")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file with the same keys as these flags; flags given here override it.")
@click.option("--epochs", default=60, show_default=True)
@click.option("--batch-size", default=64, show_default=True)
@click.option("--lr", default=1e-3, show_default=True)
@click.option("--weight-decay", default=1e-4, show_default=True)
@click.option("--patience", default=10, show_default=True,
              help="Early stopping: epochs without a better validation compound macro-F1 (ties: loss); "
                   "--param select=loss stops and selects on the validation loss alone.")
@click.option("--seed", default=0, show_default=True)
@click.option("--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"]))
@click.option("--amp", is_flag=True, help="Mixed precision on CUDA (ignored on CPU); sets the param amp=true.")
@click.option("--split", "split_kind", default="cold_compound", show_default=True, type=click.Choice(SPLITS))
@click.option("--split-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TSV with header pert_id<TAB>split (train/valid/test) fixing each compound's side; "
                   "compounds not listed are neither trained on nor evaluated (split 'unlabelled').")
@click.option("--test-fraction", default=0.25, show_default=True)
@click.option("--k-folds", default=0, show_default=True, help="Also cross-validate on k folds (0: off).")
@click.option("--aggregate", default=DEFAULT_AGGREGATE, show_default=True, type=click.Choice(AGGREGATE_LEVELS),
              help="Samples: one consensus per compound and cell line, per compound, or none (each "
                   "signature); compound scores pool a compound's samples by mean log-probability.")
@click.option("--consensus", default="modz", show_default=True, type=click.Choice(CONSENSUS_METHODS),
              help="How --aggregate folds signatures: MODZ weights (CMap Level 5) or the mean.")
@click.option("--signatures", default="auto", show_default=True, type=click.Choice(["auto", "signature", "consensus"]),
              help="Train on loaded signatures or on the consensus ones of `kgtool load --consensus` "
                   "(auto: the loaded ones when the graph has both).")
@click.option("--qc", default=DEFAULT_QC, show_default=True, type=click.Choice(QC_MODES),
              help="QC filter on the signatures' qc_pass: auto drops qc_pass=false when the graph has it, "
                   "pass keeps qc_pass=true only (required), none keeps all.")
@click.option("--center", default=DEFAULT_CENTER, show_default=True, type=click.Choice(CENTER_MODES),
              help="cell: subtract each cell line's per-gene median over all its signatures (label-free, "
                   "CMap-style per-cell normalisation); none: values as loaded.")
@click.option("--control", default=DEFAULT_CONTROL, show_default=True,
              type=click.Choice(list(dict.fromkeys(CONTROL_NAMES + EXPRESSION_CONTROL_NAMES))),
              help="Knowledge control: fit on the STRING graph rewired, GO annotations shuffled or training "
                   "labels shuffled (evaluation keeps the truth); expression models also: drug_shuffled "
                   "(structures permuted among the training compounds).")
@click.option("--predict-level", default="compound", show_default=True,
              type=click.Choice(["compound", "signature", "both"]),
              help="Write predictions per compound, per signature, or both.")
@click.option("--predict-pairs", default="auto", show_default=True, type=click.Choice(EXPRESSION_PREDICT),
              help="Expression models: write predictions for every compound with a structure in every training "
                   "cell line (grid), for the measured pairs only (samples), or none; auto: the grid up to "
                   "100,000 pairs, else the measured pairs.")
@click.option("--top-genes", default=25, show_default=True,
              help="Expression models: PREDICTED_EFFECT edges per direction per compound and cell line.")
@click.option("--go-min-genes", default=3, show_default=True, help="Context: smallest GO term kept.")
@click.option("--go-max-genes", default=300, show_default=True, help="Context: largest GO term kept.")
@click.option("--no-cache", is_flag=True, help="Re-read the graph instead of using the snapshot cache.")
@click.option("--param", "params", multiple=True, help="Model hyper-parameter key=value (repeatable).")
@click.pass_context
def command(ctx: click.Context, model: str, config_file: Path | None, **options: Any) -> None:
    """Train a model plugin on the graph's signatures and write its predictions back."""
    from toolkit import plugins
    from toolkit.errors import ConfigError
    from toolkit.models import TrainConfig
    from toolkit.tasks import Task, task_of
    from toolkit.train.pipeline import train

    values = resolve_options(ctx, config_file, options)
    config = TrainConfig(epochs=values["epochs"], batch_size=values["batch_size"], lr=values["lr"],
                         weight_decay=values["weight_decay"], patience=values["patience"], seed=values["seed"],
                         device=values["device"], params=values["params"])
    if task_of(plugins.registry().get("models", model)) is Task.EXPRESSION:
        run = train_expression(ctx, model, config, values)
        print_table([{"metric": k, "value": v} for k, v in sorted(run.metrics.items())])
        click.echo(f"run: {run.run_id}")
        return
    for name, default in EXPRESSION_ONLY.items():
        if values[name] != default:
            raise ConfigError(f"--{name.replace('_', '-')} applies to expression models; {model!r} is an MoA model: "
                              "drop the flag")
    with open_graph(ctx) as graph:
        run = train(graph, ctx.find_root().obj, model, config, values["split_kind"], values["test_fraction"],
                    k_folds=values["k_folds"], use_cache=not values["no_cache"],
                    go_min_genes=values["go_min_genes"], go_max_genes=values["go_max_genes"],
                    aggregate=values["aggregate"], consensus=values["consensus"],
                    predict_level=values["predict_level"], signatures=values["signatures"], qc=values["qc"],
                    center=values["center"], split_file=values["split_file"], control=values["control"])
    rows = [{"metric": k, "value": v} for k, v in sorted(run.metrics.items()) if not k.endswith("_std")]
    print_table(rows)
    click.echo(f"run: {run.run_id}")


MOA_ONLY = {"k_folds": 0, "aggregate": DEFAULT_AGGREGATE, "predict_level": "compound"}
EXPRESSION_ONLY = {"predict_pairs": "auto", "top_genes": 25}


def train_expression(ctx: click.Context, model: str, config: Any, values: Mapping[str, Any]) -> Any:
    """An expression model's run (:mod:`toolkit.expression.pipeline`): its samples are always one
    consensus per compound and cell line, so the MoA-only flags must keep their defaults."""
    from toolkit.errors import ConfigError
    from toolkit.expression.pipeline import ExpressionRunOptions
    from toolkit.expression.pipeline import train_expression as run_expression

    for name, default in MOA_ONLY.items():
        if values[name] != default:
            raise ConfigError(f"--{name.replace('_', '-')} applies to MoA models; {model!r} is an expression model "
                              "(its samples are one consensus per compound and cell line): drop the flag")
    options = ExpressionRunOptions(split=values["split_kind"], test_fraction=values["test_fraction"],
                                   control=values["control"], predict=values["predict_pairs"],
                                   top_genes=values["top_genes"],
                                   split_file=str(values["split_file"]) if values["split_file"] else None)
    with open_graph(ctx) as graph:
        return run_expression(graph, ctx.find_root().obj, model, config, options, use_cache=not values["no_cache"],
                              signatures=values["signatures"], qc=values["qc"], center=values["center"],
                              consensus=values["consensus"], go_min_genes=values["go_min_genes"],
                              go_max_genes=values["go_max_genes"])


def resolve_options(ctx: click.Context, config_file: Path | None, options: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults < config file < flags given on the command line."""
    known = {p.name: p for p in command.params if p.name}
    values = dict(options)
    from_file = read_config(config_file, known, ctx) if config_file else {}
    file_params = from_file.pop("params", {})
    for name, value in from_file.items():
        if ctx.get_parameter_source(name) in (ParameterSource.DEFAULT, None):
            values[name] = value
    values["params"] = {**file_params, **parse_params(options.get("params") or ())}
    if values.pop("amp", False):
        values["params"].setdefault("amp", True)
    return values
