"""A worker's flow process never migrates: it refuses a database whose schema is not the code's."""

from __future__ import annotations

from pathlib import Path

import pytest

from verbund.domain.errors import DomainError
from verbund.flows.runtime import get_app, use_app
from verbund.services.app.db import make_engine, migrate


def test_a_worker_refuses_an_unmigrated_database_and_works_after_verbund_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    monkeypatch.setenv("VERBUND_DATABASE_URL", url)
    use_app(None)
    try:
        with pytest.raises(DomainError, match="verbund init") as refused:
            get_app()
        assert "leer" in str(refused.value)
        engine = make_engine(url)
        migrate(engine, "0001")  # an older release's schema
        with pytest.raises(DomainError, match="0001"):
            get_app()
        migrate(engine)
        engine.dispose()
        app = get_app()
        assert app.settings.database_url == url
        app.engine.dispose()
    finally:
        use_app(None)


def test_the_refusal_names_the_database(tmp_path: Path) -> None:
    from verbund.services.app.db import require_current_schema

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(DomainError) as refused:
        require_current_schema(engine)
    assert "x.db" in str(refused.value)
    engine.dispose()
