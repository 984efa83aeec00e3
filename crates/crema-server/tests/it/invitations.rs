//! Invitations to a café's staff, over real HTTP: inviting tells nothing about which emails
//! have accounts; the invitee accepts with the link's code (a new person choosing a password,
//! an existing account with its own); spent, expired, withdrawn and unknown codes are refused;
//! the owner/manager rules and cross-café isolation hold.

use crate::common;
use crate::common::Accounts as _;

use chrono::{Duration, Utc};
use common::{add_user, email, name, Resp, Server, CAFE, PASSWORD};
use crema_server::auth::secret_hash;
use crema_store::Role;
use reqwest::redirect::Policy;
use serde_json::{json, Value};

/// The shape of a JSON value: its keys and the kinds of their values, not the values.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

/// The code in an invitation answer's link.
fn code_of(r: &Resp) -> String {
    r.expect(201)["link"]
        .as_str()
        .and_then(|l| l.strip_prefix("/invite/"))
        .expect("a link /invite/<code>")
        .to_owned()
}

async fn invite(s: &Server, who: &str, role: &str) -> Resp {
    s.post(s.cafe("/members"), json!({"email": who, "role": role}))
        .await
}

async fn accept(s: &Server, code: &str, password: &str) -> Resp {
    s.send(
        s.anon
            .post(s.api("/invitations/accept"))
            .json(&json!({"code": code, "password": password})),
    )
    .await
}

async fn role_in(s: &Server, slug: &str, who: &str) -> Option<String> {
    let members = s.get(s.api(&format!("/cafes/{slug}/members"))).await;
    members.expect(200).as_array().and_then(|a| {
        a.iter()
            .find(|m| m["email"] == who)
            .and_then(|m| m["role"].as_str().map(str::to_owned))
    })
}

#[tokio::test]
async fn inviting_answers_the_same_whether_the_email_has_an_account() {
    let s = Server::start().await;
    let hash = crema_server::auth::hash_password(PASSWORD).expect("hashing");
    s.store
        .create_user(
            &email("known@test.example"),
            Some(&name("Secret Person")),
            Some(&hash),
        )
        .await
        .expect("an account elsewhere");
    let known = invite(&s, "known@test.example", "barista").await;
    let unknown = invite(&s, "nobody@test.example", "barista").await;
    assert_eq!(
        known.status, unknown.status,
        "{} / {}",
        known.text, unknown.text
    );
    assert_eq!(known.status, 201, "{}", known.text);
    assert_eq!(shape(&known.body), shape(&unknown.body));
    assert_eq!(
        known.body["invitation"]["email"], "known@test.example",
        "{}",
        known.text
    );
    assert_eq!(known.body["invitation"]["role"], "barista");
    assert!(known.body["invitation"]["expires_at"].is_string());
    assert!(
        !known.text.contains("Secret Person"),
        "the account's name leaked: {}",
        known.text
    );
    assert_ne!(code_of(&known), code_of(&unknown));
    // The invitation made no account and no membership.
    assert!(s.store.user_by_email("nobody@test.example").await.is_err());
    assert_eq!(role_in(&s, CAFE, "known@test.example").await, None);
    assert_eq!(role_in(&s, CAFE, "nobody@test.example").await, None);
    // Both wait in the pending list, in the same shape.
    let pending = s.get(s.cafe("/invitations")).await;
    let list = pending.expect(200).as_array().expect("a list").clone();
    assert_eq!(list.len(), 2, "{}", pending.text);
    assert_eq!(shape(&list[0]), shape(&list[1]));
    assert!(!pending.text.contains("/invite/"), "codes are shown once");
}

