#include "support/pushed_repository.hpp"

#include <gtest/gtest.h>

#include "support/busybox_image.hpp"

namespace juanie::test {
namespace {

std::string git(const std::string& args) {
  int status = 0;
  auto out = sh("git " + args, &status);
  EXPECT_EQ(status, 0) << "git " << args << "\n" << out;
  return out;
}

}  // namespace

PushedRepository::PushedRepository(const TempDir& home, const std::string& name,
                                   const std::string& branch)
    : home_(home),
      name_(name),
      branch_(branch),
      work_((home / name).string()),
      bare_((home / (name + ".git")).string()) {
  git("init -q --bare -b " + branch_ + " " + bare_);
  git("init -q -b " + branch_ + " " + work_);
}

std::string PushedRepository::commit(const std::map<std::string, std::string>& files,
                                     const std::string& message, const std::string& author) {
  for (const auto& [path, content] : files) home_.write(name_ + "/" + path, content);
  const auto lt = author.find(" <");
  const std::string who = author.substr(0, lt);
  const std::string email = author.substr(lt + 2, author.size() - lt - 3);
  git("-C " + work_ + " add -A");
  git("-C " + work_ + " -c user.email=" + email + " -c 'user.name=" + who + "' commit -qm '" +
      message + "'");
  git("-C " + work_ + " push -q " + bare_ + " " + branch_);
  auto sha = git("-C " + work_ + " rev-parse HEAD");
  if (!sha.empty()) sha.pop_back();
  return sha;
}

}  // namespace juanie::test
