"""The pages BITV 2.0 asks for: the accessibility statement (§ 7, with the feedback address) and short
explanations in Leichte Sprache (§ 4). Both are linked from every page's footer and readable without
signing in. Their text is the operator's: a file of the same name in ``VERBUND_TEXTS_DIR`` replaces the
default in dashboard/templates/texts/."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from verbund.dashboard.web import app_of, principal, render

router = APIRouter()


@router.get("/barrierefreiheit", response_class=HTMLResponse, include_in_schema=False)
async def statement(request: Request) -> Response:
    await principal(request)  # the header shows who is signed in, if anyone
    return render(request, "texts/barrierefreiheit.html", feedback_email=app_of(request).settings.feedback_email)


@router.get("/leichte-sprache", response_class=HTMLResponse, include_in_schema=False)
async def easy_language(request: Request) -> Response:
    await principal(request)
    return render(request, "texts/leichte-sprache.html", feedback_email=app_of(request).settings.feedback_email)
