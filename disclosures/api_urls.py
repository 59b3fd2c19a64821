from rest_framework.routers import SimpleRouter

from .api import PublicDisclosureViewSet, StaffDisclosureViewSet

router = SimpleRouter()
router.register("disclosures", PublicDisclosureViewSet, basename="public-disclosure")
router.register("staff/disclosures", StaffDisclosureViewSet, basename="staff-disclosure")
urlpatterns = router.urls
