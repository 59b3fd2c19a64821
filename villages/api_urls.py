from rest_framework.routers import DefaultRouter

from .api import DivisionViewSet

router = DefaultRouter()
router.register("divisions", DivisionViewSet, basename="division")
urlpatterns = router.urls
