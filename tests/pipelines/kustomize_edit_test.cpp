#include "pipelines/kustomize_edit.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace juanie::pipelines {
namespace {

const ImageChange kShop{"registry.example.com/acme/shop-api", "newTag", "9f8e7d6"};

std::string edit(const std::string& text, const ImageChange& change = kShop) {
  auto r = set_image(text, change);
  EXPECT_TRUE(r) << r.error().message;
  if (!r) return "";
  EXPECT_TRUE(r->changed);
  // Whatever the edit, the result reads back with the new value on the entry.
  YAML::Node doc;
  for (const auto& d : YAML::LoadAll(r->text)) {
    if (d.IsMap() && d["images"]) doc = d;
  }
  bool found = false;
  for (const auto& item : doc["images"]) {
    if (item["name"].as<std::string>() == change.name) {
      EXPECT_EQ(item[change.field].as<std::string>(), change.value) << r->text;
      found = true;
    }
  }
  EXPECT_TRUE(found) << r->text;
  return r->text;
}

TEST(KustomizeEdit, ChangesOnlyTheTagKeepingCommentsAndLayout) {
  const std::string before =
      "# dev overlay — edited by juanie\n"
      "apiVersion: kustomize.config.k8s.io/v1beta1\n"
      "kind: Kustomization\n"
      "namespace: dev\n"
      "resources:\n  - ../../base\n"
      "images:\n"
      "  - name: registry.example.com/acme/shop-api   # the app\n"
      "    newTag: 1a2b3c4    # set by CI\n"
      "  - name: redis\n"
      "    newTag: \"7.2\"\n";
  EXPECT_EQ(edit(before),
            "# dev overlay — edited by juanie\n"
            "apiVersion: kustomize.config.k8s.io/v1beta1\n"
            "kind: Kustomization\n"
            "namespace: dev\n"
            "resources:\n  - ../../base\n"
            "images:\n"
            "  - name: registry.example.com/acme/shop-api   # the app\n"
            "    newTag: 9f8e7d6    # set by CI\n"
            "  - name: redis\n"
            "    newTag: \"7.2\"\n");
}

TEST(KustomizeEdit, QuotedTagsKeepTheirQuotes) {
  EXPECT_EQ(edit("images:\n- name: registry.example.com/acme/shop-api\n  newTag: 'old'\n"),
            "images:\n- name: registry.example.com/acme/shop-api\n  newTag: '9f8e7d6'\n");
  EXPECT_EQ(edit("images:\n- name: registry.example.com/acme/shop-api\n  newTag: \"old\" #x\n"),
            "images:\n- name: registry.example.com/acme/shop-api\n  newTag: \"9f8e7d6\" #x\n");
}

TEST(KustomizeEdit, ATagYamlWouldReadAsANumberIsQuoted) {
  EXPECT_EQ(edit("images:\n- name: registry.example.com/acme/shop-api\n  newTag: v1\n",
                 {kShop.name, "newTag", "1234567"}),
            "images:\n- name: registry.example.com/acme/shop-api\n  newTag: \"1234567\"\n");
  EXPECT_EQ(edit("images:\n- name: registry.example.com/acme/shop-api\n  newTag: v1\n",
                 {kShop.name, "newTag", "1.20"}),
            "images:\n- name: registry.example.com/acme/shop-api\n  newTag: \"1.20\"\n");
}

TEST(KustomizeEdit, FlowStyle) {
  EXPECT_EQ(
      edit("images: [{name: redis, newTag: \"7\"}, {name: registry.example.com/acme/shop-api, "
           "newTag: abc}]  # both\n"),
      "images: [{name: redis, newTag: \"7\"}, {name: registry.example.com/acme/shop-api, "
      "newTag: 9f8e7d6}]  # both\n");
  EXPECT_EQ(edit("images:\n  - {name: registry.example.com/acme/shop-api, newTag: abc}\n"),
            "images:\n  - {name: registry.example.com/acme/shop-api, newTag: 9f8e7d6}\n");
}

TEST(KustomizeEdit, CrlfLineEndsStay) {
  EXPECT_EQ(edit("kind: Kustomization\r\nimages:\r\n- name: registry.example.com/acme/shop-api\r\n"
                 "  newTag: abc\r\n"),
            "kind: Kustomization\r\nimages:\r\n- name: registry.example.com/acme/shop-api\r\n"
            "  newTag: 9f8e7d6\r\n");
  // An added entry uses the file's line ends too.
  EXPECT_EQ(edit("kind: Kustomization\r\nimages:\r\n- name: redis\r\n  newTag: \"7\"\r\n"),
            "kind: Kustomization\r\nimages:\r\n- name: redis\r\n  newTag: \"7\"\r\n"
            "- name: registry.example.com/acme/shop-api\r\n  newTag: 9f8e7d6\r\n");
}

TEST(KustomizeEdit, DocumentSeparators) {
  EXPECT_EQ(edit("---\nkind: Kustomization\nimages:\n- name: registry.example.com/acme/shop-api\n"
                 "  newTag: abc\n---\n# another document\nkind: ConfigMap\n"),
            "---\nkind: Kustomization\nimages:\n- name: registry.example.com/acme/shop-api\n"
            "  newTag: 9f8e7d6\n---\n# another document\nkind: ConfigMap\n");
}

TEST(KustomizeEdit, AMissingEntryIsAddedMinimally) {
  EXPECT_EQ(edit("kind: Kustomization\nimages:\n  - name: redis  # cache\n    newTag: \"7\"\n\n"
                 "replicas:\n  - name: shop-api\n    count: 1\n"),
            "kind: Kustomization\nimages:\n  - name: redis  # cache\n    newTag: \"7\"\n"
            "  - name: registry.example.com/acme/shop-api\n    newTag: 9f8e7d6\n\n"
            "replicas:\n  - name: shop-api\n    count: 1\n");
  EXPECT_EQ(edit("kind: Kustomization\nnamespace: dev\n"),
            "kind: Kustomization\nnamespace: dev\nimages:\n"
            "- name: registry.example.com/acme/shop-api\n  newTag: 9f8e7d6\n");
  EXPECT_EQ(edit("kind: Kustomization\nnamespace: dev"),
            "kind: Kustomization\nnamespace: dev\nimages:\n"
            "- name: registry.example.com/acme/shop-api\n  newTag: 9f8e7d6\n");
  EXPECT_EQ(edit("kind: Kustomization\nimages:\nnamespace: dev\n"),
            "kind: Kustomization\nimages:\n- name: registry.example.com/acme/shop-api\n"
            "  newTag: 9f8e7d6\nnamespace: dev\n");
  EXPECT_EQ(edit("images: []\n"),
            "images: [{name: registry.example.com/acme/shop-api, newTag: "
            "9f8e7d6}]\n");
}

TEST(KustomizeEdit, AnEntryWithoutTheFieldGetsIt) {
  EXPECT_EQ(edit("images:\n  - name: registry.example.com/acme/shop-api\n    newName: x/y\n"),
            "images:\n  - name: registry.example.com/acme/shop-api\n    newTag: 9f8e7d6\n"
            "    newName: x/y\n");
  EXPECT_EQ(edit("images:\n  - name: registry.example.com/acme/shop-api\n    newTag:\n"),
            "images:\n  - name: registry.example.com/acme/shop-api\n    newTag: 9f8e7d6\n");
  EXPECT_EQ(edit("images: [{name: registry.example.com/acme/shop-api}]\n"),
            "images: [{name: registry.example.com/acme/shop-api, newTag: 9f8e7d6}]\n");
}

TEST(KustomizeEdit, ByDigest) {
  const ImageChange digest{kShop.name, "digest", "sha256:" + std::string(64, 'a')};
  EXPECT_EQ(
      edit("images:\n- name: registry.example.com/acme/shop-api\n  digest: sha256:00\n", digest),
      "images:\n- name: registry.example.com/acme/shop-api\n  digest: sha256:" +
          std::string(64, 'a') + "\n");
}

TEST(KustomizeEdit, TheSameValueChangesNothing) {
  const std::string text =
      "images:\n- name: registry.example.com/acme/shop-api\n  newTag: 9f8e7d6\n";
  auto r = set_image(text, kShop);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->changed);
  EXPECT_EQ(r->text, text);
}

