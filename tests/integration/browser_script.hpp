#pragma once

#include <boost/json/object.hpp>
#include <string>

namespace juanie::test {

// Runs `node tests/browser/SCRIPT ARGS... ARTIFACTS/NAME` (Debian's Chromium driven by
// playwright-core) and returns the JSON object it prints last; an empty object, with a test
// failure naming what it printed, when it fails. Screenshots go to the build's
// test-artifacts folder, prefixed `name`. Arguments are single-quoted for the shell.
boost::json::object run_browser_script(const std::string& script,
                                       const std::vector<std::string>& args,
                                       const std::string& name);

}  // namespace juanie::test
