from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from b_extras.models import WishlistItem
from b_extras.services import wishlist_add
from shop.models import Product
from shop.testing import create_test_product, create_test_user, messages_of


def test_product_page_offers_add_to_wishlist(user_client: Client, product: Product) -> None:
    """The shop's product page has B's "Add to wishlist" button, from its include point."""
    body = user_client.get(product.get_absolute_url()).content.decode()

    assert f'action="/wishlist/add/{product.pk}/"' in body
    assert "Add to wishlist</button>" in body
    assert "Add to cart</button>" in body


def test_add_to_wishlist_then_page_offers_removal(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """Adding puts the product on the wishlist and the button turns into "Remove"."""
    response = user_client.post(f"/wishlist/add/{product.pk}/", follow=True)

    assert response.redirect_chain == [(product.get_absolute_url(), 302)]
    assert messages_of(response) == ['Added "Enamel Mug" to your wishlist.']
    assert list(WishlistItem.objects.values_list("user", "product")) == [(user.pk, product.pk)]
    body = response.content.decode()
    assert f'action="/wishlist/remove/{product.pk}/"' in body
    assert "Remove from wishlist</button>" in body


def test_adding_twice_keeps_one_entry(user_client: Client, product: Product) -> None:
    """A product is on a wishlist at most once."""
    user_client.post(f"/wishlist/add/{product.pk}/", follow=True)

    response = user_client.post(f"/wishlist/add/{product.pk}/", follow=True)

    assert messages_of(response) == ['"Enamel Mug" is already on your wishlist.']
    assert WishlistItem.objects.count() == 1


def test_wishlist_page_lists_only_own_items(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """The "My wishlist" page lists the user's products, not other users'."""
    theirs = create_test_product(name="Wool Throw")
    wishlist_add(user=user, product=product)
    wishlist_add(user=create_test_user(), product=theirs)

    response = user_client.get("/wishlist/")

    assert response.status_code == 200
    assert [item.product for item in response.context["items"]] == [product]
    body = response.content.decode()
    assert "My wishlist" in body
    assert "Enamel Mug" in body
    assert "Wool Throw" not in body


def test_remove_from_wishlist(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """Removing takes the product off the wishlist and goes back to the wishlist."""
    wishlist_add(user=user, product=product)

    response = user_client.post(f"/wishlist/remove/{product.pk}/", follow=True)

    assert response.redirect_chain == [("/wishlist/", 302)]
    assert messages_of(response) == ['Removed "Enamel Mug" from your wishlist.']
    assert not WishlistItem.objects.exists()
    assert "Your wishlist is empty." in response.content.decode()


def test_remove_goes_back_to_safe_next_only(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """The posted next is followed on this site; an off-site next is ignored."""
    wishlist_add(user=user, product=product)
    response = user_client.post(f"/wishlist/remove/{product.pk}/", {"next": "/products/x/"})
    assert response["Location"] == "/products/x/"

    wishlist_add(user=user, product=product)
    response = user_client.post(
        f"/wishlist/remove/{product.pk}/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/wishlist/"


def test_wishlist_unknown_product_and_get_are_refused(user_client: Client, db: None) -> None:
    """Unknown products are a 404, GET on the actions a 405; nothing is stored."""
    assert user_client.post("/wishlist/add/999999/").status_code == 404
    assert user_client.post("/wishlist/remove/999999/").status_code == 404
    assert user_client.get("/wishlist/add/1/").status_code == 405
    assert not WishlistItem.objects.exists()


def test_anonymous_wishlist_goes_to_sign_in(client: Client, product: Product) -> None:
    """A signed-out visitor is sent to sign in, and back to the product after adding."""
    assert client.get("/wishlist/")["Location"] == "/oidc/login/?next=/wishlist/"
    response = client.post(f"/wishlist/add/{product.pk}/")
    assert response["Location"] == f"/oidc/login/?next=/products/{product.slug}/"
    assert not WishlistItem.objects.exists()


def test_header_links_to_wishlist_when_signed_in(user_client: Client) -> None:
    """B's header override adds "My wishlist" next to the shop's links."""
    body = user_client.get("/").content.decode()

    assert '<a class="wishlist-link" href="/wishlist/">My wishlist</a>' in body
    assert '<span class="user-name">Alice Liddell</span>' in body


def test_product_page_offers_nothing_to_a_signed_out_visitor_but_sign_in(
    client: Client, product: Product
) -> None:
    """Signed out, the button adds nothing: posting it leads to sign-in (see above)."""
    body = client.get(product.get_absolute_url()).content.decode()

    assert "Add to wishlist</button>" in body
    assert "Remove from wishlist</button>" not in body


def test_on_wishlist_tag_answers_for_the_requests_user_only(
    rf, user: AbstractBaseUser, product: Product
) -> None:
    """{% on_wishlist %} is true for the user who has the product, false for others and nobody."""
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template

    wishlist_add(user=user, product=product)
    template = Template("{% load wishlist_tags %}{% on_wishlist product as on %}{{ on }}")

    def render(request_user) -> str:
        request = rf.get("/")
        request.user = request_user
        return template.render(Context({"request": request, "product": product}))

    assert render(user) == "True"
    assert render(create_test_user()) == "False"
    assert render(AnonymousUser()) == "False"
    assert template.render(Context({"product": product})) == "False"
