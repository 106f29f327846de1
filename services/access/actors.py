"""Who did it: the ``--by`` of actions that need a role (sign-off, waive, deadline extension).

Such an action must name an existing, active user whose role and scope allow it (a process owner
of the network's region or Land); other actions keep the default ``system``. Back-filled history
(``--at``) may name a person who is not a user: the check applies to what happens now.
"""

from __future__ import annotations

from sqlmodel import select

from verbund.domain.access import ROLE_LABELS, DashboardUser, UserRole
from verbund.domain.errors import InvalidInput
from verbund.domain.stages import SYSTEM_ACTOR, StageState
from verbund.services.access.users import principal_of
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import network_by_slug, region_by_slug, region_of, stage_run, template_of


def _user(app: App, email: str, option: str) -> DashboardUser:
    key = (email or "").strip().lower()
    if not key or key == SYSTEM_ACTOR:
        raise InvalidInput(f"{option}: diese Aktion braucht die E-Mail einer berechtigten Person "
                           f"({ROLE_LABELS[UserRole.process_owner]})")
    with app.uow(read_only=True) as uow:
        user = uow.session.exec(select(DashboardUser).where(DashboardUser.email == key)).first()
        if user is None or not user.active:
            raise InvalidInput(f"{option}: '{key}' ist kein aktiver Benutzer (anlegen: verbund user add)")
        return user


def decider_for_network(app: App, email: str, network_slug: str, *, option: str = "--by") -> str:
    """``email`` when it names an active process owner whose scope covers the network."""
    user = _user(app, email, option)
    with app.uow(read_only=True) as uow:
        network = network_by_slug(uow.session, network_slug)
        region = region_of(uow.session, network)
        who = principal_of(uow.session, user, app.now())
        if not who.may_decide(network.slug, region.slug, region.state):
            raise InvalidInput(f"{option}: '{user.email}' ({ROLE_LABELS.get(user.role, user.role)}) ist für "
                               f"{network.slug} nicht als Prozessverantwortliche berechtigt")
    return user.email


def decider_for_region(app: App, email: str, region_slug: str, *, option: str = "--by") -> str:
    """``email`` when it names an active process owner of the region (or of its Land)."""
    user = _user(app, email, option)
    with app.uow(read_only=True) as uow:
        region = region_by_slug(uow.session, region_slug)
        who = principal_of(uow.session, user, app.now())
        if who.role != UserRole.process_owner or not who.may_read_region(region.slug, region.state):
            raise InvalidInput(f"{option}: '{user.email}' ({ROLE_LABELS.get(user.role, user.role)}) ist für "
                               f"{region.slug} nicht als Prozessverantwortliche berechtigt")
    return user.email


def advance_is_sign_off(app: App, network_slug: str, stage: str) -> bool:
    """Whether ``stage advance`` would sign the stage off now: it is ready, and the template wants a
    sign-off or a process owner reopened it (a reopened stage is signed off again, ``lifecycle``)."""
    with app.uow(read_only=True) as uow:
        network = network_by_slug(uow.session, network_slug)
        run = stage_run(uow.session, network, stage)
        wants = template_of(network).stage(stage).sign_off or run.reopened_at is not None
        return run.state == StageState.ready and wants
