"""Staff API for the roster import; included under /api/v1/ by sunshine/urls.py."""

from rest_framework.routers import DefaultRouter

from .import_api import RosterImportViewSet

router = DefaultRouter()
router.register("staff/roster-imports", RosterImportViewSet, basename="staff-roster-import")
urlpatterns = router.urls
