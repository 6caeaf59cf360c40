from django.urls import path

from . import views

app_name = "points"
urlpatterns = [
    path("p/<slug:code>/", views.detail, name="detail"),
]
