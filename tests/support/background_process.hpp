#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace juanie::test {

// A service a test starts (a git server, sshd), killed with its process group when the
// object ends. Its stdout is kept open so the first line can be read (a port, say).
class BackgroundProcess {
 public:
  // `log`: where its stdout and stderr go (empty: stdout to first_line(), stderr the test's).
  explicit BackgroundProcess(const std::vector<std::string>& argv, const std::string& log = "");
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // The first line the process prints on stdout, without its newline ("" at EOF).
  std::string first_line();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

// Waits until 127.0.0.1:port accepts connections; false after `seconds`.
bool wait_for_port(int port, int seconds);

}  // namespace juanie::test
