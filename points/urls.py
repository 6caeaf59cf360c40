from django.urls import path

from . import views

app_name = "points"
urlpatterns = [
    path("p/<slug:code>/", views.detail, name="detail"),
    path("p/<slug:code>/qr.png", views.qr_image, {"fmt": "png"}, name="qr_png"),
    path("p/<slug:code>/qr.svg", views.qr_image, {"fmt": "svg"}, name="qr_svg"),
    path("p/<slug:code>/poster/", views.poster, name="poster"),
    path("p/<slug:code>/screen/", views.screen, name="screen"),
    path("p/<slug:code>/screen/panel/", views.screen_panel, name="screen_panel"),
]
