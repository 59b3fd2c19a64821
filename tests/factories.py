"""factory_boy factories shared by every app's tests."""

import factory
from django.contrib.auth import get_user_model

from villages.models import Division, Level, Membership


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division

    name = factory.Sequence(lambda n: f"区划{n}")
    level = Level.COUNTY
    parent = None
    code = factory.Sequence(lambda n: f"{990000000000 + n:012d}")


def county(name="测试县", **kw):
    return DivisionFactory(name=name, level=Level.COUNTY, **kw)


def township(parent, name=None, **kw):
    return DivisionFactory(parent=parent, level=Level.TOWNSHIP, **({"name": name} if name else {}), **kw)


def village(parent, name=None, **kw):
    return DivisionFactory(parent=parent, level=Level.VILLAGE, **({"name": name} if name else {}), **kw)


def group(parent, name=None, **kw):
    return DivisionFactory(parent=parent, level=Level.GROUP, code=None, **({"name": name} if name else {}), **kw)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.django.Password("pw")


def staff(username, role, division):
    user = UserFactory(username=username)
    Membership.objects.create(user=user, division=division, role=role)
    return user

