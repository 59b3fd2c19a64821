from rest_framework.routers import DefaultRouter

from .api import DivisionViewSet, MembershipViewSet
from .audit_api import AuditEventViewSet

router = DefaultRouter()
router.register("divisions", DivisionViewSet, basename="division")
router.register("staff/audit-events", AuditEventViewSet, basename="staff-audit-event")
router.register("staff/memberships", MembershipViewSet, basename="staff-membership")
urlpatterns = router.urls
