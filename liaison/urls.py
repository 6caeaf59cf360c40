from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from liaison.core import auth
from liaison.core.api import api_not_found
from liaison.core.auth import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm
from liaison.core.health import health
from liaison.portal.statistics import statistics_view
from petitions import recover
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
    re_path(r"^api/", api_not_found),  # a JSON problem, not the site's HTML 404, for any other /api/ path
    path("ledgers/", include("liaison.portal.ledger_urls")),
    path("statistics/", statistics_view, name="statistics"),
    path("login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm), name="login"),
    path("healthz", health, name="health"),
    # Password reset: by e-mail (Django's token links) or by an SMS code to the person's phone.
    path("password-reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="admin_password_reset"),  # the admin's link
    path("password-reset/sms/", auth.password_reset_sms, name="password_reset_sms"),
    path("password-reset/sms/code/", auth.password_reset_sms_confirm, name="password_reset_sms_confirm"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # 查询我的诉求: back to a lost tracking link with the number, the phone and an SMS code.
    path("track/", recover.recover, name="recover"),
    path("track/code/", recover.recover_code, name="recover_code"),
    path("", include("petitions.urls")),
    path("", include("liaison.portal.urls")),
    path("", include("scoring.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
