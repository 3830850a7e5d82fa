#pragma once

#include <map>
#include <string>

#include "support/temp_dir.hpp"

namespace juanie::test {

// A work tree `home/NAME` and the bare repository `home/NAME.git` it pushes `branch` to: how a
// test plays a developer (the application repository) or an operator (the GitOps one).
class PushedRepository {
 public:
  PushedRepository(const TempDir& home, const std::string& name, const std::string& branch);

  // Writes `files` (path in the repository → content), commits everything as `author`
  // ("Name <email>") and pushes; the new commit's id. Failures are test failures.
  std::string commit(const std::map<std::string, std::string>& files, const std::string& message,
                     const std::string& author = "Dev <dev@example.com>");

  std::string bare() const { return bare_; }
  std::string work() const { return work_; }

 private:
  const TempDir& home_;
  std::string name_, branch_, work_, bare_;
};

}  // namespace juanie::test
