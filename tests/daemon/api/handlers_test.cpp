// The API's handlers driven in-process: a real store (a temporary SQLite file), a manual clock
// and hand-built requests. No socket: each handler's reply is caught and its JSON read back,
// and what it changed is read from the store.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <future>
#include <sstream>

#include "daemon/api/approval_handlers.hpp"
#include "daemon/api/deployment_handlers.hpp"
#include "daemon/api/health_handlers.hpp"
#include "daemon/api/run_handlers.hpp"
#include "daemon/store/approvals.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/outbox.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "support/manual_clock.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

namespace juanie::daemon {
namespace {

namespace json = boost::json;
using pipelines::DeploymentState;
using pipelines::RunState;

http::Request request(std::string method, std::string target) {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.remote_address = "127.0.0.1";
  return r;
}

// A project "shop" whose prod environment waits for alice and bob.
config::ProjectMap shop_project() {
  auto project = std::make_shared<config::LoadedProject>();
  project->config.name = "shop";
  pipelines::Environment prod;
  prod.name = "prod";
  prod.approval = pipelines::Approval::kRequired;
  prod.approvers = {"alice", "bob"};
  prod.required_approvals = 2;
  project->config.environments.push_back(prod);
  config::ProjectMap map;
  map.emplace("shop", std::move(project));
  return map;
}

class HandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(test::open_store(home / "juanie.db", writer, reader));
    flow.emplace(daemon_config, std::vector<approvals::SigningKey>{}, notifier);
    desk.emplace(approvals::DeskDeps{*flow, *writer, *reader, projects, clock, log, nullptr});
    deps.emplace(RouteDeps{clock,
                           log,
                           metrics,
                           projects,
                           *writer,
                           *reader,
                           {},
                           [this] { ++wakes; },
                           [this](std::int64_t run) { return run == running_here; },
                           *flow,
                           *desk,
                           nullptr});
  }

  void TearDown() override {
    if (writer) writer->stop();
  }

  // The response a handler gives, whether it answers at once or from the writer's thread.
  template <typename Handler>
  http::Response answer(Handler handler) {
    std::promise<http::Response> answered;
    auto got = answered.get_future();
    handler([&answered](http::Response r) { answered.set_value(std::move(r)); });
    return got.get();
  }

  std::int64_t queue(const std::string& branch) {
    store::RunRequest r;
    r.project = "shop";
    r.forge = "github";
    r.delivery = "d-" + std::to_string(++deliveries);
    r.event = "push";
    r.ref = "refs/heads/" + branch;
    r.ref_kind = "branch";
    r.branch = branch;
    r.sha = std::string(40, static_cast<char>('a' + deliveries % 6));
    std::int64_t id = 0;
    write([&](store::Database& db) -> Result<void> {
      auto outcome = store::record_push(db, r, rfc3339(clock.now()));
      if (!outcome) return std::unexpected(outcome.error());
      id = outcome->run_id;
      return {};
    });
    return id;
  }

  void write(const std::function<Result<void>(store::Database&)>& work) {
    auto ok = store::write_and_wait(*writer, work);
    ASSERT_TRUE(ok) << ok.error().message;
  }

  // A run that ran `steps`, the last one failed.
  std::int64_t failed_run(int steps) {
    const std::int64_t id = queue("main");
    write([&](store::Database& db) -> Result<void> {
      const auto at = rfc3339(clock.now());
      if (auto ok = store::set_run_state(db, id, RunState::kRunning, std::nullopt, at); !ok)
        return ok;
      for (int i = 0; i < steps; ++i) {
        store::StepRecord step;
        step.index = i;
        step.name = "step " + std::to_string(i);
        step.state =
            i + 1 == steps ? pipelines::StepState::kFailed : pipelines::StepState::kSucceeded;
        if (auto ok = store::save_step(db, id, step); !ok) return ok;
      }
      return store::set_run_state(db, id, RunState::kFailed, "step failed", at);
    });
    return id;
  }

  std::int64_t deployment(std::int64_t run, const std::string& environment, DeploymentState to) {
    std::int64_t id = 0;
    write([&](store::Database& db) -> Result<void> {
      store::DeploymentRecord d;
      d.run = run;
      d.project = "shop";
      d.environment = environment;
      d.image = "registry.local/shop";
      d.tag = "t" + std::to_string(run);
      auto created = store::create_deployment(db, d, rfc3339(clock.now()));
      if (!created) return std::unexpected(created.error());
      id = created->id;
      if (to == DeploymentState::kPending) return {};
      return store::set_deployment_state(db, id, to, std::nullopt, std::nullopt,
                                         rfc3339(clock.now()));
    });
    return id;
  }

