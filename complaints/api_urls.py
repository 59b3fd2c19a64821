from rest_framework.routers import SimpleRouter

from .api import ComplaintCategoryViewSet, PublicResultViewSet, StaffComplaintViewSet

router = SimpleRouter()
router.register("complaint-categories", ComplaintCategoryViewSet, basename="complaint-category")
router.register("complaint-results", PublicResultViewSet, basename="complaint-result")
router.register("staff/complaints", StaffComplaintViewSet, basename="staff-complaint")
urlpatterns = router.urls
