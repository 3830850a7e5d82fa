#include "daemon/notify/message_format.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace juanie::daemon::notify {
namespace {

namespace json = boost::json;

const Fields kRequest{{"project", "shop-api"},
                      {"environment", "prod"},
                      {"deployment", "7"},
                      {"run", "12"},
                      {"image", "registry.example.com/acme/shop-api"},
                      {"tag", "3f2a1bc"},
                      {"sha", "3f2a1bc0000000000000000000000000000000aa"},
                      {"branch", "main"},
                      {"approver", "bob"},
                      {"approver_dingtalk", "13800000000"},
                      {"link", "https://ci.example.com/approve/v1.x.y.z"}};

TEST(MessageFormat, DingTalkSignatureIsTheDocumentedOne) {
  // Computed with Python as DingTalk's documentation does it:
  // quote_plus(b64encode(hmac(secret, f"{ts}\n{secret}", sha256))).
  EXPECT_EQ(dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc",
                                "SECdemo-secret", 1700000000000),
            "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000"
            "&sign=hMcp9tIC%2Bt4YETtvFK%2BlpdjLr1E%2FovXPdM%2BYDW8K4XM%3D");
}

// What a group chat is told of an approval request: who, with mentions, and where to decide.
const Fields kGroupRequest{{"project", "shop-api"},
                           {"environment", "prod"},
                           {"deployment", "7"},
                           {"run", "12"},
                           {"image", "registry.example.com/acme/shop-api"},
                           {"tag", "3f2a1bc"},
                           {"approvers", "alice, bob"},
                           {"required_approvals", "1"},
                           {"approvers_dingtalk", "13800000000,13900000000"},
                           {"approvers_slack", "U1,U2"},
                           {"unreached", "bob"}};

TEST(MessageFormat, DingTalkApprovalMentionsTheApproversWithoutALink) {
  auto o = json::parse(dingtalk_body("approval_requested", kGroupRequest)).as_object();
  EXPECT_EQ(o.at("msgtype").as_string(), "markdown");
  const auto& mobiles = o.at("at").at("atMobiles").as_array();
  ASSERT_EQ(mobiles.size(), 2u);
  EXPECT_EQ(mobiles[1].as_string(), "13900000000");
  const std::string text(o.at("markdown").at("text").as_string());
  EXPECT_NE(text.find("@13800000000 @13900000000"), std::string::npos) << text;
  EXPECT_NE(text.find("Deployment 7 waits for 1 approval(s) from alice, bob."), std::string::npos)
      << text;
  EXPECT_NE(text.find("No personal channel reaches bob: an operator prints their link with "
                      "`juanie approval-link --config FILE 7 NAME`."),
            std::string::npos)
      << text;
  // Even handed a link, a group message does not show it.
  EXPECT_EQ(dingtalk_body("approval_requested", kRequest).find("/approve/"), std::string::npos);
  auto done = json::parse(dingtalk_body("deployment_succeeded", kRequest)).as_object();
  EXPECT_EQ(done.at("msgtype").as_string(), "markdown");
}

TEST(MessageFormat, WebhookAndSlackBodies) {
  auto o = json::parse(webhook_body(99, "approval_requested", kGroupRequest)).as_object();
  EXPECT_EQ(o.at("event").as_string(), "approval_requested");
  EXPECT_EQ(o.at("delivery").as_int64(), 99);
  EXPECT_EQ(o.at("deployment").as_int64(), 7);
  EXPECT_EQ(o.at("run").as_int64(), 12);
  EXPECT_EQ(o.at("tag").as_string(), "3f2a1bc");
  EXPECT_EQ(o.at("approvers").as_string(), "alice, bob");
  // Python: hmac.new(b'k', b'{"a":1}', sha256).hexdigest()
  EXPECT_EQ(webhook_signature("k", R"({"a":1})"),
            "sha256=c3a92ff9e274cdcce27a58c15a78ec6dcbbdbd0038a87e7a11baef2028fd8bff");
  auto slack = json::parse(slack_body("approval_requested", kGroupRequest)).as_object();
  const std::string text(slack.at("text").as_string());
  EXPECT_TRUE(
      text.starts_with("<@U1> <@U2> shop-api: approval requested: deploy "
                       "registry.example.com/acme/shop-api:3f2a1bc to prod\nDeployment 7 waits"))
      << text;
  EXPECT_FALSE(slack.contains("channel"));
  EXPECT_EQ(json::parse(slack_body("run_failed", kGroupRequest, "C42")).at("channel").as_string(),
            "C42");
  Fields mine = kRequest;
  mine["approver_slack"] = "U2";
  auto dm = json::parse(slack_direct_body(mine)).as_object();
  EXPECT_EQ(dm.at("channel").as_string(), "U2");
  EXPECT_TRUE(
      std::string(dm.at("text").as_string())
          .starts_with("<@U2> shop-api: approval requested: deploy registry.example.com/acme/"
                       "shop-api:3f2a1bc to prod\n<https://ci.example.com/approve/v1.x.y.z|Approve "
                       "or reject>"))
      << dm.at("text");
}

