from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("heads/", views.heads_page, name="heads"),
    path("heads.json", views.heads_json, name="heads-json"),
]
