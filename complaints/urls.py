from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.intake, name="new"),
    path("done/", views.done_latest, name="done_latest"),
    path("done/<str:code>/", views.done, name="done"),
    path("track/", views.track, name="track"),
    path("track/resend/", views.resend_secret, name="resend_secret"),
    path("s/<str:code>/", views.status, name="status"),
    path("s/<str:code>/rate/", views.rate, name="rate"),
    path("results/", views.results, name="results"),
    path("photo/<int:pk>/", views.photo, name="photo"),
]