  std::string run_state(std::int64_t run) {
    auto found = reader->with([&](store::Database& db) { return store::find_run(db, run); });
    return found && *found ? std::string(pipelines::to_string((*found)->state)) : "missing";
  }

  test::TempDir home;
  test::ManualClock clock;
  std::ostringstream log_text;
  Log log{log_text};
  Metrics metrics;
  ProjectRegistry projects{shop_project()};
  config::DaemonConfig daemon_config;
  notify::Notifier notifier{daemon_config, nullptr};
  std::unique_ptr<store::Writer> writer;
  std::optional<store::Reader> reader;
  std::optional<approvals::ApprovalFlow> flow;
  std::optional<approvals::ApprovalDesk> desk;
  std::optional<RouteDeps> deps;
  const config::ApiToken caller{"ci-token", {}, "alice"};
  std::int64_t running_here = 0;
  int wakes = 0;
  int deliveries = 0;
};

// A JSON answer's body as the server sends it: the document and a newline.
std::string json_line(std::string document) {
  return document + "\n";
}

std::vector<std::int64_t> ids(const json::value& list, std::string_view key) {
  std::vector<std::int64_t> out;
  for (const auto& item : list.at(key).as_array()) out.push_back(item.at("id").as_int64());
  return out;
}

TEST_F(HandlersTest, RunsListPagesNewestFirstWithACursor) {
  for (int i = 0; i < 3; ++i) queue("main");
  auto first = answer([&](http::Reply r) {
    api::list_runs(*deps, request("GET", "/api/v1/runs?limit=2"), std::move(r));
  });
  ASSERT_EQ(first.status, 200) << first.body;
  const auto page1 = json::parse(first.body);
  EXPECT_EQ(ids(page1, "runs"), (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(page1.at("next").as_int64(), 2);

  auto second = answer([&](http::Reply r) {
    api::list_runs(*deps, request("GET", "/api/v1/runs?limit=2&before=2"), std::move(r));
  });
  ASSERT_EQ(second.status, 200) << second.body;
  const auto page2 = json::parse(second.body);
  EXPECT_EQ(ids(page2, "runs"), (std::vector<std::int64_t>{1}));
  EXPECT_TRUE(page2.at("next").is_null());

  auto other = answer([&](http::Reply r) {
    api::list_runs(*deps, request("GET", "/api/v1/runs?project=elsewhere"), std::move(r));
  });
  EXPECT_TRUE(json::parse(other.body).at("runs").as_array().empty());

  auto bad = answer([&](http::Reply r) {
    api::list_runs(*deps, request("GET", "/api/v1/runs?limit=0"), std::move(r));
  });
  EXPECT_EQ(bad.status, 400);
}

TEST_F(HandlersTest, GetRunAnswersTheRunOrNoSuchRun) {
  const auto id = failed_run(2);
  auto found = answer([&](http::Reply r) {
    api::run_item(*deps, request("GET", "/api/v1/runs/" + std::to_string(id)), caller,
                  std::move(r));
  });
  ASSERT_EQ(found.status, 200) << found.body;
  const auto run = json::parse(found.body);
  EXPECT_EQ(run.at("id").as_int64(), id);
  EXPECT_EQ(run.at("state").as_string(), "failed");
  EXPECT_EQ(run.at("steps").as_array().size(), 2u);

  auto missing = answer([&](http::Reply r) {
    api::run_item(*deps, request("GET", "/api/v1/runs/99"), caller, std::move(r));
  });
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, json_line(R"({"error":"no such run"})"));
  // The run is looked up before the method: an unknown run is a 404 whatever the method.
  auto wrong_method = answer([&](http::Reply r) {
    api::run_item(*deps, request("DELETE", "/api/v1/runs/" + std::to_string(id)), caller,
                  std::move(r));
  });
  EXPECT_EQ(wrong_method.status, 405);
}

TEST_F(HandlersTest, CancelMarksAQueuedRunCancelledAndRefusesAnEndedOne) {
  const auto id = queue("main");
  const auto target = "/api/v1/runs/" + std::to_string(id) + "/cancel";
  auto cancelled = answer(
      [&](http::Reply r) { api::run_item(*deps, request("POST", target), caller, std::move(r)); });
  EXPECT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.body,
            json_line(R"({"run":)" + std::to_string(id) + R"(,"state":"cancelled"})"));
  EXPECT_EQ(run_state(id), "cancelled");

  auto again = answer(
      [&](http::Reply r) { api::run_item(*deps, request("POST", target), caller, std::move(r)); });
  EXPECT_EQ(again.status, 409) << again.body;
}

