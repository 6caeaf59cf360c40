"""System checks run by ``manage.py check``, ``runserver`` and ``collectstatic``."""

from django.contrib.staticfiles import finders
from django.core.checks import Error, Tags, register

# Every page on templates/base.html links this one stylesheet, built from npm (scripts/build-css.mjs).
PUBLIC_STYLESHEET = "build/site.css"


@register(Tags.staticfiles)
def public_stylesheet_built(app_configs, **kwargs):
    """Without the built stylesheet the pages are unstyled, and in production, where static
    URLs come from collectstatic's manifest, every page on base.html fails: say so first."""
    if finders.find(PUBLIC_STYLESHEET):
        return []
    return [
        Error(
            f"static/{PUBLIC_STYLESHEET} has not been built.",
            hint="Run `make setup`, or `npm ci && npm run build:css`, before collectstatic.",
            id="core.E001",
        )
    ]