// With a public_url every message links to what it tells of on the status page.
TEST(MessageFormat, EveryFormatLinksToTheStatusPage) {
  Fields f = kRequest;
  f.erase("link");
  f["page"] = "https://ci.example.com/deployments/7";
  EXPECT_NE(plain_text("deployment_succeeded", f)
                .find("status page: https://ci.example.com/deployments/7\n"),
            std::string::npos);
  EXPECT_NE(std::string(json::parse(slack_body("deployment_succeeded", f)).at("text").as_string())
                .find("\n<https://ci.example.com/deployments/7|Open in juanie>"),
            std::string::npos);
  EXPECT_NE(std::string(json::parse(dingtalk_body("deployment_succeeded", f))
                            .at("markdown")
                            .at("text")
                            .as_string())
                .find("- [open in juanie](https://ci.example.com/deployments/7)"),
            std::string::npos);
  EXPECT_EQ(json::parse(webhook_body(1, "deployment_succeeded", f)).at("page").as_string(),
            "https://ci.example.com/deployments/7");
}

// A failure's reason can quote a pusher's pipeline file, and a branch is theirs to name: in
// Slack neither may ping the channel nor dress a link up as something to click.
TEST(MessageFormat, SlackTextFromOutsideCannotMentionOrLink) {
  Fields f = kRequest;
  f["branch"] = "<!channel>";
  f["reason"] = "step <https://evil.example/|Approve> & <!here> failed";
  const auto text = std::string(json::parse(slack_body("run_failed", f)).at("text").as_string());
  EXPECT_EQ(text.find("<!"), std::string::npos) << text;
  EXPECT_EQ(text.find("<https"), std::string::npos) << text;
  EXPECT_NE(text.find("reason: step &lt;https://evil.example/|Approve&gt; &amp; &lt;!here&gt; "
                      "failed"),
            std::string::npos)
      << text;
}

// A reason quotes what a pusher wrote (a RUN line podman repeats): in DingTalk's markdown it
// is one code span, so no link or image renders from it.
TEST(MessageFormat, DingTalkMarkdownFromOutsideCannotLinkOrShowImages) {
  Fields f = kRequest;
  f["reason"] =
      "RUN false # [Approve](https://evil.example/) ![](https://evil.example/t.png)\n"
      "- [second](https://evil.example/) `x`";
  const auto body = json::parse(dingtalk_body("run_failed", f));
  const std::string text(body.at("markdown").at("text").as_string());
  EXPECT_NE(text.find("- reason: `RUN false # [Approve](https://evil.example/) "
                      "![](https://evil.example/t.png) - [second](https://evil.example/) 'x'`\n"),
            std::string::npos)
      << text;
}

TEST(MessageFormat, MailHeadersCannotBeInjected) {
  Fields f = kRequest;
  f["project"] = "shop\r\nBcc: victim@example.com";
  const std::string mail =
      email_message("ci@example.com", {"bob@example.com"}, "approval_requested", f,
                    "Fri, 27 Nov 2026 13:36:20 +0000", "juanie.1@example.com");
  const std::string headers = mail.substr(0, mail.find("\r\n\r\n"));
  EXPECT_EQ(headers.find("\r\nBcc:"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Subject: shop  Bcc: victim@example.com: approval requested"),
            std::string::npos);
  EXPECT_NE(mail.find("https://ci.example.com/approve/v1.x.y.z\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Date: Fri, 27 Nov 2026 13:36:20 +0000"), std::string::npos);
}

}  // namespace
}  // namespace juanie::daemon::notify
