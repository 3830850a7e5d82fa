#pragma once

#include <string>

#include "support/temp_dir.hpp"

#ifndef JUANIE_TEST_DATA
#error "the test target defines JUANIE_TEST_DATA (tests/data)"
#endif

namespace juanie::test {

// The bytes of tests/data/NAME: a forge's example payload, exactly as stored.
inline std::string test_data(const std::string& name) {
  return read_file(std::string(JUANIE_TEST_DATA) + "/" + name);
}

}  // namespace juanie::test
