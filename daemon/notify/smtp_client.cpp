#include "daemon/notify/smtp_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace juanie::daemon::notify {
namespace {

struct Reading {
  const std::string* text;
  std::size_t offset = 0;
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* r = static_cast<Reading*>(user);
  const std::size_t n = std::min(size * count, r->text->size() - r->offset);
  std::memcpy(buffer, r->text->data() + r->offset, n);
  r->offset += n;
  return n;
}

std::string address(const std::string& a) {
  return a.starts_with("<") ? a : "<" + a + ">";
}

}  // namespace

Result<void> send_mail(const SmtpMessage& mail) {
  if (mail.to.empty()) return fail("the message has no recipients");
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return fail("curl: cannot create a handle");
  CURL* h = curl.get();
  curl_slist* list = nullptr;
  for (const auto& to : mail.to) list = curl_slist_append(list, address(to).c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(list, curl_slist_free_all);
  const std::string from = address(mail.from);
  Reading reading{&mail.message};
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, mail.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
  curl_easy_setopt(h, CURLOPT_READDATA, &reading);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(mail.timeout.count()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  if (mail.starttls) curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!mail.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, mail.ca_file.c_str());
  if (!mail.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, mail.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, mail.password.c_str());
  }
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    return fail(std::string("smtp: ") + (error[0] ? error : curl_easy_strerror(rc)));
  }
  return {};
}

}  // namespace juanie::daemon::notify
