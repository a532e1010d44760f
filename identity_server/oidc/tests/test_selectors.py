"""Claims by scope: only what the scopes release, and only the queries they need."""

from django.contrib.auth.models import Group

from oidc.selectors import user_claims


def test_claims_without_the_groups_scope_run_no_query(user, django_assert_num_queries):
    """The token and userinfo endpoints do not read groups unless the scope asks for them."""
    with django_assert_num_queries(0):
        claims = user_claims(user=user, scopes=["email"])

    assert claims == {"sub": str(user.sub), "email": "alice@example.com", "email_verified": True}


def test_groups_scope_releases_the_sorted_group_names(user):
    """``groups`` lists the user's group names, sorted; ``sub`` is always released."""
    user.groups.add(Group.objects.create(name="shop-staff"), Group.objects.create(name="a-team"))

    claims = user_claims(user=user, scopes=["groups"])

    assert claims == {"sub": str(user.sub), "groups": ["a-team", "shop-staff"]}
