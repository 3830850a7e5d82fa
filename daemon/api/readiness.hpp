#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"

namespace juanie::daemon {

// GET /readyz without a commit per call: anyone can ask it, as often as they like. Ready when
// the read connection reads, the writer's thread runs, the writer can take the database's
// write lock (an empty transaction in its next batch: nothing is written or fsynced), and its
// last commit did not fail. Only while a commit has failed does a check write (the probe row),
// to see the store recover. Checks that arrive while one is under way share its answer.
class Readiness {
 public:
  // nullopt: ready; else why not.
  using Answer = std::function<void(std::optional<std::string>)>;

  Readiness(store::Writer& writer, store::Reader& reader, std::function<std::string()> now)
      : writer_(writer), reader_(reader), now_(std::move(now)) {}

  // `answer` is called once, on the writer's thread or at once.
  void check(Answer answer);

 private:
  void finish(std::optional<std::string> why_not);

  store::Writer& writer_;
  store::Reader& reader_;
  std::function<std::string()> now_;  // RFC 3339, for the probe row
  std::mutex mutex_;
  bool in_flight_ = false;
  std::vector<Answer> waiting_;
};

}  // namespace juanie::daemon
