import datetime as dt
import functools
import itertools

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from deputies.models import EnterpriseLink, Person, Station
from petitions.models import Category, Department, Petition
from points.models import Enterprise, IndustryChain, LiaisonPoint, Organisation
from points.validators import make_uscc

_codes = itertools.count(1000)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    # "pw-for-tests-1", hashed once: a hash per user, and the save after it, cost every test.
    password = factory.LazyFunction(lambda: _hashed_password())

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        from django.contrib.auth.models import Group

        if create and extracted:
            groups = list(Group.objects.filter(name__in=extracted))
            assert len(groups) == len(set(extracted)), f"unknown role among {extracted}"
            self.groups.add(*groups)


@functools.cache
def _hashed_password() -> str:
    from django.contrib.auth.hashers import make_password

    return make_password("pw-for-tests-1")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"街道工委{n}")
    kind = Organisation.Kind.STREET


class ChainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndustryChain
        django_get_or_create = ["name"]

    name = "智能网联新能源汽车"
    code = "nev"


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    credit_code = factory.LazyFunction(lambda: make_uscc(next(_codes)))
    chain = factory.SubFactory(ChainFactory)
    chain_role = Enterprise.ChainRole.SUPPLIER


class PointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiaisonPoint

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"测试活动点{n}")
    code = factory.Sequence(lambda n: f"pt{n}")
    chain = factory.SubFactory(ChainFactory)
    address = "璧山区测试路1号"
    opened_on = dt.date(2024, 1, 15)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"代表{n}")
    kind = Person.Kind.CONSULTATIVE


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station

    person = factory.SubFactory(PersonFactory)
    point = factory.SubFactory(PointFactory)
    since = dt.date(2024, 1, 1)


class EnterpriseLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnterpriseLink

    person = factory.SubFactory(PersonFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"区测试局{n}")


class PetitionFactory(factory.django.DjangoModelFactory):
    """A request as filed: built here, written by the real ``petition_submit`` service."""

    class Meta:
        model = Petition

    point = factory.SubFactory(PointFactory)
    enterprise_name = "某零部件有限公司"
    contact_name = "张三"
    contact_phone = "13812341234"
    category = Category.POLICY
    title = "用地手续咨询"
    content = "厂房扩建用地手续如何办理？"

    @classmethod
    def _create(cls, model_class, *args, now=None, **kwargs):
        from petitions import services
        from petitions.workflow import ENTERPRISE_ACTOR

        petition, _ = services.petition_submit(
            petition=model_class(*args, **kwargs), actor=ENTERPRISE_ACTOR, now=now or timezone.now()
        )
        return petition
