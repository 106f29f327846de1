"""The public "Datenschutzhinweise" (Art. 13/14 DSGVO), linked from every page's footer and every message;
a contact's export (``/verzeichnis/kontakt/ID/auskunft``) and erasure (``…/loeschen``) for process owners of
the contact's region (``services.privacy.access``).

Readable without signing in. The text is the operator's: ``datenschutz.html`` in ``VERBUND_TEXTS_DIR``
replaces the shipped default (``templates/texts/datenschutz.html``), as for the BITV pages.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from verbund.dashboard.pages import signed_in
from verbund.dashboard.web import Forbidden, Hidden, app_of, back, call, check_csrf, form, principal, render
from verbund.domain.errors import DomainError, NotAllowed, NotFound

router = APIRouter()


@router.get("/datenschutz", response_class=HTMLResponse, include_in_schema=False)
async def notice(request: Request) -> Response:
    from verbund.services.privacy import RetentionSettings

    await principal(request)  # the header shows who is signed in, if anyone
    settings = RetentionSettings()
    return render(request, "texts/datenschutz.html", retention_days=settings.retention_days,
                  inactive_days=settings.inactive_days)


@router.get("/verzeichnis/kontakt/{contact}/auskunft", include_in_schema=False)
async def export_contact(request: Request, contact: str) -> Response:
    """Everything stored about the contact, as the JSON file of ``verbund privacy export``."""
    from verbund.services.privacy.access import export_contact as build

    who = await signed_in(request)
    try:
        document = await call(build, app_of(request), who, contact)
    except NotAllowed as error:
        raise Forbidden() from error
    except NotFound as error:
        raise Hidden() from error
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="auskunft-{document["id"]}.json"', "Cache-Control": "no-store"})


@router.post("/verzeichnis/kontakt/{contact}/loeschen", include_in_schema=False)
async def forget_contact(request: Request, contact: str) -> Response:
    """Erase the contact (``verbund privacy forget``); the reason is required."""
    from verbund.services.privacy.access import forget_contact as erase

    who = await signed_in(request)
    data = await form(request)
    check_csrf(who.csrf, data.get("csrf"))
    try:
        result = await call(erase, app_of(request), who, contact, data.get("reason", ""))
    except NotAllowed as error:
        raise Forbidden() from error
    except NotFound as error:
        raise Hidden() from error
    except DomainError as error:
        return back("/verzeichnis", error=str(error))
    return back("/verzeichnis", notice=f"Ansprechperson gelöscht ({result.replaced} Textstellen ersetzt, "
                                       f"{result.files_deleted} Postfach-Dateien entfernt)")
