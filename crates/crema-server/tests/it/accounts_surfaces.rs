//! Account writes refused alike wherever they are offered: the rules are the application
//! layer's and core's (`crema_core::account`), not a surface's.

use crate::common::{Server, OWNER_EMAIL, PASSWORD};
use crema_core::account::ROLE_RULE;
use reqwest::header::ORIGIN;
use serde_json::json;

fn length_rule() -> String {
    let e = crema_core::account::check_new_password("x", "short").expect_err("too short");
    e.errors[0].message.clone()
}

#[tokio::test]
async fn a_too_short_password_gets_the_same_refusal_from_the_api_the_account_form_and_an_invitation(
) {
    let s = Server::start().await;
    // Changing one's password (the field is `new_password` in this request).
    let changed = s
        .post(
            s.api("/auth/password"),
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    let p = changed.problem(422);
    assert_eq!(p["errors"][0]["field"], "new_password", "{p}");
    assert_eq!(p["errors"][0]["code"], "length", "{p}");
    assert_eq!(p["errors"][0]["message"], length_rule().as_str(), "{p}");

    // A new person accepting an invitation (the field is `password` there).
    let invited = s
        .post(
            s.cafe("/members"),
            json!({"email": "new@test.example", "role": "barista"}),
        )
        .await;
    let code = invited.expect(201)["link"]
        .as_str()
        .and_then(|l| l.strip_prefix("/invite/"))
        .expect("a link")
        .to_owned();
    let accepted = s
        .send(
            s.anon
                .post(s.api("/invitations/accept"))
                .json(&json!({"code": code, "password": "short"})),
        )
        .await;
    let p = accepted.problem(422);
    assert_eq!(p["errors"][0]["field"], "password", "{p}");
    assert_eq!(p["errors"][0]["code"], "length", "{p}");
    assert_eq!(p["errors"][0]["message"], length_rule().as_str(), "{p}");

    // The account page's form, signed in with a cookie: the page again, with the rule.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let signed_in = browser
        .post(s.url("/login"))
        .header(ORIGIN, &s.base)
        .form(&[
            ("email", OWNER_EMAIL),
            ("password", PASSWORD),
            ("next", "/account"),
        ])
        .send()
        .await
        .expect("signing in");
    assert_eq!(signed_in.status(), 303);
    let page = browser
        .post(s.url("/account"))
        .header(ORIGIN, &s.base)
        .form(&[("current", PASSWORD), ("new", "short")])
        .send()
        .await
        .expect("posting the form");
    assert_eq!(page.status(), 422);
    let html = page.text().await.expect("the page");
    assert!(html.contains(&length_rule()), "{html}");

    // None of the refusals changed anything: the old password still signs in, the code still works.
    let login = s
        .send(
            s.anon
                .post(s.api("/auth/token"))
                .json(&json!({"email": OWNER_EMAIL, "password": PASSWORD})),
        )
        .await;
    login.expect(200);
    let accepted = s
        .send(
            s.anon
                .post(s.api("/invitations/accept"))
                .json(&json!({"code": code, "password": "long enough now"})),
        )
        .await;
    accepted.expect(200);
}

#[tokio::test]
async fn a_bad_role_is_refused_with_the_rule_the_command_line_gives() {
    let s = Server::start().await;
    let r = s
        .post(
            s.cafe("/members"),
            json!({"email": "x@test.example", "role": "emperor"}),
        )
        .await;
    let p = r.problem(422);
    assert_eq!(p["errors"][0]["field"], "role", "{p}");
    // `crema user add --role emperor` says `--role <the same rule>` (tests/cli.rs).
    assert_eq!(p["errors"][0]["message"], ROLE_RULE, "{p}");
    // Nothing was made.
    let pending = s.get(s.cafe("/invitations")).await;
    assert_eq!(pending.expect(200), &json!([]));
}
