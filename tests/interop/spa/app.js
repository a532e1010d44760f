// A single-page app: a public client (no secret) using the authorization code flow with PKCE.
// /config.json names the identity server and the client; #result shows what the app learnt,
// with data-state "signed-in" or "error" once it is done.
const result = document.getElementById("result");
const button = document.getElementById("sign-in");

function show(state, data) {
  result.textContent = JSON.stringify(data, null, 2);
  result.dataset.state = state;
}

try {
  const config = await (await fetch("/config.json")).json();
  const manager = new oidc.UserManager({
    authority: config.authority,
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    response_type: "code",
    scope: "openid profile email",
    loadUserInfo: true,
    userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
  });

  if (location.pathname === new URL(config.redirect_uri).pathname) {
    // Back from the identity server: exchange the code (CORS on the token endpoint) and
    // load the claims (CORS on userinfo).
    const user = await manager.signinRedirectCallback();
    const endpoint = await manager.metadataService.getUserInfoEndpoint();
    const response = await fetch(endpoint, {
      headers: { Authorization: `Bearer ${user.access_token}` },
    });
    show("signed-in", {
      sub: user.profile.sub,
      email: user.profile.email,
      id_token: user.id_token,
      access_token: user.access_token,
      userinfo_status: response.status,
      userinfo: await response.json(),
    });
  } else {
    button.addEventListener("click", () => manager.signinRedirect());
    button.disabled = false;
  }
} catch (error) {
  show("error", { name: error.name, message: String(error.message ?? error) });
}
