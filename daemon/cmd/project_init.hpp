#pragma once

#include <string>
#include <vector>

namespace juanie::daemon {

// `juanie project init NAME --image IMAGE --gitops-url URL ...`: lays out a new project's
// GitOps repository (into a directory, or as the first commit of an empty remote), its
// project file and optionally a starter pipeline. Returns the exit status.
int run_project_init(const std::vector<std::string>& args);

}  // namespace juanie::daemon
