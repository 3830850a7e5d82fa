// Approval links come from anyone who can reach /approve/: a token must be refused unless it
// was signed with our key, never crash, and a link we sign must read back as signed.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/approvals/link_token.hpp"

using namespace juanie::daemon::approvals;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<SigningKey> keys{make_signing_key("fuzzing-key-one-0123456789abcdef"),
                                            make_signing_key("fuzzing-key-two-0123456789abcdef")};
  const std::string input(reinterpret_cast<const char*>(data), size);
  // As a token off the wire: nothing the fuzzer makes carries our MAC.
  auto claims = verify_link(input, keys);
  if (claims) {
    if (sign_link(*claims, keys[0]) != input && sign_link(*claims, keys[1]) != input) std::abort();
  }
  // As claims of our own: what we sign verifies to exactly those claims.
  LinkClaims c;
  std::size_t start = 0;
  std::string fields[4];
  for (int i = 0; i < 4; ++i) {
    auto end = input.find('|', start);
    fields[i] = input.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  c.approver = fields[0];
  c.environment = fields[1];
  c.digest = fields[2];
  c.nonce = fields[3];
  c.deployment = static_cast<std::int64_t>(size);
  c.expires = 1'900'000'000;
  for (const auto* f : {&c.approver, &c.environment, &c.digest, &c.nonce}) {
    if (f->find('\n') != std::string::npos) return 0;  // never in a name or digest we sign
  }
  const std::string token = sign_link(c, keys[1]);
  auto back = verify_link(token, keys);
  if (token.size() > 2048) {
    if (back) std::abort();
    return 0;
  }
  const bool complete = !c.approver.empty() && !c.environment.empty() && !c.nonce.empty();
  if (complete != back.has_value()) std::abort();
  if (back && (back->approver != c.approver || back->environment != c.environment ||
               back->digest != c.digest || back->nonce != c.nonce ||
               back->deployment != c.deployment || back->key_id != keys[1].id)) {
    std::abort();
  }
  return 0;
}
