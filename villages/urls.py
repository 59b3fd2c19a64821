from django.urls import path

from . import two_factor, views

app_name = "villages"
urlpatterns = [
    path("", views.home, name="home"),
    path("t/<str:code>/", views.township_detail, name="township"),
    path("staff/2fa/", two_factor.two_factor, name="two_factor"),
]
