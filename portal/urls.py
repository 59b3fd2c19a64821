from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("v/<str:code>/", views.village_detail, name="village"),
    path("my/", views.my_subsidies, name="my_subsidies"),
]
