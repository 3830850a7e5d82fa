#include "daemon/http/form.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::http {
namespace {

TEST(Form, DecodesWhatABrowserPosts) {
  auto f = parse_form("csrf=abc-_&decision=approve&comment=ship+it%21%0D%0Anow+%E2%9C%93", 8);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->at("csrf"), "abc-_");
  EXPECT_EQ(f->at("decision"), "approve");
  EXPECT_EQ(f->at("comment"), "ship it!\r\nnow \xE2\x9C\x93");
  EXPECT_TRUE(parse_form("", 8));
  EXPECT_EQ(parse_form("comment=", 8)->at("comment"), "");
}

TEST(Form, RefusesWhatNoFormOfOursSends) {
  const std::pair<const char*, const char*> cases[] = {
      {"comment=%zz", "the form has a broken %-escape"},
      {"comment=%4", "the form has a broken %-escape"},
      {"decision=approve&decision=reject", "the form repeats a field"},
      {"Decision=approve", "the form has an unexpected field"},
      {"=x", "the form has an unexpected field"},
      {"comment=%00", "the form field comment is not text"},
      {"comment=%1B[2J", "the form field comment is not text"},
      {"comment=%C0%AF", "the form field comment is not text"},     // overlong
      {"comment=%ED%A0%80", "the form field comment is not text"},  // a surrogate
      {"comment=%E2%9C", "the form field comment is not text"},     // truncated
      {"a=1&b=2&c=3", "the form has too many fields"},
  };
  for (const auto& [body, message] : cases) {
    auto f = parse_form(body, 2);
    ASSERT_FALSE(f) << body;
    EXPECT_EQ(f.error().message, message) << body;
  }
}

}  // namespace
}  // namespace juanie::daemon::http
