from django.urls import path

from . import open_data_views, views

app_name = "disclosures"
_d = "d/<str:code>/<slug:slug>/<str:period>/<str:phase>/"
urlpatterns = [
    path("d/files/<int:pk>/", views.attachment, name="attachment"),
    path("staff/files/<int:pk>/", views.staff_attachment, name="staff_attachment"),
    path("data/", open_data_views.catalogue, name="catalogue"),
    path("data/catalog.json", open_data_views.catalogue_json, name="catalogue_json"),
    path("d/<str:code>/", views.division_page, name="division"),
    path("d/<str:code>/feed/", views.DivisionFeed(), name="feed"),
    path("d/<str:code>/calendar/", views.calendar_page, name="calendar"),
    path("d/<str:code>/c/<slug:slug>/", views.category_page, name="category"),
    path(_d, views.detail, name="detail"),
    path(_d + "r/<int:number>/", views.detail, name="revision"),
    path(_d + "r/<int:number>/pdf/", views.bulletin, name="bulletin"),
    path(_d + "r/<int:number>/data.csv", open_data_views.download, {"fmt": "csv"}, name="data_csv"),
    path(_d + "r/<int:number>/data.xlsx", open_data_views.download, {"fmt": "xlsx"}, name="data_xlsx"),
    path(_d + "history/", views.history, name="history"),
    path(_d + "reconciliation/", views.reconciliation, name="reconciliation"),
]
