from django.urls import path

from . import ledger_views

app_name = "ledgers"
urlpatterns = [
    path("", ledger_views.index, name="index"),
    path("<slug:slug>/", ledger_views.ledger_print, name="print"),
    path("<slug:slug>/export.<str:fmt>", ledger_views.ledger_export, name="export"),
]
