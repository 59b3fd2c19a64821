from django.urls import path

from . import views

app_name = "villages"
urlpatterns = [
    path("", views.home, name="home"),
    path("t/<str:code>/", views.township_detail, name="township"),
]
