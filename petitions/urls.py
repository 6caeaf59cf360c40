from django.urls import path

from . import views

app_name = "petitions"
urlpatterns = [
    path("s/<str:token>/", views.submit, name="submit"),
    path("track/<str:number>/<str:token>/", views.track, name="track"),
    path("track/<str:number>/<str:token>/add/", views.take_step, {"name": "add_info"}, name="add_info"),
    path("track/<str:number>/<str:token>/rate/", views.take_step, {"name": "rate"}, name="rate"),
    path("track/<str:number>/<str:token>/letter/<int:pk>/", views.track_file, name="letter"),
]
