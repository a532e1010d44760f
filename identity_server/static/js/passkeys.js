// Passkeys (WebAuthn) for the identity server's pages, in plain JavaScript.
//
// Each block marked data-passkey="register" | "sign-in" | "second-factor" holds a CSRF token,
// a start button (data-passkey-start), an error box (data-passkey-error) and the two URLs it
// posts to: data-options-url (answers the options for navigator.credentials.create/get) and
// data-verify-url (takes the browser's answer). The server sends and takes binary fields as
// base64url strings (py_webauthn's JSON), converted here. Blocks stay hidden, or show why,
// when the browser cannot use passkeys.
(function () {
  "use strict";

  if (window.identityPasskeysLoaded) {
    return; // the script is included once per block; bind once
  }
  window.identityPasskeysLoaded = true;

  var supported =
    window.isSecureContext &&
    typeof window.PublicKeyCredential === "function" &&
    navigator.credentials &&
    typeof navigator.credentials.create === "function";

  function toBuffer(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var descriptor = { type: item.type, id: toBuffer(item.id) };
      if (item.transports) {
        descriptor.transports = item.transports;
      }
      return descriptor;
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBuffer(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults
        ? credential.getClientExtensionResults()
        : {},
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toBase64url(response.authenticatorData);
      json.response.signature = toBase64url(response.signature);
      if (response.userHandle) {
        json.response.userHandle = toBase64url(response.userHandle);
      }
    }
    return json;
  }

  // A message people can act on, for a browser error (WebAuthn §5.1.3, §5.1.4) or ours.
  function browserErrorMessage(error, kind) {
    switch (error && error.name) {
      case "NotAllowedError":
        return "The passkey prompt was closed or timed out. Please try again.";
      case "InvalidStateError":
        return kind === "register"
          ? "This device already holds a passkey for your account."
          : "This passkey cannot be used here.";
      case "SecurityError":
        return "Passkeys need this site's secure address (HTTPS). Please check the address bar.";
      case "NotSupportedError":
        return "This device or browser cannot create a passkey of the kind this site needs.";
      case "AbortError":
        return "The passkey prompt was cancelled.";
      default:
        return "Something went wrong with the passkey. Please try again.";
    }
  }

  function postJSON(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": token,
      },
      body: JSON.stringify(body || {}),
    }).then(
      function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          throw {
            detail: "The server gave an unexpected answer (" + response.status + "). Please reload the page.",
          };
        }
        return response.json().then(function (data) {
          if (!response.ok) {
            // e.g. reauth_required: confirm who you are first, then come back
            throw {
              detail: data.detail || "The request was refused. Please try again.",
              redirect: data.redirect,
            };
          }
          return data;
        });
      },
      function () {
        throw { detail: "The server could not be reached. Please check your connection." };
      }
    );
  }

  function bind(block) {
    var kind = block.getAttribute("data-passkey");
    var start = block.querySelector("[data-passkey-start]");
    var errorBox = block.querySelector("[data-passkey-error]");
    var busy = block.querySelector("[data-passkey-busy]");
    var nameInput = block.querySelector("[data-passkey-name]");
    var tokenInput = block.querySelector("input[name=csrfmiddlewaretoken]");
    var token = tokenInput ? tokenInput.value : "";

    function showError(message) {
      errorBox.textContent = message;
      errorBox.hidden = false;
    }

    function setBusy(on) {
      start.disabled = on;
      if (busy) {
        busy.hidden = !on;
      }
    }

    if (!supported) {
      // The sign-in block stays hidden (the password form still works); the others say why.
      if (kind !== "sign-in") {
        block.hidden = false;
        showError(
          window.isSecureContext
            ? "This browser cannot use passkeys. Try an up-to-date browser."
            : "Passkeys need this site's secure address (HTTPS)."
        );
      }
      return;
    }
    block.hidden = false;
    start.hidden = false;

    start.addEventListener("click", function () {
      errorBox.hidden = true;
      var name = nameInput ? nameInput.value.trim() : "";
      if (nameInput && !name) {
        showError("Give the passkey a name.");
        nameInput.focus();
        return;
      }
      setBusy(true);
      postJSON(block.getAttribute("data-options-url"), token)
        .then(function (options) {
          var ceremony =
            kind === "register"
              ? navigator.credentials.create({ publicKey: creationOptions(options) })
              : navigator.credentials.get({ publicKey: requestOptions(options) });
          return ceremony.then(
            function (credential) {
              var body = { credential: credentialJSON(credential) };
              if (kind === "register") {
                body.name = name;
              }
              return postJSON(block.getAttribute("data-verify-url"), token, body);
            },
            function (error) {
              throw { detail: browserErrorMessage(error, kind) };
            }
          );
        })
        .then(function (result) {
          window.location.assign(result.redirect);
        })
        .catch(function (error) {
          if (error && error.redirect) {
            window.location.assign(error.redirect);
            return;
          }
          setBusy(false);
          showError((error && error.detail) || browserErrorMessage(error, kind));
        });
    });
  }

  function init() {
    var blocks = document.querySelectorAll("[data-passkey]");
    for (var i = 0; i < blocks.length; i++) {
      bind(blocks[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
