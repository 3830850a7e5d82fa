#pragma once

#include <functional>
#include <string_view>

#include "pipelines/error.hpp"
#include "runner/step_process.hpp"

namespace juanie::runner {

// How a step's process is run: the supervisor (run_process) in the daemon, a recording fake in
// component tests that start no process.
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // As run_process: the outcome, or an error when the process cannot be started.
  virtual Result<ProcessOutcome> run(const ProcessOptions& options,
                                     const std::function<void(std::string_view)>& output) const = 0;
};

class SupervisedProcesses final : public ProcessRunner {
 public:
  Result<ProcessOutcome> run(const ProcessOptions& options,
                             const std::function<void(std::string_view)>& output) const override {
    return run_process(options, output);
  }
};

}  // namespace juanie::runner
