// "Confirm and sign" on the review page, signing at the desk with the
// officer's USB token: the server checks the token's certificate and the
// review form and prepares the copy carrying the reviewed text and title
// (POST signing-session with the certificate and the form's fields), the
// agent on this computer signs (kho sign-agent, http://127.0.0.1:7391), the
// server embeds the signature (POST desk-signature), then the review form is
// sent with signed_at_desk: the review and the signed copy are kept together.
// The agent's refusals come as codes (refused_by_officer, token_error, …),
// said by the page in its language (data-msg-agent-<code>).
// Without an agent: a server key signs where one is configured; otherwise
// the page says how to start the agent. Remote (CSC) signing needs no agent:
// the PIN/OTP fields go with the form.
(function () {
  "use strict";
  var hook = document.getElementById("sign-agent");
  if (!hook) { return; }
  var form = hook.closest("form");
  var button = form.querySelector("button[type=submit]");
  var status = hook.querySelector(".agent-status");
  var help = hook.querySelector(".agent-help");
  var flag = form.querySelector("input[name=signed_at_desk]");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var mode = hook.dataset.mode;
  var agentUrl = hook.dataset.agent;
  var agent = null;
  var warned = false;
  var busy = false;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("field-error", Boolean(isError));
    hook.dataset.state = isError ? "error" : (agent ? "ready" : "waiting");
  }

  function probe() {
    if (!agentUrl) { return Promise.resolve(null); }
    return fetch(agentUrl + "/v1/certificate", { mode: "cors", cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; })
      .then(function (found) {
        agent = found && found.certificate ? found : null;
        if (agent) {
          say(hook.dataset.msgReady + " " + agent.subject + ".");
          help.hidden = true;
        } else if (mode === "server") {
          say(hook.dataset.msgServer);
        } else {
          say("");
        }
        return agent;
      });
  }

  function api(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var message = data.message || "HTTP " + r.status;
          if (data.errors) { message += ": " + Object.values(data.errors).join("; "); }
          throw new Error(message);
        }
        return data;
      });
    });
  }

  function reviewFields() {
    var fields = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && name !== "signed_at_desk" && typeof value === "string") {
        fields[name] = value;
      }
    });
    return fields;
  }

  function agentFailure(code) {
    // data-msg-agent-token_error is dataset.msgAgentToken_error
    code = String(code || "");
    var key = "msgAgent" + code.charAt(0).toUpperCase() + code.slice(1);
    return (code && hook.dataset[key]) || hook.dataset.msgAgentFailed;
  }

  function signAtDesk() {
    var session;
    busy = true;
    button.disabled = true;
    say(hook.dataset.msgPreparing);
    return api(hook.dataset.session, { certificate: agent.certificate, chain: agent.chain,
                                       review: reviewFields() })
      .then(function (prepared) {
        session = prepared;
        say(hook.dataset.msgToken + " sha256:" + prepared.digest.slice(0, 16) + "…");
        return fetch(agentUrl + "/v1/sign", {
          method: "POST", mode: "cors", credentials: "omit",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ to_be_signed: prepared.to_be_signed, paper: prepared.paper,
                                 owner: prepared.owner })
        }).catch(function () { return null; });
      })
      .then(function (r) {
        if (!r || !r.ok) {
          return (r ? r.json().catch(function () { return {}; }) : Promise.resolve({})).then(function (d) {
            throw new Error(agentFailure(d.error));
          });
        }
        return r.json();
      })
      .then(function (signed) {
        say(hook.dataset.msgEmbedding);
        return api(hook.dataset.finish, { id: session.id, signature: signed.signature });
      })
      .then(function () {
        flag.value = session.id;
        form.submit();
      })
      .catch(function (error) {
        say(error.message, true);
        busy = false;
        button.disabled = false;
      });
  }

  if (mode === "remote") { return; }
  say(hook.dataset.msgLooking);
  probe();

  form.addEventListener("submit", function (event) {
    if (flag.value) { return; }
    event.preventDefault();
    if (busy) { return; }
    probe().then(function (found) {
      if (found) { return signAtDesk(); }
      if (mode === "server" || warned) { form.submit(); return; }
      warned = true;
      help.hidden = false;
      say(hook.dataset.msgNone, true);
    });
  });
}());
