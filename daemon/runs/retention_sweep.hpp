#pragma once

#include <filesystem>
#include <functional>

#include "daemon/config/daemon_config.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"

namespace juanie::daemon {

struct RetentionDeps {
  store::Writer& writer;
  store::Reader& reader;
  std::filesystem::path logs;  // data_dir/logs: one directory per run
  config::Retention retention;
  const Clock& clock;
  Log& log;
};

struct Swept {
  int runs = 0;    // run records deleted, logs and all
  int logs = 0;    // runs whose logs were deleted, records kept
  int strays = 0;  // log directories no run needs (a crash mid-sweep)
};

// Applies `retention:`. Files go after their rows are gone or marked, so a crash in between
// leaves only directories the next pass recognises as strays.
class RetentionSweep {
 public:
  explicit RetentionSweep(RetentionDeps deps) : deps_(std::move(deps)) {}
  // `stopping`, when given, is asked between batches: a pass under way ends early at shutdown.
  Result<Swept> pass(const std::function<bool()>& stopping = {});

 private:
  RetentionDeps deps_;
};

}  // namespace juanie::daemon
