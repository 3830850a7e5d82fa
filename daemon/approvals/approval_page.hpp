#pragma once

#include <string>
#include <string_view>
#include <vector>

// The approval pages: self-contained HTML (inline style, no scripts, no third-party assets).
namespace juanie::daemon::approvals {

std::string html_escape(std::string_view text);

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

}  // namespace juanie::daemon::approvals
