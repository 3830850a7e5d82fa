#include "runner/image_build.hpp"

#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "runner/step_process.hpp"
#include "runner/user_network.hpp"

namespace juanie::runner {
namespace {

namespace fs = std::filesystem;

bool inside(const fs::path& path, const fs::path& root) {
  auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return r == root.end();
}

// The last non-empty line of what a command printed, at most 300 bytes: podman ends a failure
// with its "Error: ..." line, which belongs in the step's reason (the run's page, the API, a CI
// log), not only deep in the step's log.
class LastLine {
 public:
  void add(std::string_view chunk) {
    pending_.append(chunk);
    if (pending_.size() > 4096) pending_.erase(0, pending_.size() - 4096);
    for (auto end = pending_.find('\n'); end != std::string::npos; end = pending_.find('\n')) {
      keep(pending_.substr(0, end));
      pending_.erase(0, end + 1);
    }
  }
  std::string get() {
    keep(pending_);
    pending_.clear();
    return last_;
  }

 private:
  void keep(std::string line) {
    // Printable ASCII only (podman's own words are): no terminal escapes, no bidi overrides,
    // no invalid UTF-8, which PostgreSQL would refuse with the run's whole outcome.
    for (auto& c : line) {
      const auto b = static_cast<unsigned char>(c);
      if (b < 0x20 || b > 0x7e) c = b < 0x20 ? ' ' : '?';
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (line.empty()) return;
    if (line.size() > 300) line = line.substr(0, 300) + "...";
    last_ = std::move(line);
  }
  std::string pending_, last_;
};

// `exited`: set when the command ran to its end and exited non-zero (not cancelled, not timed
// out): what may be tried again.
Result<void> run(const std::vector<std::string>& argv, const ImageBuildRequest& request,
                 const std::function<void(std::string_view)>& output, const std::string& what,
                 bool* exited = nullptr) {
  output("+ " + what + "\n");
  ProcessOptions process;
  process.argv = argv;
  process.env = engine_environment();
  process.timeout = request.timeout;
  process.cancel = request.cancel;
  LastLine last;
  auto outcome = run_process(process, [&](std::string_view chunk) {
    last.add(chunk);
    output(chunk);
  });
  if (!outcome) return std::unexpected(outcome.error());
  if (outcome->cancelled) return fail("cancelled");
  if (outcome->timed_out) return fail(what + " timed out");
  if (outcome->exit_code != 0) {
    if (exited) *exited = true;
    const auto said = last.get();
    return fail(what + " failed (exit " + std::to_string(outcome->exit_code) + ")" +
                (said.empty() ? "" : ": " + said));
  }
  return {};
}

// Waits `how_long` unless the build is cancelled meanwhile (false then).
bool pause(const ImageBuildRequest& request, std::chrono::milliseconds how_long) {
  const auto until = std::chrono::steady_clock::now() + how_long;
  while (std::chrono::steady_clock::now() < until) {
    if (request.cancel && request.cancel->load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return !(request.cancel && request.cancel->load());
}

// After the push the tag must name the digest podman reported; another digest means someone
// pushed the same tag in between, and that image is not ours to deploy. A registry that cannot
// be asked, or does not show the tag yet, is asked again (a loaded registry, eventually
// consistent storage): only what it says on the last try is held against the run.
Result<void> confirm_pushed(const ImageBuildRequest& request, const std::string& digest) {
  constexpr int kTries = 4;
  for (int attempt = 1;; ++attempt) {
    auto now = request.registry_digest(request.reference);
    if (now && *now == std::optional(digest)) return {};
    if (now && *now) {
      return fail(request.reference + " changed in the registry while it was pushed: it names " +
                  **now + ", not the pushed " + digest);
    }
    if (attempt == kTries) {
      return fail("cannot confirm " + request.reference + "@" + digest + " in the registry: " +
                  (now ? std::string("the tag is missing after the push") : now.error().message));
    }
    if (!pause(request, std::chrono::seconds(attempt))) return fail("cancelled");
  }
}

// A push that raced another push of the same layers to the same repository can be refused by
// the registry ("manifest blob unknown": docker distribution checked a blob the other upload
// was still writing; seen with two runs of one project pushing at once). podman push is
// idempotent, so a push that failed is tried again, twice, a few seconds apart.
Result<void> push_retrying(const std::vector<std::string>& argv, const ImageBuildRequest& request,
                           const std::function<void(std::string_view)>& output,
                           const std::string& what) {
  constexpr int kTries = 3;
  for (int attempt = 1;; ++attempt) {
    bool exited = false;
    auto ok = run(argv, request, output, what, &exited);
    if (ok || !exited || attempt == kTries) return ok;
    output("juanie: " + ok.error().message + "; pushing again (" + std::to_string(attempt + 1) +
           " of " + std::to_string(kTries) + ")\n");
    if (!pause(request, std::chrono::seconds(2 * attempt))) return fail("cancelled");
  }
}

}  // namespace

Result<PushedImage> build_and_push(const ImageBuildRequest& request,
                                   const std::function<void(std::string_view)>& output) {
  std::error_code ec;
  const fs::path root = fs::canonical(request.workspace, ec);
  if (ec) return fail("the workspace is gone: " + ec.message());
  const fs::path context = fs::weakly_canonical(root / request.build.context, ec);
  const fs::path dockerfile = fs::weakly_canonical(root / request.build.dockerfile, ec);
  if (!inside(context, root) || !inside(dockerfile, root)) {
    return fail(
        "image.context and image.dockerfile must resolve inside the repository "
        "(a symlink points outside it)");
  }
  if (!fs::is_regular_file(dockerfile)) {
    return fail("image.dockerfile " + request.build.dockerfile + " is not in the repository");
  }
  const auto prefix = engine_command(request.engine);
  auto push_command = [&](const std::string& reference, const std::vector<std::string>& options) {
    auto a = prefix;
    a.push_back("push");
    a.insert(a.end(), options.begin(), options.end());
    if (!request.tls_verify) a.push_back("--tls-verify=false");
    if (request.authfile) a.insert(a.end(), {"--authfile", request.authfile->string()});
    a.insert(a.end(), {"--", reference});
    return a;
  };

  // RUN lines with a network get what a step gets: a namespace of their own behind user-mode
  // NAT, never the host's (user_network.hpp). A rootless daemon cannot make one; podman's
  // private network is then slirp4netns without the host's loopback.
  std::unique_ptr<NamedNetwork> network;
  std::string network_mode = "none";
  if (request.network && ::geteuid() == 0) {
    auto made = NamedNetwork::create(
        "juanie-" + request.engine.owner + "-build-" + root.filename().string(),
        std::chrono::seconds(20));
    if (!made) return fail("cannot give the image build a network: " + made.error().message);
    network = std::move(*made);
    network_mode = "ns:" + network->path();
  } else if (request.network) {
    network_mode = "private";
  }
  auto build = prefix;
  if (request.cgroup_parent) build.push_back("--cgroup-manager=cgroupfs");
  build.insert(build.end(),
               {"build", "--pull=never", "--network", network_mode, "--cap-drop=all", "--ulimit",
                "nproc=" + std::to_string(request.limits.processes) + ":" +
                    std::to_string(request.limits.processes)});
  if (request.limits.memory > 0) {
    build.insert(build.end(), {"--memory", std::to_string(request.limits.memory), "--memory-swap",
                               std::to_string(request.limits.memory)});
  }
  if (request.cgroup_parent) build.insert(build.end(), {"--cgroup-parent", *request.cgroup_parent});
  build.insert(build.end(), {"--file", dockerfile.string(), "--tag", request.reference, "--label",
                             "io.juanie.owner=" + request.engine.owner, "--", context.string()});
  if (auto ok = run(build, request, output, "podman build " + request.reference); !ok) {
    return std::unexpected(ok.error());
  }
  network.reset();
  if (request.registry_digest) {
    auto existing = request.registry_digest(request.reference);
    if (!existing)
      return fail("cannot ask the registry for " + request.reference + ": " +
                  existing.error().message);
    if (*existing && request.ours && request.ours(**existing)) {
      output("juanie: " + request.reference + " is already " + **existing +
             ", pushed by an earlier run of this commit\n");
      return PushedImage{request.reference, **existing};
    }
    if (*existing) {
      return fail(request.reference + " already names " + **existing +
                  " in the registry, an image "
                  "juanie did not push for this commit; a tag is never moved to another image");
    }
  }
  const fs::path digest_file = root.parent_path() / (root.filename().string() + ".digest");
  fs::remove(digest_file, ec);
  const auto push = push_command(request.reference, {"--digestfile", digest_file.string()});
  if (auto ok = push_retrying(push, request, output, "podman push " + request.reference); !ok) {
    return std::unexpected(ok.error());
  }
  for (const auto& extra : request.extra_references) {
    auto tag = prefix;
    tag.insert(tag.end(), {"tag", "--", request.reference, extra});
    if (auto ok = run(tag, request, output, "podman tag " + extra); !ok)
      return std::unexpected(ok.error());
    if (auto ok = push_retrying(push_command(extra, {}), request, output, "podman push " + extra);
        !ok) {
      return std::unexpected(ok.error());
    }
  }
  std::ifstream in(digest_file);
  std::string digest;
  std::getline(in, digest);
  fs::remove(digest_file, ec);
  if (!digest.starts_with("sha256:")) return fail("podman push reported no digest");
  if (request.registry_digest) {  // someone pushed the same tag in between: not ours to deploy
    if (auto confirmed = confirm_pushed(request, digest); !confirmed) {
      return std::unexpected(confirmed.error());
    }
  }
  output("juanie: pushed " + request.reference + "@" + digest + "\n");
  return PushedImage{request.reference, digest};
}

}  // namespace juanie::runner
