"""``kgtool plugins``."""

from __future__ import annotations

import json
from dataclasses import asdict

import click


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def command(as_json: bool) -> None:
    """List every loaded plugin and what it registers."""
    from toolkit.plugins import describe, registry
    from toolkit.tasks import task_of

    infos = describe()
    if as_json:
        click.echo(json.dumps([asdict(i) for i in infos], indent=2))
        return
    for info in infos:
        what = "; ".join(f"{section}: {', '.join(names)}" for section, names in info.registers.items()) or "-"
        click.echo(f"{info.name}  ({info.distribution} {info.version}, {info.module})")
        click.echo(f"    registers {what}")
        tasks = sorted({task_of(registry().items["models"][m]).value for m in info.registers.get("models", [])})
        if tasks:
            click.echo(f"    tasks     {', '.join(tasks)}")
        acquisitions = info.registers.get("acquisitions", [])
        if acquisitions:  # anchor-drug strategies: which ask the model, which use structure / MoAs only
            needs = {a: registry().items["acquisitions"][a].needs_model for a in acquisitions}
            click.echo(f"    model     {', '.join(a for a in acquisitions if needs[a]) or '-'}")
            click.echo(f"    no model  {', '.join(a for a in acquisitions if not needs[a]) or '-'}")
        click.echo(f"    hooks     {', '.join(info.hooks)}")
