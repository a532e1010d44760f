// The relying-party leg of the openid-client interop tests: one JSON request on stdin, one JSON
// answer on stdout. The Python test plays the browser; this script is the RP's back end.
//
//   {"action": "authorize", issuer, client_id, client_secret, redirect_uri, params}
//     -> {url, state, nonce, code_verifier}
//   {"action": "callback", issuer, client_id, client_secret, callback_url, state, nonce,
//    code_verifier, max_age}
//     -> {ok: true, claims, userinfo, id_token} or {ok: false, error: {name, code, error, ...}}
//   {"action": "end_session", issuer, client_id, client_secret, id_token_hint,
//    post_logout_redirect_uri, state}
//     -> {url}
//
// openid-client v6 checks strictly: the issuer of discovery, `iss` and `state` of every
// authorization response (RFC 9207 when advertised), the ID token's signature, iss, aud, exp,
// iat, nonce and, with max_age, auth_time; userinfo's sub against the ID token's.
import * as client from "openid-client";

const SCOPE = "openid profile email";

async function configuration(request) {
  // The development identity server speaks plain http.
  return client.discovery(
    new URL(request.issuer),
    request.client_id,
    request.client_secret,
    client.ClientSecretBasic(request.client_secret),
    { execute: [client.allowInsecureRequests] },
  );
}

async function authorize(request) {
  const config = await configuration(request);
  const code_verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: request.redirect_uri,
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(code_verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...(request.params ?? {}),
  });
  return { url: url.href, state, nonce, code_verifier };
}

async function callback(request) {
  const config = await configuration(request);
  const checks = {
    pkceCodeVerifier: request.code_verifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
  };
  if (request.max_age !== undefined && request.max_age !== null) {
    checks.maxAge = request.max_age;
  }
  try {
    const tokens = await client.authorizationCodeGrant(
      config,
      new URL(request.callback_url),
      checks,
    );
    const claims = tokens.claims();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    return { ok: true, claims, userinfo, id_token: tokens.id_token };
  } catch (error) {
    return {
      ok: false,
      error: {
        name: error.name,
        code: error.code ?? null,
        message: error.message,
        error: error.error ?? null,
        error_description: error.error_description ?? null,
      },
    };
  }
}

async function endSession(request) {
  const config = await configuration(request);
  const url = client.buildEndSessionUrl(config, {
    id_token_hint: request.id_token_hint,
    post_logout_redirect_uri: request.post_logout_redirect_uri,
    state: request.state,
  });
  return { url: url.href };
}

const actions = { authorize, callback, end_session: endSession };

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

const request = await readStdin();
const action = actions[request.action];
if (!action) {
  process.stderr.write(`unknown action ${JSON.stringify(request.action)}\n`);
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await action(request))}\n`);