TEST_F(HandlersTest, CancelOfARunningRunAsksItsExecutorAndLeavesTheStore) {
  const auto id = queue("main");
  running_here = id;
  auto cancelling = answer([&](http::Reply r) {
    api::run_item(*deps, request("POST", "/api/v1/runs/" + std::to_string(id) + "/cancel"), caller,
                  std::move(r));
  });
  EXPECT_EQ(cancelling.status, 202);
  EXPECT_EQ(cancelling.body,
            json_line(R"({"run":)" + std::to_string(id) + R"(,"state":"cancelling"})"));
  EXPECT_EQ(run_state(id), "queued");
}

TEST_F(HandlersTest, RetryQueuesANewRunFromTheFailedStep) {
  const auto id = failed_run(3);
  const auto base = "/api/v1/runs/" + std::to_string(id) + "/retry";
  auto retried = answer([&](http::Reply r) {
    api::run_item(*deps, request("POST", base + "?from=failed"), caller, std::move(r));
  });
  ASSERT_EQ(retried.status, 202) << retried.body;
  const auto body = json::parse(retried.body);
  EXPECT_EQ(body.at("retry_of").as_int64(), id);
  const auto new_id = body.at("run").as_int64();
  EXPECT_EQ(run_state(new_id), "queued");
  EXPECT_EQ(wakes, 1);
  auto fresh = reader->with([&](store::Database& db) { return store::find_run(db, new_id); });
  ASSERT_TRUE(fresh && *fresh);
  EXPECT_EQ((*fresh)->retry_of, id);
  EXPECT_EQ((*fresh)->resume_from, 2);

  auto bad_from = answer([&](http::Reply r) {
    api::run_item(*deps, request("POST", base + "?from=start"), caller, std::move(r));
  });
  EXPECT_EQ(bad_from.status, 400);
  EXPECT_EQ(bad_from.body, json_line(R"({"error":"from must be \"failed\""})"));
}

TEST_F(HandlersTest, RetryFromFailedOfARunWithNoFailedStepIsAConflict) {
  const auto id = queue("main");
  write([&](store::Database& db) {
    return store::set_run_state(db, id, RunState::kCancelled, "by hand", rfc3339(clock.now()));
  });
  auto refused = answer([&](http::Reply r) {
    api::run_item(*deps,
                  request("POST", "/api/v1/runs/" + std::to_string(id) + "/retry?from=failed"),
                  caller, std::move(r));
  });
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.body,
            json_line(R"({"error":"run )" + std::to_string(id) + R"( has no failed step"})"));
  EXPECT_EQ(wakes, 0);
}

TEST_F(HandlersTest, DeploymentsListFiltersByState) {
  const auto waiting = deployment(queue("a"), "prod", DeploymentState::kAwaitingApproval);
  const auto pending = deployment(queue("b"), "prod", DeploymentState::kPending);
  auto all = answer([&](http::Reply r) {
    api::list_deployments(*deps, request("GET", "/api/v1/deployments"), std::move(r));
  });
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(ids(json::parse(all.body), "deployments"),
            (std::vector<std::int64_t>{pending, waiting}));

  auto filtered = answer([&](http::Reply r) {
    api::list_deployments(*deps, request("GET", "/api/v1/deployments?state=awaiting_approval"),
                          std::move(r));
  });
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  EXPECT_EQ(ids(json::parse(filtered.body), "deployments"), (std::vector<std::int64_t>{waiting}));

  auto bad = answer([&](http::Reply r) {
    api::list_deployments(*deps, request("GET", "/api/v1/deployments?state=waiting"), std::move(r));
  });
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(
      bad.body,
      json_line(
          R"({"error":"state must be a deployment state, e.g. pending or awaiting_approval"})"));
}

