"""The ``linkwork`` command: a thin shell over the library.

Each command parses its arguments, calls one library function and formats what comes back.
No statistics and no SQL live here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from linkwork import __version__
from linkwork.errors import LinkworkError

__all__ = ["app", "main"]

app = typer.Typer(
    name="linkwork",
    help="Link worker social prescribing: instruments, data checks and evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


def _table(frame: pd.DataFrame, title: str | None = None, digits: int = 2) -> Table:
    """Render a tidy table for the terminal (rounding only here, never in results)."""
    table = Table(title=title, show_lines=False)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if isinstance(value, float):
                cells.append("" if pd.isna(value) else f"{value:.{digits}f}")
            else:
                cells.append("" if value is None or value is pd.NA else str(value))
        table.add_row(*cells)
    return table


@app.command("version")
def version() -> None:
    """Print linkwork's version."""
    console.print(__version__)


@app.command("instruments")
def list_instruments() -> None:
    """List the instruments linkwork can score."""
    from linkwork import instruments

    console.print(_table(instruments.table(), title="Instruments"))


@app.command("score")
def score(
    name: Annotated[str, typer.Argument(help="Instrument name (see `linkwork instruments`).")],
    file: Annotated[Path, typer.Argument(help="CSV, Excel, SPSS or Stata file with item columns.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write the scores to.")],
    max_missing: Annotated[
        int | None,
        typer.Option(help="Prorate scores with at most this many missing items."),
    ] = None,
    coding: Annotated[
        str | None,
        typer.Option(help="Response coding where an instrument has options (K6: 0-4, 1-5)."),
    ] = None,
) -> None:
    """Score one instrument for every row of FILE and write the scores as CSV."""
    from linkwork import instruments, io

    frame = io.read_table(file)
    result = instruments.score(name, frame, max_missing=max_missing, coding=coding)
    scores = result.to_frame(name) if isinstance(result, pd.Series) else result
    keys = [c for c in ("participant_id", "wave") if c in frame.columns]
    output = pd.concat([frame[keys], scores], axis=1)
    output.to_csv(out, index=False)
    prorated = result.attrs.get("n_prorated", 0)
    missing = result.attrs.get("n_missing", 0)
    console.print(
        f"Scored {name} for {len(output)} rows -> {out} ({prorated} prorated, {missing} missing)"
    )


@app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="Data file in any format `linkwork.read` takes.")],
) -> None:
    """Check a data file against the long format and print a data-quality summary."""
    from linkwork import io

    report = io.validate_file(file)
    for title, table in report.tables().items():
        console.print(_table(table, title=title))
    if not report.ok:
        for problem in report.errors:
            errors.print(f"[red]error[/red] {problem}")
        errors.print(f"{len(report.errors)} error(s) in {file}")
        raise typer.Exit(code=1)
    console.print(f"[green]{file}: no errors[/green]")


def _evaluate_to(
    data: object, out: Path, plan: Path | None = None, engine: dict[str, Any] | None = None
) -> None:
    """Run the evaluation with a progress display, write DIR and print the summary.

    With *engine* (keyword arguments of :func:`linkwork.scale.evaluate_sql`), the rows stay in
    that engine.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from linkwork.evaluation import evaluate

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task("Evaluating", total=None)

        def progress(message: str, done: int, total: int) -> None:
            bar.update(task, description=message, completed=done, total=total)

        if engine is None:
            evaluation = evaluate(data, plan, progress=progress)  # type: ignore[arg-type]
        else:
            from linkwork.scale import evaluate_sql

            evaluation = evaluate_sql(data, plan, progress=progress, **engine)
        bar.update(task, description="Writing outputs")
        written = evaluation.write(out)
    console.print(evaluation.summary(), markup=False, highlight=False, soft_wrap=True)
    report = out / "report.html"
    where = f"{report} and {out / 'tables'}/" if report in written else f"{out}/"
    console.print(
        f"Wrote {len(written)} files: {where}", markup=False, highlight=False, soft_wrap=True
    )


@app.command("evaluate")
def evaluate_command(
    input: Annotated[
        str,
        typer.Argument(
            help="Long data in any format `linkwork.read` takes. With --engine: a Parquet/CSV "
            "path or glob, a DuckDB database file (with --table), a PostgreSQL URL (with "
            "--table) or, for Spark, a path/glob (or -, with --table).",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the outputs to.")],
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="Analysis plan (TOML; see `linkwork plan --init`)."),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="Leave the rows where they are and compute in this engine: duckdb, "
            "postgres or spark (default: read the data into memory).",
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option("--table", help="With --engine: the table or view to evaluate."),
    ] = None,
    schema: Annotated[
        str | None, typer.Option("--schema", help="With --engine postgres: the table's schema.")
    ] = None,
    master: Annotated[
        str | None,
        typer.Option(
            "--master",
            help="With --engine spark: the Spark master (e.g. local[4], spark://host:7077, "
            "yarn); default: the session's configuration (spark-submit) or local.",
        ),
    ] = None,
) -> None:
    """Evaluate a programme's data: report.html, results.json and tables/*.csv in OUT."""
    if engine is None:
        if table or schema or master:
            errors.print("[red]linkwork:[/red] --table, --schema and --master need --engine")
            raise typer.Exit(code=2)
        _evaluate_to(Path(input), out, plan)
        return
    options: dict[str, Any] = {"engine": engine, "table": table, "schema": schema}
    if engine == "spark":
        from linkwork.scale.spark_engine import spark_session

        options["spark"] = spark_session(master) if master else None
    _evaluate_to(input, out, plan, options)


