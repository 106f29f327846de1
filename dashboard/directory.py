"""The directory in the dashboard (``/verzeichnis``): partners, contacts, coordinator invitations;
and the one-time invitation / password reset page (``/einladung/TOKEN``, no account needed).

Who may do what: ``services.directory.directory_access`` (docs/dashboard.md has the role × action table).
Refusals outside the rules answer 403; an error in a form names the field, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from verbund.dashboard.pages import signed_in
from verbund.dashboard.web import Forbidden, Hidden, app_of, back, call, check_csrf, form, render
from verbund.domain.errors import DomainError, FieldError, NotAllowed, NotFound
from verbund.services.access import user_admin
from verbund.services.access.users import Principal
from verbund.services.app.bootstrap import App
from verbund.services.directory import directory_access as access
from verbund.services.directory.contacts import ContactInput
from verbund.services.directory.partner_directory import PartnerInput

router = APIRouter()
HOME = "/verzeichnis"
LABELS = {"name": "Name", "kind": "Art", "key": "Schlüssel", "region": "Region", "land": "Land",
          "network": "Verbund", "address": "Anschrift", "ags": "AGS", "organisation": "Organisation",
          "email": "E-Mail", "function": "Funktion", "channels": "weitere Kanäle", "contact": "Ansprechperson",
          "password": "Passwort", "password_again": "Passwort (Wiederholung)", "token": "Einladung"}


def _message(error: DomainError) -> str:
    if isinstance(error, FieldError):
        return f"Feld „{LABELS.get(error.field, error.field)}“: {error.reason}"
    return str(error)


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").replace(",", "\n").splitlines() if line.strip()]


async def _run(request: Request, fn: Callable[..., Any], *args: str, notice: str) -> Response:
    who = await signed_in(request)
    data = await form(request)
    check_csrf(who.csrf, data.get("csrf"))
    try:
        result = await call(fn, app_of(request), who, *args, data)
    except NotAllowed as error:
        raise Forbidden() from error
    except NotFound as error:
        raise Hidden() from error
    except DomainError as error:
        return back(HOME, error=_message(error))
    return back(HOME, notice=notice.format(result=result))


@router.get("/verzeichnis", response_class=HTMLResponse, include_in_schema=False)
async def directory(request: Request) -> Response:
    who = await signed_in(request)
    data = await call(access.directory_page, app_of(request), who)
    return render(request, "directory.html", d=data)


def _register(app: App, who: Principal, data: dict[str, str]) -> str:
    spec = PartnerInput(name=data.get("name"), kind=data.get("kind"), key=data.get("key") or None,
                        region=data.get("region") or None, land=data.get("land") or None,
                        networks=_lines(data.get("networks")), address=data.get("address") or None,
                        ags=data.get("ags") or None)
    return access.register_partner(app, who, spec)


@router.post("/verzeichnis/partner", include_in_schema=False)
async def register(request: Request) -> Response:
    return await _run(request, _register, notice="Partner {result} registriert")


def _edit_partner(app: App, who: Principal, key: str, data: dict[str, str]) -> bool:
    spec = PartnerInput(key=key, name=data.get("name") or None, address=data.get("address"),
                        ags=data.get("ags"), networks=_lines(data.get("networks")))
    return access.change_partner(app, who, spec)


@router.post("/verzeichnis/partner/{key}", include_in_schema=False)
async def edit_partner(request: Request, key: str) -> Response:
    return await _run(request, _edit_partner, key, notice="Partner gespeichert")


def _contact_spec(data: dict[str, str], organisation: str | None) -> ContactInput:
    return ContactInput(organisation=organisation, name=data.get("name"), email=data.get("email"),
                        function=data.get("function"), channels=(data.get("channels") or "").split())


def _add_contact(app: App, who: Principal, data: dict[str, str]) -> str:
    spec = _contact_spec(data, data.get("organisation", ""))
    access.new_contact(app, who, spec)
    return spec.name or ""


@router.post("/verzeichnis/kontakt", include_in_schema=False)
async def add_contact(request: Request) -> Response:
    return await _run(request, _add_contact, notice="Ansprechperson {result} angelegt")


def _edit_contact(app: App, who: Principal, contact: str, data: dict[str, str]) -> str:
    fields = access.change_contact(app, who, contact, _contact_spec(data, None))
    return ", ".join(LABELS.get(f, f) for f in fields) or "nichts"


@router.post("/verzeichnis/kontakt/{contact}", include_in_schema=False)
async def edit_contact(request: Request, contact: str) -> Response:
    return await _run(request, _edit_contact, contact, notice="Geändert: {result}")


def _deactivate(app: App, who: Principal, contact: str, data: dict[str, str]) -> str:
    return access.deactivate(app, who, contact)


@router.post("/verzeichnis/kontakt/{contact}/deaktivieren", include_in_schema=False)
async def deactivate_contact(request: Request, contact: str) -> Response:
    return await _run(request, _deactivate, contact, notice="{result} deaktiviert")


def _invite(app: App, who: Principal, data: dict[str, str]) -> str:
    email, network = data.get("email", "").strip().lower(), data.get("network", "")
    link = user_admin.invite_coordinator(app, who, email=email, network=network, name=data.get("name", ""))
    sent = user_admin.send_invitation(app, email, network, link)
    return ("per E-Mail gesendet an " if sent else "nicht gesendet, bitte weitergeben an ") + f"{email}: {link}"


@router.post("/verzeichnis/einladung", include_in_schema=False)
async def invite(request: Request) -> Response:
    return await _run(request, _invite, notice="Einladung erstellt (einmalig, 7 Tage gültig), {result}")


@router.get("/einladung/{token}", response_class=HTMLResponse, include_in_schema=False)
async def invitation_page(request: Request, token: str) -> Response:
    try:
        view = await call(user_admin.invitation_view, app_of(request), token)
    except DomainError as error:
        text = _message(error) if isinstance(error, FieldError) else "Diese Einladung gibt es nicht."
        return render(request, "message.html", status_code=410 if isinstance(error, FieldError) else 404,
                      title="Einladung nicht gültig", text=text)
    return render(request, "invitation.html", v=view, token=token)


@router.post("/einladung/{token}", include_in_schema=False)
async def invitation_submit(request: Request, token: str) -> Response:
    data = await form(request)
    try:
        email = await call(user_admin.redeem, app_of(request), token, data.get("password", ""),
                           data.get("password_again", ""))
    except NotFound:
        return render(request, "message.html", status_code=404, title="Einladung nicht gültig",
                      text="Diese Einladung gibt es nicht.")
    except DomainError as error:
        status = 410 if isinstance(error, FieldError) and error.field == "token" else 400
        if status == 410:
            return render(request, "message.html", status_code=410, title="Einladung nicht gültig",
                          text=_message(error))
        view = await call(user_admin.invitation_view, app_of(request), token)
        return render(request, "invitation.html", status_code=400, v=view, token=token, error=_message(error))
    return back("/login", notice=f"Passwort gesetzt. Bitte melden Sie sich an: {email}")