#[tokio::test]
async fn a_new_person_accepts_chooses_a_password_and_is_a_member() {
    let s = Server::start().await;
    let r = s
        .post(
            s.cafe("/members"),
            json!({"email": "Ny@Test.Example", "role": "cashier", "name": "Ny Kasserer"}),
        )
        .await;
    let code = code_of(&r);
    // The password rules hold for a new account, and a refusal changes nothing.
    let short = accept(&s, &code, "short").await;
    short.rejects(422, "password", "length");
    assert!(s.store.user_by_email("ny@test.example").await.is_err());
    let ok = accept(&s, &code, "a long enough password").await;
    let body = ok.expect(200);
    assert_eq!(body["cafe"], CAFE);
    assert_eq!(body["role"], "cashier");
    assert_eq!(body["user"]["email"], "ny@test.example");
    assert_eq!(body["user"]["name"], "Ny Kasserer");
    assert!(
        ok.header("set-cookie")
            .is_some_and(|c| c.starts_with("crema_session=")),
        "accepting signs in"
    );
    assert_eq!(
        role_in(&s, CAFE, "ny@test.example").await.as_deref(),
        Some("cashier")
    );
    let token = s
        .send(
            s.anon
                .post(s.api("/auth/token"))
                .json(&json!({"email": "ny@test.example", "password": "a long enough password"})),
        )
        .await;
    token.expect(200);
    // The code is spent.
    accept(&s, &code, "a long enough password")
        .await
        .problem(404);
    // Audited as the invitee's own act.
    let user = s
        .store
        .user_by_email("ny@test.example")
        .await
        .expect("made");
    let audit = s
        .get(s.cafe("/audit?action=invitation.accept"))
        .await
        .expect(200)
        .clone();
    let entry = &audit["items"][0];
    assert_eq!(entry["actor_id"], user.id.get(), "{audit}");
    assert_eq!(entry["target"], format!("member:{}", user.id));
    assert_eq!(entry["after"]["role"], "cashier");
}

