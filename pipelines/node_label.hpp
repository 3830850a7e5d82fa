#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace juanie::pipelines {

// What a build node's name and labels are made of (node.name, node.labels in juanie.yaml;
// runs_on in a pipeline file): letters, digits, '-', '_' and '.'.
bool is_label_char(char c);
// A name or label: 1 to 63 such characters.
bool is_node_label(std::string_view s);

// Those of `wanted` that `has` lacks, in the order of `wanted`.
std::vector<std::string> missing_labels(const std::vector<std::string>& wanted,
                                        const std::vector<std::string>& has);

// "a, b, c", for messages.
std::string join_labels(const std::vector<std::string>& labels);

}  // namespace juanie::pipelines
