import factory

from api.models import ApiToken, TokenRole, hash_api_token
from tests.factories import OrganizationFactory


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token whose secret is `secret` (not stored: pass it as `secret=` to know it)."""

    class Meta:
        model = ApiToken
        exclude = ("secret",)

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Automation {n}")
    role = TokenRole.MEMBER
    secret = factory.Sequence(lambda n: f"spl_test-secret-{n:08d}")
    token_hash = factory.LazyAttribute(lambda token: hash_api_token(token.secret))
    last_four = factory.LazyAttribute(lambda token: token.secret[-4:])