#[tokio::test]
async fn an_existing_account_accepts_only_with_its_password() {
    let s = Server::start().await;
    let id = add_user(s.store.as_ref(), "old@test.example").await;
    let code = code_of(&invite(&s, "old@test.example", "barista").await);
    let wrong = accept(&s, &code, "not the password at all").await;
    wrong.rejects(422, "password", "wrong");
    assert_eq!(role_in(&s, CAFE, "old@test.example").await, None);
    let ok = s
        .send(
            s.anon
                .post(s.api("/invitations/accept"))
                .json(&json!({"code": code, "password": PASSWORD, "name": "Not Applied"})),
        )
        .await;
    let body = ok.expect(200);
    assert_eq!(body["user"]["id"], id.get());
    assert_eq!(
        body["user"]["name"],
        Value::Null,
        "the account is not changed"
    );
    assert_eq!(
        role_in(&s, CAFE, "old@test.example").await.as_deref(),
        Some("barista")
    );
    // The old password still signs in: the account was not touched.
    s.send(
        s.anon
            .post(s.api("/auth/token"))
            .json(&json!({"email": "old@test.example", "password": PASSWORD})),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn expired_used_withdrawn_and_unknown_codes_are_refused_alike() {
    let s = Server::start().await;
    let cafe = s.store.cafe_by_slug(CAFE).await.expect("café");
    // An expired one, made straight in the store with a code the test knows.
    let new = crema_app::invitations::NewInvitation {
        email: email("late@test.example"),
        role: Role::Barista,
        name: None,
        code_hash: secret_hash("an-expired-code"),
        invited_by: None,
    };
    let long_ago =
        Utc::now() - Duration::days(crema_app::invitations::INVITATION_DAYS) - Duration::minutes(1);
    crema_app::invitations::invite(
        s.store.as_ref(),
        cafe.cafe.id,
        crema_core::access::Principal::Owner,
        new,
        long_ago,
    )
    .await
    .expect("an invitation");
    let withdrawn = invite(&s, "gone@test.example", "barista").await;
    let withdrawn_id = withdrawn.body["invitation"]["id"].as_i64().expect("an id");
    let withdrawn = code_of(&withdrawn);
    s.delete(s.cafe(&format!("/invitations/{withdrawn_id}")))
        .await
        .expect(204);
    s.delete(s.cafe(&format!("/invitations/{withdrawn_id}")))
        .await
        .problem(404);
    // Inviting again replaces the earlier link.
    let first = code_of(&invite(&s, "twice@test.example", "barista").await);
    let second = code_of(&invite(&s, "twice@test.example", "barista").await);
    let used = code_of(&invite(&s, "used@test.example", "barista").await);
    accept(&s, &used, "a good new password").await.expect(200);

    let page_client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let mut gone_page = None;
    for code in ["an-expired-code", &withdrawn, &first, &used, "no-such-code"] {
        accept(&s, code, "a good new password").await.problem(404);
        let page = s
            .send(page_client.get(s.url(&format!("/invite/{code}"))))
            .await;
        assert_eq!(page.status, 404, "{code}");
        assert!(page.text.contains("invite-gone"), "{code}: {}", page.text);
        assert!(!page.text.contains("<form method=\"post\""), "{code}");
        // One and the same page for every reason (the language switch names the page).
        let text = page.text.replace(code, "C");
        let same = gone_page.get_or_insert_with(|| text.clone());
        assert_eq!(*same, text, "{code}");
    }
    for who in [
        "late@test.example",
        "gone@test.example",
        "twice@test.example",
    ] {
        assert!(s.store.user_by_email(who).await.is_err(), "{who}");
    }
    accept(&s, &second, "a good new password").await.expect(200);
    let audit = s.get(s.cafe("/audit?action=invitation.withdraw")).await;
    assert_eq!(
        audit.expect(200)["items"].as_array().map(Vec::len),
        Some(2),
        "the withdrawn and the replaced one: {}",
        audit.text
    );
}

#[tokio::test]
async fn members_change_role_directly_and_managers_keep_their_limits() {
    let s = Server::start().await;
    let manager = s.client_as("m@test.example", Some(Role::Manager)).await;
    let as_manager = |body: Value| manager.post(s.cafe("/members")).json(&body);
    for role in ["owner", "manager"] {
        let r = s
            .send(as_manager(json!({"email": "x@test.example", "role": role})))
            .await;
        r.problem(403);
    }
    assert_eq!(
        s.get(s.cafe("/invitations")).await.expect(200),
        &json!([]),
        "a refused invitation makes nothing"
    );
    // An owner's invitation of a manager is not the manager's to withdraw.
    let boss = invite(&s, "boss@test.example", "manager").await;
    let boss_id = boss.body["invitation"]["id"].as_i64().expect("id");
    s.send(manager.delete(s.cafe(&format!("/invitations/{boss_id}"))))
        .await
        .problem(403);
    // A member's role changes at once (the member list shows them anyway).
    add_user(s.store.as_ref(), "b@test.example").await;
    let code = code_of(&invite(&s, "b@test.example", "barista").await);
    accept(&s, &code, PASSWORD).await.expect(200);
    let r = s
        .send(as_manager(
            json!({"email": "b@test.example", "role": "cashier"}),
        ))
        .await;
    assert_eq!(r.expect(200)["member"]["role"], "cashier");
    assert_eq!(
        role_in(&s, CAFE, "b@test.example").await.as_deref(),
        Some("cashier")
    );
    // … but not a manager's.
    s.send(as_manager(
        json!({"email": "m@test.example", "role": "barista"}),
    ))
    .await
    .problem(403);
}

#[tokio::test]
async fn invitations_stay_in_their_cafe() {
    let s = Server::start().await;
    let manager = s.client_as("m@test.example", Some(Role::Manager)).await;
    let corner = s
        .post(
            s.api("/cafes/corner/members"),
            json!({"email": "c@test.example", "role": "barista"}),
        )
        .await;
    let corner_id = corner.body["invitation"]["id"].as_i64().expect("id");
    let corner_code = code_of(&corner);
    // A manager of the demo café sees and touches nothing of corner's.
    s.send(manager.get(s.api("/cafes/corner/invitations")))
        .await
        .problem(404);
    s.send(manager.delete(s.api(&format!("/cafes/corner/invitations/{corner_id}"))))
        .await
        .problem(404);
    // Nor through their own café's path.
    s.send(manager.delete(s.cafe(&format!("/invitations/{corner_id}"))))
        .await
        .problem(404);
    assert_eq!(s.get(s.cafe("/invitations")).await.expect(200), &json!([]));
    // Accepting joins corner only.
    let body = accept(&s, &corner_code, "corner's new barista").await;
    assert_eq!(body.expect(200)["cafe"], "corner");
    let user = s.store.user_by_email("c@test.example").await.expect("made");
    let roles = s.store.memberships(user.id).await.expect("roles");
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].role, Role::Barista);
    let corner_cafe = s.store.cafe_by_slug("corner").await.expect("corner");
    assert_eq!(roles[0].cafe_id, corner_cafe.cafe.id);
}

