#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "runner/process_runner.hpp"

namespace juanie::test {

// A step's process in component tests: nothing is started. Each call is recorded (its argv and
// environment) and answered with the next scripted answer (exit 0 with no output once they run
// out): its output goes to the step's log, `during` runs as if while the process ran (a test
// cancels there), and a stop asked for by then ends it as cancelled, as the supervisor would.
class RecordingProcesses final : public runner::ProcessRunner {
 public:
  struct Answer {
    int exit_code = 0;
    std::string output;
    std::function<void()> during;
    std::string error;  // the process cannot be started
  };
  struct Call {
    std::vector<std::string> argv;
    std::vector<std::string> env;
  };

  void answer_with(std::deque<Answer> answers) {
    std::lock_guard lock(mutex_);
    answers_ = std::move(answers);
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

  Result<runner::ProcessOutcome> run(
      const runner::ProcessOptions& options,
      const std::function<void(std::string_view)>& output) const override {
    Answer answer;
    {
      std::lock_guard lock(mutex_);
      calls_.push_back({options.argv, options.env});
      if (!answers_.empty()) {
        answer = std::move(answers_.front());
        answers_.pop_front();
      }
    }
    if (!answer.error.empty()) return fail(answer.error);
    if (!answer.output.empty()) output(answer.output);
    if (answer.during) answer.during();
    runner::ProcessOutcome outcome;
    outcome.exit_code = answer.exit_code;
    if (options.cancel && options.cancel->load()) {
      outcome.cancelled = true;
      outcome.exit_code = 128 + 15;  // SIGTERM, as the supervisor reports it
    }
    return outcome;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::deque<Answer> answers_;
  mutable std::vector<Call> calls_;
};

}  // namespace juanie::test
