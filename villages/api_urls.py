from rest_framework.routers import DefaultRouter

from sunshine.audit.api import AuditEventViewSet

from .api import DivisionViewSet, MembershipViewSet

router = DefaultRouter()
router.register("divisions", DivisionViewSet, basename="division")
router.register("staff/audit-events", AuditEventViewSet, basename="staff-audit-event")
router.register("staff/memberships", MembershipViewSet, basename="staff-membership")
urlpatterns = router.urls
