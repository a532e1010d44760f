"""URLs under /account/ (docs/contract.md). One section per views module."""

from django.urls import path

from accounts.views import account, email, passkeys, passwords, registration, signin, two_step

app_name = "accounts"

urlpatterns = [
    # Signing in and out, the second step, re-authentication (views/signin.py)
    path("login/", signin.SignInView.as_view(), name="login"),
    path("logout/", signin.sign_out, name="logout"),
    path("login/verify/", signin.login_verify, name="login_verify"),
    path("reauthenticate/", signin.reauthenticate, name="reauthenticate"),
    # Registration and email verification (views/registration.py)
    path("register/", registration.register, name="register"),
    path("register/check-email/", registration.register_sent, name="register_sent"),
    # Before the token pattern: "resend" is no signed token (those contain ":").
    path("verify-email/resend/", registration.verify_email_resend, name="verify_email_resend"),
    path("verify-email/<str:token>/", registration.verify_email, name="verify_email"),
    # Email change (views/email.py)
    path("email/", email.email, name="email"),
    path("email/confirm/<str:token>/", email.email_confirm, name="email_confirm"),
    # Password change and reset (views/passwords.py)
    path("password/", passwords.password, name="password"),
    path("password/reset/", passwords.password_reset, name="password_reset"),
    path("password/reset/sent/", passwords.password_reset_sent, name="password_reset_sent"),
    path("password/reset/done/", passwords.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<str:uidb64>/<str:token>/",
        passwords.password_reset_confirm,
        name="password_reset_confirm",
    ),
    # Two-step sign-in: authenticator app, recovery codes (views/two_step.py)
    path("two-step/", two_step.overview, name="two_step"),
    path("two-step/authenticator/", two_step.totp_setup, name="two_step_totp"),
    path("two-step/authenticator/remove/", two_step.totp_remove, name="two_step_totp_remove"),
    path("two-step/recovery-codes/", two_step.recovery_codes, name="two_step_recovery_codes"),
    # Passkeys (views/passkeys.py)
    path("passkeys/", passkeys.passkeys, name="passkeys"),
    path("passkeys/add/options/", passkeys.register_options, name="passkey_register_options"),
    path("passkeys/add/", passkeys.register, name="passkey_register"),
    path("passkeys/<int:passkey_id>/rename/", passkeys.rename, name="passkey_rename"),
    path("passkeys/<int:passkey_id>/remove/", passkeys.remove, name="passkey_remove"),
    path("passkeys/sign-in/options/", passkeys.sign_in_options, name="passkey_sign_in_options"),
    path("passkeys/sign-in/", passkeys.sign_in, name="passkey_sign_in"),
    path(
        "passkeys/second-factor/options/",
        passkeys.second_factor_options,
        name="passkey_second_factor_options",
    ),
    path("passkeys/second-factor/", passkeys.second_factor, name="passkey_second_factor"),
    # The account area (views/account.py)
    path("", account.overview, name="overview"),
    path("profile/", account.profile, name="profile"),
    path("applications/", account.applications, name="applications"),
    path(
        "applications/<str:client_id>/revoke/",
        account.application_revoke,
        name="application_revoke",
    ),
    path("sessions/", account.sessions, name="sessions"),
    path("sessions/<int:session_id>/end/", account.session_end, name="session_end"),
    path("sessions/end-others/", account.sessions_end_others, name="sessions_end_others"),
    path("sessions/end-all/", account.sessions_end_all, name="sessions_end_all"),
    path("security-events/", account.security_events, name="security_events"),
]
