from django.urls import path

from points import views as points

from . import chains, prints, public

# The point's public pages under /p/<code>/: its own (QR, poster) and the composed ones.
app_name = "points"
urlpatterns = [
    path("p/<slug:code>/", public.point_page, name="detail"),
    path("p/<slug:code>/qr.png", points.qr_image, {"fmt": "png"}, name="qr_png"),
    path("p/<slug:code>/qr.svg", points.qr_image, {"fmt": "svg"}, name="qr_svg"),
    path("p/<slug:code>/poster/", points.poster, name="poster"),
    path("p/<slug:code>/screen/", public.screen, name="screen"),
    path("p/<slug:code>/screen/panel/", public.screen_panel, name="screen_panel"),
    # For the wall and the table: the outdoor sign (A3), the wall poster set, the seat cards.
    path("p/<slug:code>/sign/", prints.sign, name="sign"),
    path("p/<slug:code>/wall/", prints.wall, name="wall"),
    path("p/<slug:code>/reception-days/<int:day_id>/seat-cards/", prints.seat_cards, name="seat_cards"),
    path("chains/<slug:code>/", chains.chain_page, name="chain"),
]
