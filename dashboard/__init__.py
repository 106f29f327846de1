"""The dashboard: FastAPI + Jinja2 pages for process owners, coordinators and the ministry, partner
pages behind signed links, and a JSON API. ``create_app(app)`` builds it over the service layer."""

from verbund.dashboard.app import create_app

__all__ = ["create_app"]