@app.command("demo")
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write the outputs to.")
    ] = Path("demo-output"),
) -> None:
    """Evaluate the bundled synthetic demo cohort (64 participants, 3 waves) into OUT."""
    from linkwork.datasets import demo_cohort

    _evaluate_to(demo_cohort(), out)


@app.command("plan")
def plan_command(
    path: Annotated[
        Path | None,
        typer.Argument(help="Plan file to write (with --init) or to check."),
    ] = None,
    init: Annotated[
        bool, typer.Option("--init", help="Write the default plan, with comments, to PATH.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH with --init.")] = False,
) -> None:
    """Write the default analysis plan (--init) or check a plan file and print it resolved."""
    from linkwork.evaluation import default_plan_text, load_plan

    if init:
        target = path or Path("analysis-plan.toml")
        if target.exists() and not force:
            errors.print(f"[red]linkwork:[/red] {target} exists; use --force to overwrite it")
            raise typer.Exit(code=1)
        target.write_text(default_plan_text(), encoding="utf-8")
        console.print(f"Wrote the default analysis plan to {target}", markup=False)
        return
    if path is None:
        errors.print("[red]linkwork:[/red] give a plan file to check, or --init to write one")
        raise typer.Exit(code=2)
    console.print(load_plan(path).to_toml(), markup=False, highlight=False)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the synthetic demo cohort into the database.")
    ] = False,
) -> None:
    """Run the programme app (SQLite in LINKWORK_DATA_DIR, or LINKWORK_DATABASE_URL)."""
    from linkwork import web

    console.print(f"linkwork serving on http://{host}:{port}/ (Ctrl+C to stop)", markup=False)
    web.serve(host=host, port=port, demo=demo)


@app.command("createuser")
def createuser(
    name: Annotated[str, typer.Argument(help="User name to sign in with.")],
    role: Annotated[str, typer.Option(help="admin, link_worker or evaluator.")],
    site: Annotated[str | None, typer.Option(help="Site code (required for link workers).")] = None,
) -> None:
    """Make an account; the password is read from standard input when it is not a terminal."""
    from linkwork import web
    from linkwork.web.runtime import password_from_lines

    if sys.stdin.isatty():
        import getpass

        text = getpass.getpass("Password: ") + "\n" + getpass.getpass("Password (again): ")
    else:
        text = sys.stdin.read()
    web.create_user(name, role, password_from_lines(text), site=site)
    console.print(f"Created {role} {name}" + (f" at site {site}" if site else ""), markup=False)


@app.command("simulate")
def simulate_command(
    participants: Annotated[
        int, typer.Option("--participants", "-n", help="Number of participants (x 3 waves).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Empty folder for the Parquet parts.")],
    seed: Annotated[int, typer.Option(help="Seed of the random streams.")] = 1,
    chunk: Annotated[
        int, typer.Option(help="Participants per Parquet file (bounds the memory used).")
    ] = 1_000_000,
) -> None:
    """Write a synthetic score-level cohort (WEMWBS, T1-T3, two arms) to Parquet in chunks."""
    from linkwork.scale.simulate import write_scores

    files = write_scores(out, participants, seed=seed, chunk=chunk)
    console.print(
        f"Wrote {participants} participants to {len(files)} Parquet file(s) in {out}",
        markup=False,
    )


def main() -> None:
    """Entry point of the console script: input errors are one clear line, exit code 2."""
    try:
        app()
    except LinkworkError as error:
        errors.print(f"[red]linkwork:[/red] {error}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    main()