#[tokio::test]
async fn the_invitation_page_accepts_and_signs_the_browser_in() {
    let s = Server::start().await;
    add_user(s.store.as_ref(), "has@test.example").await;
    let new_code = code_of(&invite(&s, "new@test.example", "barista").await);
    let old_code = code_of(&invite(&s, "has@test.example", "barista").await);
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client");
    // The page reads the same whether the email has an account (only the email differs).
    let new_page = s
        .send(browser.get(s.url(&format!("/invite/{new_code}"))))
        .await;
    let old_page = s
        .send(browser.get(s.url(&format!("/invite/{old_code}"))))
        .await;
    assert_eq!(new_page.status, 200);
    assert_eq!(
        new_page
            .text
            .replace("new@test.example", "E")
            .replace(&new_code, "C"),
        old_page
            .text
            .replace("has@test.example", "E")
            .replace(&old_code, "C")
    );
    // A form posted from another site is refused and uses nothing up.
    let forged = s
        .send(
            browser
                .post(s.url(&format!("/invite/{new_code}")))
                .header("origin", "https://evil.example")
                .form(&[("password", "the attacker's password")]),
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(s.store.user_by_email("new@test.example").await.is_err());
    // The existing account with a wrong password: the form again, nothing joined.
    let wrong = s
        .send(
            browser
                .post(s.url(&format!("/invite/{old_code}")))
                .header("origin", &s.base)
                .form(&[("password", "wrong wrong wrong")]),
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.text.contains("invite-error"), "{}", wrong.text);
    assert_eq!(role_in(&s, CAFE, "has@test.example").await, None);
    // A new person chooses a password and lands on the staff page, signed in.
    let ok = s
        .send(
            browser
                .post(s.url(&format!("/invite/{new_code}")))
                .header("origin", &s.base)
                .form(&[("password", "my own password"), ("name", "Nina")]),
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    assert_eq!(ok.header("location"), Some(&*format!("/staff?cafe={CAFE}")));
    let me = s.send(browser.get(s.api("/auth/me"))).await;
    assert_eq!(me.expect(200)["email"], "new@test.example");
    assert_eq!(me.body["name"], "Nina");
    assert_eq!(
        role_in(&s, CAFE, "new@test.example").await.as_deref(),
        Some("barista")
    );
}

#[tokio::test]
async fn the_openapi_document_describes_invitations() {
    let s = Server::start().await;
    let doc = s.get(s.api("/openapi.json")).await.expect(200).clone();
    let paths = &doc["paths"];
    let accept = &paths["/api/v1/invitations/accept"]["post"];
    assert_eq!(accept["operationId"], "accept_invitation", "{accept}");
    for status in ["200", "404", "422", "429"] {
        assert!(
            accept["responses"][status].is_object(),
            "{status}: {accept}"
        );
    }
    let members = &paths["/api/v1/cafes/{slug}/members"]["post"]["responses"];
    assert!(
        members["201"].is_object() && members["200"].is_object(),
        "{members}"
    );
    assert!(paths["/api/v1/cafes/{slug}/invitations"]["get"].is_object());
    assert!(paths["/api/v1/cafes/{slug}/invitations/{id}"]["delete"].is_object());
    let schemas = &doc["components"]["schemas"];
    for name in [
        "Invited",
        "InvitationOut",
        "AcceptInvitation",
        "AcceptedOut",
    ] {
        assert!(schemas[name].is_object(), "{name}");
    }
    assert!(
        schemas["Invited"]["properties"]["password"].is_null(),
        "no password in an invitation"
    );
}

#[tokio::test]
async fn a_code_accepted_twice_at_once_makes_one_account() {
    let s = Server::start().await;
    let code = code_of(&invite(&s, "race@test.example", "barista").await);
    let (a, b) = tokio::join!(
        accept(&s, &code, "first password here"),
        accept(&s, &code, "second password here")
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 404], "{} / {}", a.text, b.text);
    let user = s
        .store
        .user_by_email("race@test.example")
        .await
        .expect("one account");
    assert_eq!(s.store.memberships(user.id).await.expect("roles").len(), 1);
}
