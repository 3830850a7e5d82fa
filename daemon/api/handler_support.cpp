#include "daemon/api/handler_support.hpp"

#include <charconv>

#include "daemon/store/approvals.hpp"

namespace juanie::daemon::api {

Result<ApprovalsById> approvals_by_id(store::Reader& reader,
                                      const std::vector<store::DeploymentRecord>& list) {
  return reader.with([&](store::Database& db) -> Result<ApprovalsById> {
    ApprovalsById out;
    for (const auto& d : list) {
      auto a = store::approvals_of(db, d.id);
      if (!a) return std::unexpected(a.error());
      if (!a->empty()) out.emplace(d.id, std::move(*a));
    }
    return out;
  });
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || id < 1) return std::nullopt;
  return id;
}

}  // namespace juanie::daemon::api
