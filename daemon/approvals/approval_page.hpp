#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The approval pages: self-contained HTML (inline style, no scripts, no third-party assets).
namespace juanie::daemon::approvals {

std::string html_escape(std::string_view text);
// Appends `c` to `out` as html_escape would: for text escaped a byte at a time.
void append_html_escaped(std::string& out, char c);

struct PageDecision {
  std::string approver;
  std::string decision;
  std::string comment;
  std::string at;
};

struct PageView {
  std::string action;  // the form's target: /approve/<token>
  std::string csrf;
  std::string approver;
  std::string project;
  std::string environment;
  std::string deployment;
  std::string image;
  std::string tag;
  std::string digest;
  std::string sha;
  std::string branch;
  std::string commit_subject;
  std::string commit_author;
  std::string pusher;
  std::string triggered_by;
  std::string gitops_repository;
  std::string gitops_branch;
  std::string gitops_path;
  std::string gitops_change;  // "images[name=...].newTag: 3f2a1bc"
  std::string gitops_message;
  std::string expires_at;
  int required = 1;
  std::vector<PageDecision> decisions;
  std::string preselected;  // approve | reject: which button the link's ?decision= put first
  std::string closed;       // set when no decision can be made: why (and no form is shown)
};

std::string approval_page(const PageView& view);
// A readable answer: what happened and why.
std::string message_page(std::string_view title, std::string_view message);

// What an approver reads after posting a decision: the page's title and its sentence.
struct PageText {
  std::string title;
  std::string message;
};

// The answers to a decision, refused or recorded.
PageText link_not_for_deployment_text();
PageText image_changed_text();
PageText link_used_text();
PageText no_longer_waiting_text(std::int64_t deployment, std::string_view state,
                                const std::optional<std::string>& reason);
PageText choose_decision_text();
// choose_decision_text's message with what the form said instead, short and escaped.
std::string undecided_text(std::string_view posted);
PageText expired_text(std::string_view deadline);
PageText gate_removed_text(std::string_view environment);
// A decision the gate refuses: `why` is the gate's sentence; `twice` when it is the second one
// of the same approver.
PageText refused_decision_text(bool twice, std::string_view why);
PageText rejected_text(std::int64_t deployment, std::string_view environment);
PageText approved_final_text(std::string_view image, std::string_view tag,
                             std::string_view environment);
PageText approved_waiting_text(int approvals, int required);

}  // namespace juanie::daemon::approvals