TEST_F(HandlersTest, ApprovalsListShowsWhoIsAwaitedAndWhoDecided) {
  const auto d = deployment(queue("main"), "prod", DeploymentState::kAwaitingApproval);
  deployment(queue("other"), "prod", DeploymentState::kPending);  // awaits no one yet
  write([&](store::Database& db) {
    store::ApprovalRecord a;
    a.deployment = d;
    a.approver = "bob";
    a.decided_at = rfc3339(clock.now());
    a.token_nonce = "n-1";
    return store::insert_approval(db, a);
  });
  auto approvers = [&](const std::string& query) {
    const auto r = api::list_approvals(*deps, request("GET", "/api/v1/approvals" + query));
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    const auto list = json::parse(r.body);
    for (const auto& item : list.at("approvals").as_array()) {
      EXPECT_EQ(item.at("deployment").as_int64(), d);
      out.push_back(std::string(item.at("approver").as_string()) + ":" +
                    std::string(item.at("state").as_string()));
    }
    return out;
  };
  EXPECT_EQ(approvers(""), (std::vector<std::string>{"alice:pending", "bob:approve"}));
  EXPECT_EQ(approvers("?state=pending"), (std::vector<std::string>{"alice:pending"}));
  EXPECT_EQ(approvers("?state=decided"), (std::vector<std::string>{"bob:approve"}));

  const auto bad = api::list_approvals(*deps, request("GET", "/api/v1/approvals?state=open"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, json_line(R"({"error":"state must be pending or decided"})"));
}

// The waiting gauges come from the store at each scrape: how many deployments await approval
// and since when the oldest has (its request for approvals, not its creation: it may have
// waited for a trigger first), and how old the oldest undelivered notification is.
TEST_F(HandlersTest, MetricsSayHowLongApprovalsAndNotificationsHaveWaited) {
  using namespace std::chrono_literals;
  auto line = [&](const std::string& name) {
    const auto body = api::metrics(*deps).body;
    const auto at = body.find("\n" + name + " ");
    if (at == std::string::npos) return std::string("missing in\n") + body;
    return body.substr(at + 1, body.find('\n', at + 1) - at - 1);
  };
  EXPECT_EQ(line("juanie_approvals_pending"), "juanie_approvals_pending 0");
  EXPECT_EQ(line("juanie_approval_oldest_age_seconds"), "juanie_approval_oldest_age_seconds 0");
  EXPECT_EQ(line("juanie_outbox_oldest_age_seconds"), "juanie_outbox_oldest_age_seconds 0");

  // Made now, asked for approval 10 minutes later (a manual trigger), then a second one.
  const auto first = deployment(queue("a"), "prod", DeploymentState::kPending);
  clock.advance(10min);
  write([&](store::Database& db) -> Result<void> {
    const auto at = rfc3339(clock.now());
    if (auto ok = store::set_deployment_state(db, first, DeploymentState::kAwaitingApproval,
                                              std::nullopt, std::nullopt, at);
        !ok) {
      return ok;
    }
    return store::append_audit(db, {at, "request_approvals", "juanie", first, "done", "", "", ""});
  });
  clock.advance(20min);
  deployment(queue("b"), "staging", DeploymentState::kAwaitingApproval);
  write([&](store::Database& db) {
    return store::enqueue(db, "{}", "run_failed", "{}", rfc3339(clock.now()));
  });
  clock.advance(90s);
  EXPECT_EQ(line("juanie_approvals_pending"), "juanie_approvals_pending 2");
  EXPECT_EQ(line("juanie_approval_oldest_age_seconds"),
            "juanie_approval_oldest_age_seconds 1290");  // 20 min 90 s since the request
  EXPECT_EQ(line("juanie_outbox_oldest_age_seconds"), "juanie_outbox_oldest_age_seconds 90");

  // Decided and delivered: nothing waits, and the ages are 0 again.
  write([&](store::Database& db) -> Result<void> {
    const auto at = rfc3339(clock.now());
    auto waiting = store::deployments_in_state(db, DeploymentState::kAwaitingApproval);
    if (!waiting) return std::unexpected(waiting.error());
    for (const auto& d : *waiting) {
      if (auto ok = store::set_deployment_state(db, d.id, DeploymentState::kCancelled, "test",
                                                std::nullopt, at);
          !ok) {
        return ok;
      }
    }
    return store::mark_delivered(db, 1, at);
  });
  EXPECT_EQ(line("juanie_approvals_pending"), "juanie_approvals_pending 0");
  EXPECT_EQ(line("juanie_approval_oldest_age_seconds"), "juanie_approval_oldest_age_seconds 0");
  EXPECT_EQ(line("juanie_outbox_oldest_age_seconds"), "juanie_outbox_oldest_age_seconds 0");
}

}  // namespace
}  // namespace juanie::daemon
