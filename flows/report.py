"""The report flow: writes the ministry's build-out report and publishes its summary.

``build-report`` (run name ``report · <as_of>``) renders the report for the end of ``as_of``
(default: today in domain time) into ``output`` (default: the dashboard's report folder,
``VERBUND_REPORT_DIR`` or ``berichte/`` beside the SQLite file, named ``stand-<as_of>-<alle|region>.<format>``
so the dashboard lists it) and publishes the summary as a markdown artifact ``report-summary-<region|alle>``.
Deployable on a schedule (``deployments/specs.py``); ``output`` may contain ``{as_of}``,
``{format}`` and ``{scope}`` so that scheduled runs do not overwrite each other.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed

from verbund.flows.naming import run_tags, tag_current_run
from verbund.flows.runtime import get_app
from verbund.services.app.clock import local_date
from verbund.services.readmodels.report_files import report_folder
from verbund.services.report import check_format, parse_day, summary_markdown, write_report

DEFAULT_OUTPUT = "stand-{as_of}-{scope}.{format}"


def output_path(output: str | None, as_of: str, fmt: str, region: str | None = None) -> Path:
    """``output`` with ``{as_of}``/``{format}``/``{scope}`` filled in; by default the dashboard's report
    folder under the name it lists (``stand-<as_of>-<alle|region>.<format>``)."""
    template = output or str(report_folder(get_app()) / DEFAULT_OUTPUT)
    filled = template.replace("{as_of}", as_of).replace("{format}", fmt).replace("{scope}", region or "alle")
    path = Path(filled).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@task(task_run_name="write-report · {as_of}")
async def write(
    as_of: str, fmt: str, output: str, region: str | None, compare_to: str | None
) -> dict[str, Any]:
    """Build, render and write the report (in a thread: it reads the database and draws charts)."""
    day = parse_day(as_of, "as_of")
    other = parse_day(compare_to, "compare_to") if compare_to else None
    report = await asyncio.to_thread(write_report, get_app(), day, fmt, Path(output), region=region,
                                     compare_to=other)
    return {"output": output, "summary": summary_markdown(report), "networks": report.figures.total.networks}


@flow(name="build-report", flow_run_name="report · {as_of}", log_prints=True)
async def build_report(
    as_of: str | None = None,
    format: str = "pdf",  # named like the CLI's --format
    output: str | None = None,
    region: str | None = None,
    compare_to: str | None = None,
) -> State[Any]:
    """Write the report for the end of ``as_of`` (YYYY-MM-DD) and publish its summary."""
    await tag_current_run(run_tags("report", region))
    day = as_of or local_date(get_app().now()).isoformat()
    fmt = check_format(format)
    path = output_path(output, day, fmt, region)
    result = await write(day, fmt, str(path), region, compare_to)
    key = f"report-summary-{region or 'alle'}"
    await acreate_markdown_artifact(
        markdown=result["summary"] + f"\nDatei: `{path.name}` ({fmt})\n",
        key=key,
        description=f"Stand des Aufbaus der Kooperationsverbünde zum {day}",
    )
    print(f"Bericht geschrieben: {path}")
    return Completed(name="ReportWritten", data=result,
                     message=f"Bericht zum {day} ({fmt}, {result['networks']} Verbünde): {path}")
