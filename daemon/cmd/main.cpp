#include <csignal>
#include <string>
#include <vector>

#include "daemon/cmd/cli.hpp"

int main(int argc, char** argv) {
  // Every command writes to pipes whose reader may be gone (a step held before it starts, a
  // client that hung up): an EPIPE to handle, never a signal that ends the program.
  std::signal(SIGPIPE, SIG_IGN);
  return juanie::daemon::run_cli(std::vector<std::string>(argv + 1, argv + argc));
}
