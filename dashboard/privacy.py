"""The public "Datenschutzhinweise" (Art. 13/14 DSGVO), linked from every page's footer and every message.

Readable without signing in. The text is the operator's: ``datenschutz.html`` in ``VERBUND_TEXTS_DIR``
replaces the shipped default (``templates/texts/datenschutz.html``), as for the BITV pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from verbund.dashboard.web import principal, render

router = APIRouter()


@router.get("/datenschutz", response_class=HTMLResponse, include_in_schema=False)
async def notice(request: Request) -> Response:
    from verbund.services.privacy import RetentionSettings

    await principal(request)  # the header shows who is signed in, if anyone
    settings = RetentionSettings()
    return render(request, "texts/datenschutz.html", retention_days=settings.retention_days,
                  inactive_days=settings.inactive_days)
