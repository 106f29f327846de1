"""What every dashboard request reads (``services.access.page_view``) finds the time of the stored
forecasts, ``max(forecastentry.computed_at)``, through its index, not by reading the table (one row
per network: 400 in the dashboard benchmark), on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select, text

from verbund.domain.forecast_cache import ForecastEntry
from verbund.services.access import page_view
from verbund.services.app.bootstrap import App

pytestmark = pytest.mark.sqlite_and_postgresql  # app: on SQLite and on PostgreSQL (tests/conftest.py)
NETWORKS = 400


def test_the_stamps_read_the_latest_forecast_time_through_its_index(app: App) -> None:
    latest = dt.datetime(2019, 9, 2, 4, tzinfo=dt.UTC) + dt.timedelta(seconds=NETWORKS - 1)
    with app.engine.begin() as connection:
        connection.execute(ForecastEntry.__table__.insert(), [  # type: ignore[attr-defined]
            {"id": uuid.uuid4(), "network": f"kv-{i}", "as_of": dt.date(2019, 9, 2), "version": "1", "risk": "low",
             "payload": {"stages": ["x" * 500]}, "computed_at": latest - dt.timedelta(seconds=i)}
            for i in range(NETWORKS)])
        if app.engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE forecastentry"))
    assert page_view.stamps(app).split("|")[1] == str(latest)
    for statement in (select(page_view._FORECAST), page_view._OVERVIEW["all"]):  # as in _NETWORK and _REGION
        sql = str(statement.compile(app.engine, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN QUERY PLAN " if app.engine.dialect.name == "sqlite" else "EXPLAIN "
        with app.engine.connect() as connection:
            plan = "\n".join(str(row[-1]) for row in connection.exec_driver_sql(explain + sql))
        lines = [line for line in plan.splitlines() if "forecastentry" in line]
        assert lines and all("ix_forecastentry_computed_at" in line for line in lines), plan
