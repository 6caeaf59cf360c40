from django.urls import path

from points import views as points

from . import public

# The point's public pages under /p/<code>/: its own (QR, poster) and the composed ones.
app_name = "points"
urlpatterns = [
    path("p/<slug:code>/", public.point_page, name="detail"),
    path("p/<slug:code>/qr.png", points.qr_image, {"fmt": "png"}, name="qr_png"),
    path("p/<slug:code>/qr.svg", points.qr_image, {"fmt": "svg"}, name="qr_svg"),
    path("p/<slug:code>/poster/", points.poster, name="poster"),
    path("p/<slug:code>/screen/", public.screen, name="screen"),
    path("p/<slug:code>/screen/panel/", public.screen_panel, name="screen_panel"),
]
