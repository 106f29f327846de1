"""Unit of work: one session, one transaction; only the service layer commits."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session

from verbund.services.access.actor_refs import bind as bind_actors
from verbund.services.app.db import READ_ONLY
from verbund.services.app.versions import collect_in


class UnitOfWork:
    """``with app.uow(write=True) as uow: ...; uow.commit()`` — leaving without commit rolls back.

    ``read_only`` (what ``app.uow()`` gives unless asked to write): for reads; on SQLite it reads a
    snapshot without taking the write lock (``services.app.db``); ``commit`` refuses, and so does any
    INSERT, UPDATE or DELETE on its connection (``services.app.db.refuse_writes``).
    A write unit of work raises the data versions of the networks and regions it changed in its
    commit (``services.app.versions``; the dashboard's cache and ETags follow them).
    """

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        bind = self._engine.execution_options(**{READ_ONLY: True}) if self._read_only else self._engine
        self._session = Session(bind, expire_on_commit=False)
        if not self._read_only:
            bind_actors(self._session)  # person columns are stored as references (domain.actors)
            collect_in(self._session)  # raise the data versions of what it commits (issue 20)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches the loaded objects
        # without expiring them, so callers may still read what they loaded.
        self.session.close()
        self._session = None

    def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("read-only unit of work cannot commit")
        self.session.commit()
