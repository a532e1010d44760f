"""URLs under /account/ (docs/contract.md). One section per views module."""

from django.urls import path

from accounts.views import account, registration, signin

app_name = "accounts"

urlpatterns = [
    # Signing in and out, the second step, re-authentication (views/signin.py)
    path("login/", signin.SignInView.as_view(), name="login"),
    path("logout/", signin.sign_out, name="logout"),
    # Registration and email verification (views/registration.py)
    path("register/", registration.register, name="register"),
    # Email change (views/email.py)
    # Password change and reset (views/passwords.py)
    # Two-step sign-in: authenticator app, recovery codes (views/two_step.py)
    # Passkeys (views/passkeys.py)
    # The account area (views/account.py)
    path("profile/", account.profile, name="profile"),
    path(
        "applications/<str:client_id>/revoke/",
        account.application_revoke,
        name="application_revoke",
    ),
]
