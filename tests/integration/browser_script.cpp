#include "integration/browser_script.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <filesystem>

#include "support/shell.hpp"

namespace juanie::test {

boost::json::object run_browser_script(const std::string& script,
                                       const std::vector<std::string>& args,
                                       const std::string& name) {
  std::filesystem::create_directories(JUANIE_TEST_ARTIFACTS);
  std::string command = "node " JUANIE_SOURCE_DIR "/tests/browser/" + script;
  for (const auto& a : args) command += " '" + a + "'";
  command += " '" JUANIE_TEST_ARTIFACTS "/" + name + "'";
  int status = 0;
  const std::string out = sh(command, &status);
  const auto json_start = out.rfind("\n{");
  boost::system::error_code ec;
  auto parsed =
      boost::json::parse(out.substr(json_start == std::string::npos ? 0 : json_start + 1), ec);
  if (ec || !parsed.is_object() || status != 0) {
    ADD_FAILURE() << script << " failed (status " << status << "):\n" << out;
    return {};
  }
  if (parsed.as_object().contains("error")) {
    ADD_FAILURE() << script << " stopped: " << parsed.as_object().at("error").as_string();
  }
  return parsed.as_object();
}

}  // namespace juanie::test
