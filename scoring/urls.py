from django.urls import path

from . import views

app_name = "scoring"
urlpatterns = [
    path("scores/", views.board, name="board"),
    path("scores/person/<int:person_id>/", views.record, name="record"),
]
