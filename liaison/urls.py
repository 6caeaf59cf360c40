from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from liaison.core.auth import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm
from liaison.core.health import health
from liaison.portal.statistics import statistics_view
from points import views as point_views

admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = _("Deputy liaison points on the industry chain")
admin.site.site_title = _("Liaison points administration")
admin.site.index_title = _("Work desk")

urlpatterns = [
    path("", point_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("liaison.portal.api_urls")),
    path("ledgers/", include("liaison.portal.ledger_urls")),
    path("statistics/", statistics_view, name="statistics"),
    path("login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm), name="login"),
    path("healthz", health, name="health"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("petitions.urls")),
    path("", include("liaison.portal.urls")),
    path("", include("scoring.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