TEST(KustomizeEdit, BadFilesAreErrors) {
  EXPECT_FALSE(set_image("images: [\n", kShop));
  EXPECT_EQ(set_image("images: {a: b}\n", kShop).error().message,
            "kustomization.yaml: images: must be a list");
  EXPECT_EQ(set_image("- a\n- b\n", kShop).error().message,
            "kustomization.yaml: no mapping document to edit");
  EXPECT_EQ(set_image("images:\n- name: registry.example.com/acme/shop-api\n  newTag: [a]\n", kShop)
                .error()
                .message,
            "kustomization.yaml: images[].newTag: must be a string");
}

// Found by fuzz_kustomize_edit: yaml-cpp reads an unindented line as the continuation of a
// plain scalar, so a list appended after it would break the file. The result is read back
// before it is returned, and such a file is refused instead of committed broken.
TEST(KustomizeEdit, AnEditThatWouldNotReadBackIsRefused) {
  auto r = set_image("nd:! - name: r--\nki:nuM(stryt", kShop);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "kustomization.yaml: the file's layout cannot be edited in place safely; set newTag "
            "of registry.example.com/acme/shop-api by hand once");
}

// Found by fuzz_kustomize_edit: yaml-cpp 0.7's LoadAll never returns on this input. The file is
// split into documents and each read with Load instead; this test hangs if that regresses.
TEST(KustomizeEdit, InputThatHungYamlCppLoadAll) {
  auto r = set_image(",--ind: K\nn_'ace:ap\n", kShop);
  EXPECT_FALSE(r && r->changed && r->text.find("newTag") == std::string::npos);
}

}  // namespace
}  // namespace juanie::pipelines
